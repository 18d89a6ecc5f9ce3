"""The backtest's Welcome check on the real beer.stackexchange.com dump, at the five dates of
``tests/test_brief_beer.py``, against the same figures counted from the raw XML with the
standard library (``tests.test_metrics_beer.Raw``; no communitas code): who is selected (the
independent rule of ``test_brief_beer.expected``), the baseline (the 10 newest newcomers of the
30 days before the date), who was still unanswered a week after the date, and who came back
within 90 days to a thread other than their first question. Runs the check on the backtest's
own as-of views, never writing the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.test_brief_beer import DATES, SITE, expected
from tests.test_metrics_beer import Raw

from communitas.brief import outcomes
from communitas.brief.asof import Timeline
from communitas.brief.base import BriefContext
from communitas.report.context import Pseudonyms, store_salt
from communitas.store import Workspace


@pytest.fixture(scope="module")
def raw() -> Raw:
    return Raw()


@pytest.fixture(scope="module")
def timeline(beer_store: Path) -> Iterator[tuple[Workspace, Timeline]]:
    with Workspace(beer_store, read_only=True) as ws, Timeline(ws, None) as t:
        yield ws, t


def first_responses(raw: Raw) -> dict[str, datetime]:
    """Per question: its first contribution by someone other than the asker (any time)."""
    first: dict[str, datetime] = {}
    for author, created, thread, key in raw.contribs:
        if thread is None or key == "p" + thread or thread not in raw.questions:
            continue
        if author != raw.questions[thread][0] and (thread not in first or created < first[thread]):
            first[thread] = created
    return first


def by_hand(raw: Raw, at: datetime) -> dict[str, tuple[int, int, int, int]]:
    """``(hits, n, base_hits, base_n)`` of both Welcome measures, from the raw XML."""
    first_resp = first_responses(raw)
    first: dict[str, tuple[datetime, str]] = {}
    for author, created, _, key in raw.contribs:
        if author is not None and (author not in first or (created, key) < first[author]):
            first[author] = (created, key)
    pool = sorted(((c, key[1:], m) for m, (c, key) in first.items()
                   if key[0] == "p" and key[1:] in raw.questions and at - timedelta(days=30) <= c < at),
                  key=lambda x: (-x[0].timestamp(), x[1]))
    chosen, _ = expected(raw, at)
    sel = [q for _, q, m in pool if f"{SITE}:u:{m}" in chosen][:10]
    week = at + timedelta(days=7)
    waiting = {q for _, q, _ in pool if q not in first_resp or first_resp[q] >= week}
    base = [q for _, q, _ in pool][:10]
    # came back: a contribution in the 90 days after, to a thread other than their first question
    later: dict[str, set[str | None]] = {}
    for a, c, thread, _ in raw.contribs:
        if a is not None and at <= c < at + timedelta(days=90):
            later.setdefault(a, set()).add(thread)
    back = {(m, q) for _, q, m in pool if later.get(m, set()) - {q}}
    answered = [(m, q) for _, q, m in pool if q not in waiting]
    ignored = [(m, q) for _, q, m in pool if q in waiting]
    return {"precision@10": (sum(q in waiting for q in sel), len(sel),
                             sum(q in waiting for q in base), len(base)),
            "return within 90 days": (sum(x in back for x in answered), len(answered),
                                      sum(x in back for x in ignored), len(ignored))}


@pytest.mark.parametrize("day", DATES)
def test_welcome_backtest_counts_match_the_raw_xml(raw: Raw, timeline: tuple[Workspace, Timeline],
                                                   day: str) -> None:
    ws, t = timeline
    at = datetime.fromisoformat(day).replace(tzinfo=UTC)
    with t.at(at) as backend:
        ctx = BriefContext(ws, backend, None, at, Pseudonyms(store_salt(ws)))
        got = outcomes.check_welcome(ctx, outcomes.After(t, at))
    want = by_hand(raw, at)
    for measure, tally in got.items():
        assert (tally.hits, tally.n, tally.base_hits, tally.base_n) == want[measure], measure


def test_the_dates_are_not_all_empty(raw: Raw) -> None:
    """Newcomers were waiting and others were answered at these dates (the check proves something)."""
    totals = [by_hand(raw, datetime.fromisoformat(d).replace(tzinfo=UTC)) for d in DATES]
    assert sum(t["precision@10"][1] for t in totals) >= 7
    assert sum(t["return within 90 days"][1] for t in totals) >= 5
