"""``$COMMUNITAS_MEMORY``: DuckDB's share of the cap on every connection, spilling beyond it, and
the network taken a few windows at a time with its role rows spilled, the figures unchanged.

(``tests/test_memory_cap.py`` checks that every real sample is ingested, profiled and reported
within 1 GiB; docs/scale.md has the measurements at 1 M to 10 M posts.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from communitas import memory
from communitas.errors import UsageError
from communitas.network import analyse
from communitas.network import role_table as rt
from communitas.network.graph import (
    GraphOptions,
    build_graph,
    first_posts,
    reply_ties,
    rolling_windows,
    staff_flags,
    window_chunks,
    window_members,
)
from communitas.network.group import fetch_group
from communitas.network.summary import summary
from communitas.store import Workspace


def test_sizes_are_read_as_duckdb_reads_them() -> None:
    assert memory.parse_size("1GB") == 10**9
    assert memory.parse_size("768 MiB") == 768 * 2**20
    assert memory.parse_size("1.5GB") == 1_500_000_000
    with pytest.raises(UsageError, match="COMMUNITAS_MEMORY"):
        memory.parse_size("lots")


def _limit(con: object) -> str:
    return str(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])  # type: ignore[attr-defined]


def test_every_store_connection_gets_its_share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(memory.MEMORY_ENV, raising=False)
    with Workspace(tmp_path / "w.duckdb") as ws:
        assert _limit(ws.con) == "286.1 MiB"  # 0.3 of 1 GB = 300,000,000 bytes
    monkeypatch.setenv(memory.MEMORY_ENV, "500MB")
    with Workspace(tmp_path / "w.duckdb", read_only=True) as ws:
        assert _limit(ws.con) == "143.0 MiB"  # 150,000,000 bytes (DuckDB rounds down)


_HEAVY = """
import sys
from communitas.store import Workspace
with Workspace(sys.argv[1], read_only=True) as ws:
    sql = "SELECT count(DISTINCT 'member-' || i::VARCHAR) FROM range(4000000) t(i)"
    n = ws.con.execute(sql).fetchall()[0][0]
assert n == 4000000
# VmHWM: this process's own high-water mark (ru_maxrss would also count the parent's resident
# memory at the fork before exec: a pytest process that imported much reads as a peak here)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(int(hwm.split()[1]) // 1024)
"""


def _peak_mb(store: Path, cap: str) -> int:
    env = {**os.environ, memory.MEMORY_ENV: cap, "COMMUNITAS_WORKERS": "2"}
    out = subprocess.run([sys.executable, "-c", _HEAVY, str(store)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return int(out.split()[-1])


def test_a_query_larger_than_the_cap_spills_instead(tmp_path: Path) -> None:
    """A hash table of 4 M distinct strings: about 600 MB in memory, yet a process capped at 300 MB
    finishes it within the cap (DuckDB spills to disk), and the cap is what made the difference."""
    store = tmp_path / "w.duckdb"
    Workspace(store).close()
    capped = _peak_mb(store, "300MB")
    free = _peak_mb(store, "8GB")
    assert capped < 300, capped
    assert free > capped + 100, (free, capped)


@pytest.fixture(scope="module")
def beer(beer_store: Path) -> Workspace:
    ws = Workspace(beer_store, read_only=True)
    yield ws  # type: ignore[misc]
    ws.close()


def test_windows_in_chunks_and_spilled_roles_give_the_same_network(
        beer: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = beer.ibis()
    whole = analyse(backend)
    assert len(whole.graphs) == len(whole.figures) > 10
    windows = rolling_windows(backend, GraphOptions())
    monkeypatch.setenv(memory.MEMORY_ENV, "2MB")  # a budget of 2,000 (post, window) pairs per chunk
    chunks = window_chunks(backend, windows, GraphOptions())
    assert 3 < len(chunks) < len(windows)
    assert pd.concat(chunks, ignore_index=True).equals(windows)
    monkeypatch.setattr(rt, "SPILL_ROWS", 500)
    small = analyse(backend, graphs="last")
    assert small.role_table._con is not None  # the rows went to DuckDB
    # which draws no progress bar on stdout (an insert over 2 s once broke `network --json`)
    bar = "SELECT current_setting('enable_progress_bar')"
    assert small.role_table._con.execute(bar).fetchall() == [(False,)]
    assert list(small.graphs) == [int(windows["window"].iloc[-1])]
    pd.testing.assert_frame_equal(small.figures, whole.figures)
    pd.testing.assert_frame_equal(small.roles, whole.roles)
    busiest = whole.roles.groupby("member_id")["contacts"].sum().sort_values(ascending=False, kind="stable")
    assert small.role_table.most_contacts(3) == busiest.index[:3].tolist()
    assert summary(small, top=5) == summary(whole, top=5)
    member = busiest.index[0]
    assert summary(small, member=member) == summary(whole, member=member)


def test_a_window_group_builds_the_graphs_build_graph_makes_from_the_frames(beer: Workspace) -> None:
    """The integer-coded group (member ids coded once per group, never a Python string per tie)
    gives every window the graph ``build_graph`` makes from the ties' and members' frames: same
    vertices in the same order, same edges, weights and staff flags; and each vertex's first
    contribution, looked up per group or in the table of every member's first made once."""
    backend = beer.ibis()
    windows = rolling_windows(backend, GraphOptions())
    ties, active = reply_ties(backend, windows), window_members(backend, windows)
    staff = staff_flags(backend).set_index("member_id")["staff"]
    group = fetch_group(backend, windows)
    cached = fetch_group(backend, windows, firsts=first_posts(backend))
    checked = 0
    for key in windows["window"].tolist():
        act = active[active["window"] == key]
        expected = build_graph(act["member_id"], ties[ties["window"] == key], staff)
        for g, first in (group.graph(key, staff), cached.graph(key, staff)):
            assert g.vs["name"] == expected.vs["name"]
            assert g.get_edgelist() == expected.get_edgelist()
            assert g.es["weight"] == expected.es["weight"]
            assert g.vs["staff"] == expected.vs["staff"]
            firsts = act.set_index("member_id")["first_post_at"].reindex(g.vs["name"])
            assert first.tolist() == firsts.tolist()
            assert str(first.dtype) == "datetime64[us, UTC]"
        checked += expected.ecount()
    assert checked == len(ties) > 1000


def test_an_in_memory_connection_spills_outside_the_working_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB's default for an in-memory connection is ``.tmp`` in the working folder (spill files
    of a 10 M-post network once landed in a repository that way)."""
    import tempfile

    import duckdb

    monkeypatch.delenv(memory.TEMP_ENV, raising=False)
    con = duckdb.connect()
    assert con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0] == ".tmp"
    memory.bound(con)
    temp = con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
    assert temp.startswith(tempfile.gettempdir()), temp
    monkeypatch.setenv(memory.TEMP_ENV, "/somewhere/else")
    memory.bound(con)
    assert con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0] == "/somewhere/else"
    con.close()
