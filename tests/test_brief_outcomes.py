"""The backtest's outcome look-ups (``communitas.brief.outcomes.After``), read for every date from
one in-memory copy of the contributions (:class:`~communitas.brief.outcomes.Later`), against the
same questions asked of the store by a query per date (:class:`PerDate`: the look-ups as they
were written before, one Ibis query each), on the brief's small community at several dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pytest
from tests.brief_corpus import NOW, SID, D, build

from communitas.brief import outcomes
from communitas.brief.asof import Timeline
from communitas.metrics import interaction, scope
from communitas.store import Workspace

U = f"{SID}:u:"
DATES = [datetime(2023, 12, 1, tzinfo=UTC), datetime(2024, 3, 1, 6, tzinfo=UTC), NOW - 4 * D]


class PerDate:
    """The look-ups as one query on the whole store per date and question."""

    def __init__(self, timeline: Any, at: datetime) -> None:
        self.t, self.at = timeline, at

    def _window(self, days: int) -> ir.Table:
        h = scope.history(self.t.full, source_id=self.t.source_id)
        end = self.at + timedelta(days=days)
        return h.filter((h.created_at >= ibis.literal(self.at)) & (h.created_at < ibis.literal(end))
                        & h.author_id.notnull())

    def active(self, members: list[str], days: int) -> set[str]:
        df = outcomes.among(self._window(days), "author_id", members).select("author_id").distinct().execute()
        return set(df.author_id)

    def active_elsewhere(self, members: list[str], own: list[str], days: int) -> set[str]:
        df = outcomes.among(self._window(days), "author_id", members).select(
            "author_id", "thread_id").distinct().execute()
        mine = dict(zip(members, own, strict=True))
        return {a for a, t in zip(df.author_id, df.thread_id, strict=True) if t != mine.get(a)}

    def first_responses(self, thread_ids: list[str]) -> dict[str, Any]:
        t = interaction.thread_stats(self.t.full, source_id=self.t.source_id)
        df = outcomes.among(t, "thread_id", thread_ids).select("thread_id", "first_response_at").execute()
        return dict(zip(df.thread_id, df.first_response_at, strict=True))

    def answered_places(self, members: list[str], days: int) -> set[tuple[str, str]]:
        h = outcomes.among(self._window(days), "author_id", members)
        th = scope.threads(self.t.full, source_id=self.t.source_id).select("thread_id", "starter")
        j = h.join(th, "thread_id")
        j = j.filter(~j.author_id.identical_to(j.starter)).join(self.t.thread_place(), "thread_id")
        df = j.select("author_id", "place_id").distinct().execute()
        return set(zip(df.author_id, df.place_id, strict=True))

    def replied_pairs(self, members: list[str], days: int) -> set[tuple[str, str]]:
        r = outcomes.among(outcomes.among(self._window(days), "author_id", members), "reply_to_member_id",
                           members)
        lo = ibis.least(r.author_id, r.reply_to_member_id)
        hi = ibis.greatest(r.author_id, r.reply_to_member_id)
        df = r.filter(lo != hi).select(a=lo, b=hi).distinct().execute()
        return set(zip(df.a, df.b, strict=True))

    def core(self, days: int) -> set[str]:
        h = self._window(days)
        per = h.group_by(member=h.author_id).aggregate(n=h.count())
        w = ibis.window(order_by=[per.n.desc(), per.member], preceding=None, following=0)
        before = (per.n.sum().over(w) - per.n) / per.n.sum().over()
        per = per.mutate(before=before)
        return set(per.filter(per.before < outcomes.CORE_SHARE).select("member").execute().member)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("outcomes") / "brief.duckdb"
    with Workspace(path) as ws:
        build(ws)
    return path


def test_every_look_up_equals_a_query_per_date(store: Path) -> None:
    members = [U + m for m in ("h", "a", "b", "q", "r", "c", "s", "n1", "n2", "n6")] + [U + "nobody"]
    some = [U + "a", U + "h", U + "s"]
    seen: dict[str, int] = {}
    with Workspace(store, read_only=True) as ws, Timeline(ws, None) as timeline:
        started = scope.threads(timeline.full).order_by("started_at").execute()
        threads = [*started.thread_id, f"{SID}:t:none"]
        own = {m: f"{SID}:t:none" for m in members}  # each member's first thread, if they started one
        own.update({m: t for m, t in zip(started.starter[::-1], started.thread_id[::-1], strict=True)})
        for at in DATES:
            fast, slow = outcomes.After(timeline, at), PerDate(timeline, at)
            for days in (outcomes.HORIZON, 1):
                for who in (members, some):
                    mine = [own[m] for m in who]
                    got: dict[str, tuple[Any, Any]] = {
                        "active": (fast.active(who, days), slow.active(who, days)),
                        "elsewhere": (fast.active_elsewhere(who, mine, days),
                                      slow.active_elsewhere(who, mine, days)),
                        "places": (fast.answered_places(who, days), slow.answered_places(who, days)),
                        "pairs": (fast.replied_pairs(who, days), slow.replied_pairs(who, days))}
                    for name, (a, b) in got.items():
                        assert a == b, (name, at, days, who)
                        seen[name] = seen.get(name, 0) + len(a)
                assert fast.core(days) == slow.core(days), (at, days)
                seen["core"] = seen.get("core", 0) + len(fast.core(days))
            first, want = fast.first_responses(threads), slow.first_responses(threads)
            assert first.keys() == want.keys()
            assert all(pd.isna(want[t]) if pd.isna(first[t]) else first[t] == want[t] for t in want)
            assert any(pd.isna(v) for v in first.values()) and any(not pd.isna(v) for v in first.values())
    # every look-up found something somewhere (the comparison is not between empty sets only)
    assert set(seen) == {"active", "elsewhere", "places", "pairs", "core"}
    assert all(n > 0 for n in seen.values()), seen


def test_a_window_is_half_open(store: Path) -> None:
    """A contribution at the date itself is after it; one at the window's end is not in it:
    N3 (n3's only post, NOW - 2 h) and h's answer at NOW."""
    n3 = U + "n3"
    with Workspace(store, read_only=True) as ws, Timeline(ws, None) as timeline:
        at = NOW - timedelta(hours=2)
        assert outcomes.After(timeline, at).active([n3], 1) == {n3}
        assert outcomes.After(timeline, at - D).active([n3], 1) == set()
        assert outcomes.After(timeline, at + timedelta(microseconds=1)).active([n3], 1) == set()
