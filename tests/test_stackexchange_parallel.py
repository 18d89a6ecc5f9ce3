"""Parsing a dump's files in worker processes gives exactly the store a sequential read gives.

The parallel path normally starts at 64 MB of dump; the tests lower that threshold so the beer
site (4 MB of .xml.gz) takes it, and compare every table with the sequential store built by
``tests/conftest.py``.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pyarrow as pa
import pytest
from tests.conftest import data_path

from communitas.errors import BrokenInput
from communitas.model import SOURCE_TABLES, TABLES
from communitas.sources import stackexchange
from communitas.store import Workspace


def _rows(path: Path, table: str) -> pa.Table:
    ignore = {"origin", "fingerprint", "ingested_at", "skipped", "warnings"}
    cols = [c for c in TABLES[table] if c not in ignore]
    with Workspace(path, read_only=True) as ws:
        return ws.con.sql(f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL").to_arrow_table()


@pytest.fixture(scope="module")
def parallel_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("parallel") / "p.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stackexchange, "PARALLEL_MIN_BYTES", 0)
        mp.setenv("COMMUNITAS_WORKERS", "2")
        with Workspace(path) as ws:
            seen: set[str] = set()
            ws.ingest(data_path("stackexchange-beer"), name="beer.stackexchange.com",
                      progress=lambda label, *_: seen.add(Path(label).name))
    assert seen == {p.name for p in data_path("stackexchange-beer").glob("*.xml.gz")}
    return path


@pytest.mark.parametrize("table", [*SOURCE_TABLES, "sources"])
def test_parallel_read_equals_sequential(table: str, parallel_store: Path, beer_store: Path) -> None:
    got, want = _rows(parallel_store, table), _rows(beer_store, table)
    assert got.num_rows == want.num_rows > 0
    assert got.equals(want)


def test_broken_file_in_a_worker_aborts_and_leaves_the_store(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    dump = tmp_path / "dump"
    shutil.copytree(data_path("stackexchange-beer"), dump)
    votes = gzip.decompress((dump / "Votes.xml.gz").read_bytes())
    (dump / "Votes.xml.gz").write_bytes(gzip.compress(votes[: len(votes) // 2]))  # truncated XML
    monkeypatch.setattr(stackexchange, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setenv("COMMUNITAS_WORKERS", "2")
    with Workspace(tmp_path / "s.duckdb") as ws:
        ws.ingest(data_path("stackexchange-conlang-meta"))
        before = ws.counts()
        with pytest.raises(BrokenInput, match=r"Votes\.xml"):
            ws.ingest(dump)
        assert ws.counts() == before
    assert not list(tmp_path.glob(".s.duckdb.staging-*"))
