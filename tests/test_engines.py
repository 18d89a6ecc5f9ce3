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
