"""Parsing a dump's files in worker processes gives exactly the store a sequential read gives.

The parallel path normally starts at 64 MB of dump; the tests lower that threshold so the beer
site (4 MB of .xml.gz) takes it, and compare every table with the sequential store built by
``tests/conftest.py``.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from tests.conftest import comparable, data_path

from communitas.errors import BrokenInput
from communitas.model import SOURCE_TABLES, TABLES
from communitas.sources import stackexchange
from communitas.sources.parallel import SPAWN_HEAD, lanes
from communitas.store import Workspace


def _rows(path: Path, table: str) -> pa.Table:
    ignore = {"origin", "fingerprint", "ingested_at", "skipped", "warnings"}
    cols = [c for c in TABLES[table] if c not in ignore]
    with Workspace(path, read_only=True) as ws:
        select = ", ".join(comparable(table, c) for c in cols)
        return ws.con.sql(f"SELECT {select} FROM {table} ORDER BY ALL").to_arrow_table()


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


def test_lanes_are_balanced_on_read_cost_not_on_bytes(tmp_path: Path) -> None:
    """The benchmark dump's sizes (MB): on bytes alone the parent's lane got Posts, Comments and
    Votes, and finished 1.2 s after the worker's; weighted by READ_COST both lanes are level."""
    sizes = {"Posts": 170, "PostHistory": 170, "Comments": 45, "Users": 40, "Votes": 40, "Badges": 25,
             "PostLinks": 5, "Tags": 5}
    for name, mb in sizes.items():
        with (tmp_path / f"{name}.xml").open("wb") as f:
            f.truncate(mb << 20)  # sparse: only the sizes matter here
    tasks = stackexchange._tasks(stackexchange._locate(tmp_path))
    cost = {t.arg[0]: t.weight / (1 << 20) for t in tasks}
    assert cost["votes"] == pytest.approx(40 * 2.3) and cost["posthistory"] == pytest.approx(170 * 0.5)
    here, there = lanes([t.weight for t in tasks], 2, head=SPAWN_HEAD)
    parent, worker = ({tasks[i].arg[0] for i in lane} for lane in (here, there))
    assert parent == {"posts", "badges", "users", "postlinks", "tags"}
    assert worker == {"votes", "posthistory", "comments"}
    loads = sum(cost[k] for k in parent), SPAWN_HEAD / (1 << 20) + sum(cost[k] for k in worker)
    assert abs(loads[0] - loads[1]) < 0.03 * sum(loads)


def test_a_parsing_worker_imports_neither_duckdb_nor_py7zr() -> None:
    """What a worker imports to parse XML files (start-up is paid per worker): not the store's
    engine, not the other platforms, not py7zr; ``communitas.Workspace`` still works on demand."""
    code = ("import sys, communitas, communitas.sources.stackexchange, communitas.sources.parallel, "
            "communitas.staging\n"
            "print(sorted(m for m in ('duckdb', 'py7zr', 'communitas.store', 'communitas.sources.mbox') "
            "if m in sys.modules))\n"
            "communitas.Workspace\nprint('duckdb' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["[]", "True"]
