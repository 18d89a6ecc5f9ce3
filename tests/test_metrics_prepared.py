"""``scope.PreparedBackend``: contributions materialised once, in a compressed scratch database on DuckDB,
give what the metrics compute without it, and leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from communitas.metrics import people, place, scope
from communitas.metrics.base import contributions
from communitas.store import Workspace

KW = {"since": None, "until": None, "place": None, "source_id": None, "include_bots": False}


def _databases(ws: Workspace) -> set[str]:
    return {r[0] for r in ws.con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}


def test_memo_tables_live_in_a_scratch_database_detached_on_exit(beer_store: Path) -> None:
    with Workspace(beer_store, read_only=True) as ws:
        b = ws.ibis()
        before = _databases(ws)
        plain_conc = place.place_concentration(b, **KW)
        plain_ineq = people.participation_inequality(b, **KW)
        with scope.PreparedBackend(b) as pb:
            memo = pb.contributions(None, False)
            scratch = _databases(ws) - before
            assert len(scratch) == 1 and next(iter(scratch)).startswith("_communitas_scratch_")
            n = int(memo.count().execute())
            assert n == int(contributions(b, source_id=None, include_bots=False).count().execute())
            # sums may run in another order over the memo's layout: equal to the last bits
            assert place.place_concentration(pb, **KW) == pytest.approx(plain_conc, rel=1e-12)
            assert people.participation_inequality(pb, **KW) == pytest.approx(plain_ineq, rel=1e-12)
        assert _databases(ws) == before
        memos = "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_communitas_memo%'"
        assert ws.con.execute(memos).fetchone() == (0,)
