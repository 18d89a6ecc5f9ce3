"""The metric layer is engine-independent: the same metric code, run on a second Ibis backend (a
fresh in-memory DuckDB reading the beer store's Parquet export), gives identical results."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pytest

from communitas.metrics import interaction, people, place, ties
from communitas.metrics.profile import DEFINITIONS, build_profile
from communitas.model import TABLES
from communitas.store import Workspace

MODULES = {"people": people, "common_ties": ties, "social_interaction": interaction, "place": place}
SCOPED = {"since": "2015-01-01", "until": "2019-01-01", "place": "wine"}


@pytest.fixture(scope="module")
def backends(beer_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    out = tmp_path_factory.mktemp("parquet")
    with Workspace(beer_store, read_only=True) as ws:
        ws.export(out, "parquet")
        second = ibis.duckdb.connect()
        second.raw_sql("SET TimeZone='UTC'")
        for table in TABLES:
            second.create_table(table, second.read_parquet(out / f"{table}.parquet"))
        yield ws.ibis(), second


def _metrics() -> list[tuple[str, Any]]:
    return [(name, getattr(MODULES[c], name)) for c, names in DEFINITIONS.items() for name in names]


def _same(a: Any, b: Any) -> None:
    """Equal, floats up to 1e-12 relative: a parallel engine may sum floats in another order."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                      check_exact=False, rtol=1e-12, atol=0)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-12, abs=0)
    else:
        assert a == b


@pytest.mark.parametrize(("name", "fn"), _metrics(), ids=[n for n, _ in _metrics()])
def test_metric_identical_on_parquet_backend(backends: tuple[Any, Any], name: str, fn: Any) -> None:
    """Each metric, scoped (window and place where it takes them); the whole profile below
    covers the unscoped calls."""
    store, second = backends
    accepted = inspect.signature(fn).parameters
    scoped = {k: v for k, v in SCOPED.items() if k in accepted}
    first = fn(store, **scoped)
    if isinstance(first, pd.DataFrame):
        assert len(first) > 0, name  # the comparison is not between two empty tables
    _same(first, fn(second, **scoped))


def test_whole_profile_identical_on_parquet_backend(backends: tuple[Any, Any]) -> None:
    store, second = backends
    _same(build_profile(store, period="quarter"), build_profile(second, period="quarter"))
