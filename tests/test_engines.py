"""``communitas.engines`` without Spark (the Spark parity test is ``tests/test_spark.py``):
the engine-neutral quantile, the scratch space each backend gets, and the Spark engine's checks
that come before any Spark is started."""

from __future__ import annotations

import math
from pathlib import Path

import ibis
import pytest
from tests.conftest import run_cli

from communitas import engines
from communitas.errors import InputNotFound, UsageError


def _hand_quantile(values: list[float], q: float) -> float | None:
    """percentile_cont worked by hand: rank (n - 1) q between the two nearest sorted values."""
    s = sorted(values)
    if not s:
        return None
    r = (len(s) - 1) * q
    lo, hi = math.floor(r), math.ceil(r)
    return s[lo] + (s[hi] - s[lo]) * (r - lo)


def test_quantile_is_the_interpolated_rank_per_group_nulls_left_out() -> None:
    con = ibis.duckdb.connect()
    rows = {"g": ["a"] * 5 + ["b"] * 2 + ["c"], "x": [3.5, None, 1.0, 10.25, 2.0, 7.0, 4.0, None]}
    t = con.create_table("t", ibis.memtable(rows))
    out = t.group_by("g").aggregate(med=engines.quantile(t.x, 0.5), p90=engines.quantile(t.x, 0.9),
                                     n=t.count()).order_by("g").execute()
    a, b = [1.0, 2.0, 3.5, 10.25], [7.0, 4.0]
    assert out["med"].tolist()[:2] == [_hand_quantile(a, 0.5), _hand_quantile(b, 0.5)] == [2.75, 5.5]
    assert out["p90"].tolist()[:2] == [_hand_quantile(a, 0.9), _hand_quantile(b, 0.9)]
    assert out["p90"][0] == pytest.approx(3.5 + (10.25 - 3.5) * 0.7)
    assert math.isnan(out["med"][2]) and math.isnan(out["p90"][2])  # only a NULL: no quantile


def test_each_backend_gets_its_scratch_space() -> None:
    con = ibis.duckdb.connect()
    scratch = engines.scratch_for(con)
    assert isinstance(scratch, engines.DuckDBScratch)
    made = scratch.put("m", ibis.memtable({"v": [1, 2, 3]}))
    assert made.v.sum().execute() == 6
    attached = [r[0] for r in con.raw_sql("SELECT database_name FROM duckdb_databases()").fetchall()]
    assert scratch.name in attached
    scratch.close()
    attached = [r[0] for r in con.raw_sql("SELECT database_name FROM duckdb_databases()").fetchall()]
    assert scratch.name not in attached


def test_spark_backend_needs_the_exported_tables(tmp_path: Path) -> None:
    with pytest.raises(InputNotFound, match=r"no posts\.parquet there"):
        engines.spark_backend(tmp_path)


def test_a_cluster_cannot_read_a_local_store(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="--tables"), engines.store_on_spark(object(), remote="sc://h:15002"):
        pass
    monkeypatch.setenv(engines.SPARK_REMOTE_ENV, "sc://h:15002")
    with pytest.raises(UsageError, match="--tables"), engines.store_on_spark(object()):
        pass


def test_unknown_engine() -> None:
    assert engines.check_engine("spark") == "spark"
    with pytest.raises(UsageError, match="choose one of duckdb, spark"):
        engines.check_engine("flink")


@pytest.mark.parametrize("command", ["profile", "network"])
def test_tables_only_with_the_spark_engine(command: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "posts.parquet").write_bytes(b"")
    code, _, err = run_cli([command, "--tables", str(tmp_path), "--store", str(tmp_path / "s.duckdb")],
                           capsys)
    assert code == 2 and "--tables is for --engine spark" in err
    assert not (tmp_path / "s.duckdb").exists()


@pytest.mark.parametrize(("size", "read"), [("6g", "6g"), ("6G", "6g"), (" 512m ", "512m"), ("6144", "6144"),
                                            ("2gb", "2gb"), ("1t", "1t"), ("1048576k", "1048576k")])
def test_spark_memory_is_read_as_spark_reads_it(size: str, read: str) -> None:
    assert engines.spark_memory(size) == read


@pytest.mark.parametrize(("size", "why"), [("6x", "give a size as Spark writes it"), ("1.5g", "as Spark"),
                                           ("6 g", "as Spark"), ("", "as Spark"), ("-1g", "as Spark"),
                                           ("6GiB", "as Spark"), ("0", "too small"), ("100m", "too small"),
                                           ("511", "too small"), ("524287k", "too small")])
def test_a_bad_spark_memory_is_one_line(size: str, why: str) -> None:
    with pytest.raises(UsageError, match=why) as e:
        engines.spark_memory(size)
    assert "\n" not in str(e.value)


def test_local_spark_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings a local session starts with: the heap from the option, else from a
    ``--spark-conf spark.driver.memory``, else ``$COMMUNITAS_SPARK_MEMORY``, else none (Spark's
    1g); a user's ``--spark-conf`` over communitas's own."""
    monkeypatch.delenv(engines.SPARK_MEMORY_ENV, raising=False)
    plain = engines.spark_settings("local[2]")
    assert plain["spark.master"] == "local[2]" and plain["spark.sql.shuffle.partitions"] == "2"
    assert plain["spark.sql.session.timeZone"] == "UTC"
    assert "spark.driver.memory" not in plain and "spark.sql.adaptive.enabled" not in plain
    assert engines.spark_settings("local[2]", memory="6G")["spark.driver.memory"] == "6g"
    assert engines.spark_settings("local[2]", small=True)["spark.sql.adaptive.enabled"] == "false"
    mine = engines.spark_settings("local[2]", small=True, conf={"spark.sql.shuffle.partitions": "8",
                                                                "spark.sql.adaptive.enabled": "true",
                                                                "spark.driver.memory": "3g"})
    assert mine["spark.sql.shuffle.partitions"] == "8" and mine["spark.sql.adaptive.enabled"] == "true"
    assert mine["spark.driver.memory"] == "3g"
    monkeypatch.setenv(engines.SPARK_MEMORY_ENV, "4g")
    assert engines.spark_settings("local[2]")["spark.driver.memory"] == "4g"
    given = engines.spark_settings("local[2]", conf={"spark.driver.memory": "3g"})
    assert given["spark.driver.memory"] == "3g"
    assert engines.spark_settings("local[2]", memory="5g")["spark.driver.memory"] == "5g"
    monkeypatch.setenv(engines.SPARK_MEMORY_ENV, "lots")
    with pytest.raises(UsageError, match="'lots'"):
        engines.spark_settings("local[2]")


def test_spark_conf_pairs() -> None:
    assert engines.spark_conf(["spark.sql.shuffle.partitions=64", " spark.driver.memory = 6G"]) == {
        "spark.sql.shuffle.partitions": "64", "spark.driver.memory": "6g"}
    assert engines.spark_conf(["spark.driver.extraJavaOptions=-Da=b -Dc=d"]) == {
        "spark.driver.extraJavaOptions": "-Da=b -Dc=d"}  # only the first = splits
    for bad in ("spark.sql.shuffle.partitions", "shuffle=8", "spark.x=", "=8"):
        with pytest.raises(UsageError, match="KEY=VALUE"):
            engines.spark_conf([bad])
    with pytest.raises(UsageError, match="too small"):
        engines.spark_conf(["spark.driver.memory=64m"])


def test_a_cluster_sizes_its_own_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Spark Connect server's memory is set where it starts: asking for a heap with
    --spark-remote is a usage error, before any Spark (or gRPC client) is reached."""
    for kw in ({"memory": "6g"}, {"conf": {"spark.driver.memory": "6g"}}):
        with pytest.raises(UsageError, match="leave it out with --spark-remote"):
            engines.spark_session("sc://h:15002", **kw)  # type: ignore[arg-type]


def test_spark_out_of_heap_is_one_line_that_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(engines.SPARK_MEMORY_ENV, raising=False)
    java = ("An error occurred while calling o512.collectToPython.\n: org.apache.spark.SparkException: "
            "Job aborted due to stage failure: ... java.lang.OutOfMemoryError: Java heap space\n\tat ...")
    out_of_heap = r"^Spark ran out of its 1g heap; .*--spark-memory"
    with pytest.raises(engines.SparkOutOfMemory, match=out_of_heap), engines.spark_failures():
        raise RuntimeError(java)
    with pytest.raises(engines.SparkOutOfMemory, match="its 6g heap"), engines.spark_failures("6g"):
        raise RuntimeError(java)
    with pytest.raises(ValueError, match="other"), engines.spark_failures():
        raise ValueError("other")


@pytest.mark.parametrize("command", ["profile", "network"])
def test_spark_options_are_checked_before_any_work(command: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    store = ["--store", str(tmp_path / "s.duckdb")]
    cases = [(["--engine", "spark", "--spark-memory", "6x"], "give a size as Spark writes it"),
             (["--engine", "spark", "--spark-conf", "spark.sql.shuffle.partitions"], "KEY=VALUE"),
             (["--engine", "spark", "--spark-memory", "6g", "--spark-remote", "sc://h:15002"],
              "leave it out with --spark-remote"),
             (["--engine", "spark", "--spark-conf", "spark.driver.memory=6g", "--spark-remote", "sc://h:1"],
              "leave it out with --spark-remote")]
    for args, message in cases:
        code, _, err = run_cli([command, *args, *store], capsys)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    monkeypatch.setenv(engines.SPARK_MEMORY_ENV, "six gigs")
    code, _, err = run_cli([command, "--engine", "spark", *store], capsys)
    assert code == 2 and "$COMMUNITAS_SPARK_MEMORY: Spark memory 'six gigs'" in err, err
    assert not (tmp_path / "s.duckdb").exists()
