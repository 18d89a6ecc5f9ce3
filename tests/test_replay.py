"""The as-of view (``communitas.replay``): what the store looked like at a past moment, table by
table, on a store built in code; the workspace's own connection is left whole."""

from __future__ import annotations

from pathlib import Path

from communitas.metrics.scope import Scope
from communitas.replay import as_of_view
from communitas.store import Workspace

SID = "test:replay"


def build(ws: Workspace) -> None:
    c = ws.con
    c.execute("INSERT INTO sources (source_id, platform, name, last_activity_at) "
              "VALUES (?, 'test', 'replay', '2020-01-04 00:00+00')", [SID])
    c.executemany("INSERT INTO members (member_id, source_id, joined_at, score) VALUES (?, ?, ?, 10)",
                  [("m1", SID, "2019-12-01 00:00+00"), ("m2", SID, None), ("m3", SID, "2020-02-01 00:00+00")])
    c.executemany("INSERT INTO places (place_id, source_id, kind, name, created_at, item_count) "
                  "VALUES (?, ?, 'tag', ?, ?, 5)",
                  [("pl1", SID, "one", "2019-01-01 00:00+00"), ("pl2", SID, "two", "2020-03-01 00:00+00"),
                   ("pl3", SID, "three", None)])
    c.execute("INSERT INTO threads (thread_id, source_id, place_id, created_at, status, accepted_post_id, "
              "view_count) VALUES ('t1', ?, 'pl3', '2020-01-01 00:00+00', 'accepted', 'p2', 50)", [SID])
    c.execute("INSERT INTO threads (thread_id, source_id, place_id, created_at, status, closed_at) "
              "VALUES ('t2', ?, 'pl1', '2020-01-03 00:00+00', 'closed', '2020-01-20 00:00+00')", [SID])
    c.executemany("INSERT INTO thread_places VALUES (?, ?, ?, 0)", [("t1", "pl3", SID), ("t2", "pl1", SID)])
    c.executemany("INSERT INTO posts (post_id, source_id, thread_id, author_id, created_at, kind, "
                  "is_contribution) VALUES (?, ?, ?, ?, ?, ?, true)",
                  [("p1", SID, "t1", "m1", "2020-01-01 00:00+00", "question"),
                   ("p2", SID, "t1", "m2", "2020-01-02 00:00+00", "answer"),
                   ("p3", SID, "t2", "m1", "2020-01-03 00:00+00", "question"),
                   ("p4", SID, "t2", "m2", "2020-01-04 00:00+00", "answer")])
    c.execute("INSERT INTO reactions (reaction_id, source_id, post_id, kind, created_at) "
              "VALUES ('r1', ?, 'p2', 'accept', '2020-01-10 00:00+00')", [SID])


def test_as_of_cuts_every_table(tmp_path: Path) -> None:
    with Workspace(tmp_path / "r.duckdb") as ws:
        build(ws)
        with as_of_view(ws, "2020-01-03T12:00") as v:
            q = v.con.execute
            assert q("SELECT post_id FROM posts ORDER BY 1").fetchall() == [("p1",), ("p2",), ("p3",)]
            # t1's accept came on 01-10, t2 closed on 01-20: both still open; views unknown
            assert q("SELECT thread_id, status, accepted_post_id, closed_at, view_count FROM threads "
                     "ORDER BY 1").fetchall() == [("t1", "open", None, None, None),
                                                  ("t2", "open", None, None, None)]
            # m3 joined later; today's reputation is not known then
            members = q("SELECT member_id, score FROM members ORDER BY 1").fetchall()
            assert members == [("m1", None), ("m2", None)]
            # pl2 created later; pl3 (no creation time) is used by t1
            assert q("SELECT place_id, item_count FROM places ORDER BY 1").fetchall() == [("pl1", None),
                                                                                       ("pl3", None)]
            assert q("SELECT count(*) FROM reactions").fetchall() == [(0,)]
            assert str(q("SELECT last_activity_at FROM sources").fetchall()[0][0])[:10] == "2020-01-03"
            assert int(v.ibis().table("posts").count().execute()) == 3
        with as_of_view(ws, "2020-01-15") as v:
            assert v.con.execute("SELECT thread_id, status, accepted_post_id FROM threads ORDER BY 1"
                                 ).fetchall() == [("t1", "accepted", "p2"), ("t2", "open", None)]
        with as_of_view(ws, None) as v:
            assert v is ws
        # the workspace's own connection still sees everything
        assert ws.con.execute("SELECT count(*) FROM posts").fetchall() == [(4,)]
        statuses = ws.con.execute("SELECT status FROM threads ORDER BY 1").fetchall()
        assert statuses == [("accepted",), ("closed",)]


def test_scope_is_hashable_and_carries_as_of() -> None:
    s = Scope.of(since="2020-01-01", as_of="2021-01-01", source_id=SID)
    assert hash(s) == hash(Scope.of(since="2020-01-01", as_of="2021-01-01", source_id=SID))
    assert s.as_of is not None and s.as_of.isoformat() == "2021-01-01T00:00:00+00:00"
    assert "as_of" not in s.metric_kwargs() and s.metric_kwargs()["source_id"] == SID
