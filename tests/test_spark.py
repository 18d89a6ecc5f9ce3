"""The Spark engine's parity tests: the whole profile of the beer site computed by PySpark in
local mode (``local[2]``, over the store's Parquet export) equals the DuckDB result exactly —
every count, id, time and float, bit for bit — and so does its network (ties aggregated by
Spark, graph algorithms in igraph).

Slow (a JVM starts, and Spark runs some fifty small jobs: about two minutes), so it is marked
``spark``: deselected from the default run and run by ``make test-spark`` (CI runs it after
``make test``). Needs the ``communitas[spark]`` extra and Java 17."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import data_path, raw_rows, run_cli

from communitas import engines
from communitas.store import Workspace

pytestmark = pytest.mark.spark
HEAP = "1536m"


@pytest.fixture(scope="module")
def session() -> Iterator[Any]:
    """Spark in local mode on two cores, with a heap other than Spark's 1g default (to see that
    the setting reaches the JVM); the CLI's own session request gets this one back."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = engines.spark_session(master="local[2]", small=True, memory=HEAP)
    yield spark
    spark.stop()


@pytest.fixture(scope="module")
def beer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spark") / "beer.duckdb"
    with Workspace(path) as ws:
        ws.ingest(data_path("stackexchange-beer-7z", "beer.stackexchange.com.7z"))
    return path


def test_the_whole_profile_on_spark_equals_duckdb(session: Any, beer: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["profile", "--json", "--store", str(beer)], capsys)
    assert code == 0, err
    on_duckdb = json.loads(out)
    code, out, err = run_cli(["profile", "--engine", "spark", "--json", "--store", str(beer)], capsys)
    assert code == 0, err
    on_spark = json.loads(out)
    assert engines.differences(on_duckdb, on_spark) == []
    assert on_spark == on_duckdb
    # the comparison is not vacuous: the beer site's figures, counted from the dump (its XML.gz
    # folder: the same site) with the standard library
    questions = sum(r["PostTypeId"] == "1" for r in raw_rows("stackexchange-beer", "Posts"))
    assert on_spark["overview"]["posts_by_kind"]["question"] == questions
    assert on_spark["overview"]["posts_by_kind"]["comment"] == len(raw_rows("stackexchange-beer", "Comments"))
    assert on_spark["social_interaction"]["headline"]["median_hours"] > 0
    assert len(on_spark["social_interaction"]["trend"]) > 50


def test_the_network_on_spark_equals_duckdb(session: Any, beer: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The network's edge aggregation (reply ties and active members per rolling window) runs on
    Spark, the graph algorithms in igraph: every window's figures and every member's role equal
    DuckDB's."""
    code, out, err = run_cli(["network", "--json", "--store", str(beer)], capsys)
    assert code == 0, err
    on_duckdb = json.loads(out)
    code, out, err = run_cli(["network", "--engine", "spark", "--json", "--store", str(beer)], capsys)
    assert code == 0, err
    on_spark = json.loads(out)
    assert engines.differences(on_duckdb, on_spark) == []
    assert on_spark == on_duckdb
    assert sum(w["ties"] for w in on_spark["windows"]) > 1000


def test_the_heap_asked_for_is_the_jvms(session: Any) -> None:
    """``--spark-memory`` (``memory``) reaches the JVM as its maximum heap: the JVM reports a
    little less than -Xmx (one survivor space), well above Spark's default 1 GiB."""
    assert session.sparkContext.getConf().get("spark.driver.memory") == HEAP
    heap = session.sparkContext._jvm.java.lang.Runtime.getRuntime().maxMemory()
    assert 1.3 * 2**30 < heap <= 1536 * 2**20
