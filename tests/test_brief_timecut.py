"""The backtest's fast cut (``communitas.brief.timecut``) makes every canonical table exactly as
the replay's cut (``communitas.replay.cut_tables``) does — rows, values and order — at every
moment something changes in a corpus built to hold each of the rules' cases (day d is
2024-01-01 00:00 UTC + d days):

    threads   t1 made day 1, first post day 2; t2 made day 10 but its first post on day 5 (a
              clock skew: seen from day 5); t3 made day 20, no post; t4 never dated, a post day 30
    accepted  t1's answer p1b (day 3) with an accept reaction on day 4; t2's answer p2b (day 6)
              with no accept reaction; t4's answer p4b (day 31) accepted on day 28 (before the
              answer: counts from day 31); t3 names a post that does not exist
    closed    t2 closed on day 15 (status closed), t1 marked closed but never dated
    members   a joined day 0; b posts first on day 2; c only reacts (day 8, on p1a); d only has an
              event (day 12); e reacts on day 9 to p4b (made day 31: counts from day 31); f
              never appears; g reacts day 7 to a post that does not exist
    places    tags of t1 (day 2 on), t2 (day 5 on), t4 (day 30 on)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from communitas.brief.timecut import Cutter
from communitas.replay import _VIEWS, cut_tables
from communitas.store import Workspace

T0 = datetime(2024, 1, 1, tzinfo=UTC)
S = "tc"


def day(d: float) -> datetime:
    return T0 + timedelta(days=d)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("timecut") / "timecut.duckdb"
    with Workspace(path) as ws:
        con = ws.con
        con.execute("INSERT INTO sources (source_id, platform, name) VALUES (?, 'test', 'timecut')", [S])
        con.executemany("INSERT INTO members (member_id, source_id, joined_at, last_seen_at) "
                        "VALUES (?, ?, ?, ?)",
                        [(m, S, day(0) if m == "a" else None, day(11)) for m in "abcdefg"])
        con.executemany("INSERT INTO places (place_id, source_id, kind, name, created_at) "
                        "VALUES (?, ?, 'tag', ?, ?)",
                        [("x", S, "x", None), ("y", S, "y", day(25))])
        con.executemany(
            "INSERT INTO threads (thread_id, source_id, place_id, author_id, created_at, status, "
            "accepted_post_id, closed_at) VALUES (?, ?, 'x', ?, ?, ?, ?, ?)",
            [("t1", S, "a", day(1), "closed", "p1b", None), ("t2", S, "b", day(10), "closed", "p2b", day(15)),
             ("t3", S, "a", day(20), "accepted", "nope", None),
             ("t4", S, "b", None, "accepted", "p4b", None)])
        con.executemany("INSERT INTO thread_places VALUES (?, ?, ?, 0)",
                        [("t1", "x", S), ("t2", "y", S), ("t4", "x", S)])
        con.executemany(
            "INSERT INTO posts (post_id, source_id, thread_id, author_id, created_at, kind, is_contribution) "
            "VALUES (?, ?, ?, ?, ?, 'message', true)",
            [("p1a", S, "t1", "b", day(2)), ("p1b", S, "t1", "a", day(3)), ("p2a", S, "t2", "b", day(5)),
             ("p2b", S, "t2", "a", day(6)), ("p4a", S, "t4", "a", day(30)), ("p4b", S, "t4", "b", day(31))])
        con.executemany("INSERT INTO reactions (reaction_id, source_id, post_id, member_id, kind, "
                        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                        [("r1", S, "p1b", "a", "accept", day(4)), ("r2", S, "p1a", "c", "upvote", day(8)),
                         ("r3", S, "p4b", "e", "upvote", day(9)), ("r4", S, "p4b", "b", "accept", day(28)),
                         ("r5", S, "gone", "g", "upvote", day(7))])
        con.execute("INSERT INTO events (event_id, source_id, category, kind, created_at, member_id) "
                    "VALUES ('e1', ?, 'membership', 'join', ?, 'd')", [S, day(12)])
    return path


MOMENTS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 28, 30, 31]
DATES = sorted({day(d) + timedelta(microseconds=e) for d in MOMENTS for e in (0, 1)} | {day(40)})


def test_the_fast_cut_is_the_replays(store: Path) -> None:
    with Workspace(store, read_only=True) as ws:
        want, got = ws.con.cursor(), ws.con.cursor()
        cutter = Cutter(got)
        changed = set()
        for at in DATES:
            cut_tables(want, at)
            cutter.cut(at)
            for name, _ in _VIEWS:
                rows = want.execute(f'SELECT * FROM temp."{name}"').fetchall()
                assert got.execute(f'SELECT * FROM temp."{name}"').fetchall() == rows, (name, at)
                changed.add((name, len(rows)))
        cutter.close()
    # the corpus moves every table the fast cut makes through its cases
    sizes = {name: sorted(n for t, n in changed if t == name)
             for name in ("threads", "members", "thread_places")}
    # members: a (day 0), b (2), c (8), d (12), e (31); f and g never
    assert sizes == {"threads": [0, 1, 2, 3, 4], "members": [0, 1, 2, 3, 4, 5],
                     "thread_places": [0, 1, 2, 3]}


def test_the_accepted_answers_by_hand(store: Path) -> None:
    with Workspace(store, read_only=True) as ws:
        con = ws.con.cursor()
        cutter = Cutter(con)
        seen = {}
        for d in (3.5, 4.5, 29, 32):
            cutter.cut(day(d))
            seen[d] = dict(con.execute("SELECT thread_id, accepted_post_id FROM temp.threads").fetchall())
        cutter.close()
    assert seen[3.5] == {"t1": None}  # p1b made, its accept reaction not yet
    assert seen[4.5] == {"t1": "p1b"}
    assert seen[29] == {"t1": "p1b", "t2": "p2b", "t3": None}  # t4 not seen yet (no date, no post)
    assert seen[32] == {"t1": "p1b", "t2": "p2b", "t3": None, "t4": "p4b"}
