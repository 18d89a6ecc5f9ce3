"""Shared fixtures. Tests that need the real data fail loudly when ../shared/data is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from communitas.store import Workspace

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def data_path(*parts: str) -> Path:
    """A path under ../shared/data; fails the test (never skips) when it is missing."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is missing: the tests need ../shared/data beside the clone.")
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace(tmp_path / "test.duckdb") as ws:
        yield ws


@pytest.fixture(scope="session")
def beer_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the beer site (from the XML.gz folder), built once per test session."""
    path = tmp_path_factory.mktemp("beer") / "beer.duckdb"
    with Workspace(path) as ws:
        ws.ingest(data_path("stackexchange-beer"), name="beer.stackexchange.com")
    return path
