"""The brief's reply network cut from arrays (``communitas.brief.replies``): the backtest's
timeline, read once for every date, gives the same year and quarter figures as the network
module computes on the store replayed at each date (``network.graph.window_graphs`` over
``communitas.replay``), and so does the brief's own read.

The corpus (day d is 2024-01-01 00:00 UTC + d days; every post a contribution unless said):

    a, b, c, d  reply to each other (a triangle a-b-c, d hanging on a); weekly from day 0 to 400
    e           replies to a on day 35 00:00 exactly (a year window's start at 400)
                and on day 310 00:00 exactly (the last quarter's start at 400)
    f           replies to a at day 400 00:00 exactly (at the date 400: not seen yet)
    z           a bot whose member row first exists on day 200 (its only post); a replies to z on
                day 100 (a source's clock skew): a tie until z is known, none after
    s           a system account (joined day 0): c's replies to it never count
    c           also replies to itself (dropped); an author-less post replies to b (no tie);
                a non-contribution post of d replies to b (not a contribution: no tie)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from communitas.brief import ties
from communitas.brief.asof import Timeline
from communitas.brief.base import BriefContext
from communitas.metrics import scope
from communitas.network.graph import GraphOptions, window_graphs
from communitas.network.roles import trajectories
from communitas.replay import as_of_view
from communitas.report.context import Pseudonyms, store_salt
from communitas.store import Workspace

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SID = "rp"


def day(d: float) -> datetime:
    return T0 + timedelta(days=d)


def corpus() -> list[tuple[str, str | None, float, str | None, bool]]:
    """(post, author, day, replied-to member, contribution)."""
    posts: list[tuple[str, str | None, float, str | None, bool]] = []
    pairs = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a"), ("b", "a")]
    for week in range(58):
        for i, (x, y) in enumerate(pairs):
            if (week + i) % 3:  # not every pair every week: windows differ
                posts.append((f"w{week}{x}{y}", x, 7 * week + i / 10, y, True))
    posts += [("e1", "e", 35, "a", True), ("e2", "e", 310, "a", True), ("f1", "f", 400, "a", True),
              ("z0", "z", 200, None, True), ("az", "a", 100, "z", True), ("cs", "c", 120, "s", True),
              ("cs2", "c", 330, "s", True), ("cc", "c", 150, "c", True), ("nb", None, 160, "b", True),
              ("db", "d", 170, "b", False)]
    return posts


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("replies") / "replies.duckdb"
    with Workspace(path) as ws:
        con = ws.con
        con.execute("INSERT INTO sources (source_id, platform, name) VALUES (?, 'test', 'replies')", [SID])
        con.executemany("INSERT INTO members (member_id, source_id, is_bot, is_system, joined_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [(m, SID, m == "z", m == "s", day(0) if m == "s" else None) for m in "abcdefsz"])
        con.execute("INSERT INTO threads (thread_id, source_id, author_id, created_at) "
                    "VALUES ('t', ?, 'a', ?)", [SID, day(0)])
        con.executemany(
            "INSERT INTO posts (post_id, source_id, thread_id, author_id, created_at, reply_to_member_id, "
            "kind, is_contribution) VALUES (?, ?, 't', ?, ?, ?, 'message', ?)",
            [(p, SID, who, day(d), to, contrib) for p, who, d, to, contrib in corpus()])
    return path


SPANS = [(ties.YEAR, 0)] + [(90 * (4 - i), 90 * (3 - i)) for i in range(4)]
DATES = [day(150), day(250), day(310), day(400)]  # 310 and 400: a post exactly at the date


def replayed(view: Any, at: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The year's figures and the quarters' positions from the network module's own graphs on
    ``view`` (the store replayed at ``at``; names, ties and members asked of it per window)."""
    ctx = BriefContext(view, scope.Prepared(view.ibis()), None, at, Pseudonyms(store_salt(view)))
    graphs = window_graphs(view.ibis(), ties._windows(ctx, SPANS), GraphOptions())
    year = ties._year(graphs[0], graphs[0].vs["name"])
    quarters = pd.concat([pd.DataFrame({"window": k - 1, "member_id": g.vs["name"],
                                        "position": ties._positions(ties.undirected(g))})
                          for k, g in graphs.items() if k and g.vcount()], ignore_index=True)
    return year, quarters


def brief_network(view: Any, backend: Any, at: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    ctx = BriefContext(view, backend, None, at, Pseudonyms(store_salt(view)))
    return ties.year_roles(ctx), ties.quarter_roles(ctx)


@pytest.fixture(scope="module")
def figures(store: Path) -> dict[str, list[tuple[pd.DataFrame, pd.DataFrame]]]:
    out: dict[str, list[tuple[pd.DataFrame, pd.DataFrame]]] = {"replayed": [], "carried": [], "read": []}
    with Workspace(store, read_only=True) as ws, Timeline(ws, None) as timeline:
        for at in DATES:
            with timeline.at(at) as backend:
                out["carried"].append(brief_network(ws, backend, at))
            with as_of_view(ws, at) as view, scope.Prepared(view.ibis()) as b:
                out["replayed"].append(replayed(view, at))
                out["read"].append(brief_network(view, b, at))
    return out


@pytest.mark.parametrize("how", ["carried", "read"])
def test_the_network_cut_from_arrays_is_the_replayed_one(figures: dict[str, Any], how: str) -> None:
    for at, want, got in zip(DATES, figures["replayed"], figures[how], strict=True):
        pd.testing.assert_frame_equal(got[0], want[0], obj=f"year at {at}")
        pd.testing.assert_frame_equal(got[1], want[1], obj=f"quarters at {at}")


def test_the_windows_by_hand(figures: dict[str, Any]) -> None:
    contacts = [dict(zip(y["member_id"], y["contacts"], strict=True)) for y, _ in figures["carried"]]
    # day 150: a's reply to z (not yet known as a bot) is a tie; c's replies to s never are; c's
    # reply to itself, the author-less post and d's non-contribution add nothing
    assert contacts[0] == {"a": 5, "b": 2, "c": 2, "d": 1, "e": 1, "z": 1}
    # day 250: z is known (its post on day 200): no tie to it, and its own post is a bot's
    assert contacts[1] == {"a": 4, "b": 2, "c": 2, "d": 1, "e": 1}
    # day 400: the year starts on day 35 00:00, e's reply then is in; f's at 400 00:00 is not yet
    assert contacts[3] == {"a": 4, "b": 2, "c": 2, "d": 1, "e": 1}
    quarters = figures["carried"][3][1]
    # quarters at 400: [40, 130), [130, 220), [220, 310), [310, 400]; e's reply on day 310 00:00
    # is in the last one, not in [220, 310); its reply on day 35 in none
    assert set(quarters.loc[quarters["window"] == 3, "member_id"]) == {"a", "b", "c", "d", "e"}
    pd.testing.assert_frame_equal(trajectories(quarters, members=["e"]),
                                  pd.DataFrame([{"member_id": "e", "windows_active": 1, "first_window": 3,
                                                 "first_core_window": None, "periphery_to_core": False,
                                                 "path": "periphery"}]), check_dtype=False)
    # at 310 (quarters from day -50): the post at 310 00:00 exactly is not seen yet, day 35's is
    at310 = figures["carried"][2][1]
    assert at310.loc[at310["member_id"] == "e", ["window", "position"]].values.tolist() == [[0, "periphery"]]
