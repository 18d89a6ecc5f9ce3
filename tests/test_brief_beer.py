"""The brief's Welcome kind replayed on the real beer.stackexchange.com dump, checked against a
selection this test makes itself from the raw XML (gzip + xml.etree, through
``tests.test_metrics_beer.Raw``; no communitas code), using only what existed before each date.

Independent rule (docs/brief.md *Welcome*): N = the 75th percentile (linear interpolation) of
hours to first response over questions asked in the year before the date that got a response
before it; selected = members whose first contribution before the date is a question asked in
the 30 days before it and at least N hours before it, with no response before the date.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.test_metrics_beer import SYSTEM, Raw

from communitas import brief
from communitas.store import Workspace

SITE = "stackexchange:beer.stackexchange.com"
DATES = ["2014-02-01", "2015-03-01", "2016-06-01", "2017-12-01", "2019-06-01"]


@pytest.fixture(scope="module")
def raw() -> Raw:
    return Raw()


@pytest.fixture(scope="module")
def ws(beer_store: Path) -> Iterator[Workspace]:
    with Workspace(beer_store, read_only=True) as w:
        yield w


def expected(raw: Raw, at: datetime) -> tuple[set[str], float]:
    seen = [c for c in raw.contribs if c[1] < at]
    first_resp: dict[str, datetime] = {}
    for author, created, thread, key in seen:
        if thread is None or key == "p" + thread or thread not in raw.questions:
            continue
        if author != raw.questions[thread][0] and (thread not in first_resp or created < first_resp[thread]):
            first_resp[thread] = created
    asked = {q: (o, c) for q, (o, c) in raw.questions.items() if c < at and o != SYSTEM}
    year = [(first_resp[q] - c).total_seconds() / 3600 for q, (_, c) in asked.items()
            if q in first_resp and c >= at - timedelta(days=365)]
    if len(year) < 10:
        year = [(first_resp[q] - c).total_seconds() / 3600 for q, (_, c) in asked.items() if q in first_resp]
    n = statistics.quantiles(year, n=4, method="inclusive")[2]
    first: dict[str, tuple[datetime, str]] = {}
    for author, created, _, key in seen:
        if author is not None and (author not in first or (created, key) < first[author]):
            first[author] = (created, key)
    out = set()
    for member, (created, key) in first.items():
        qid = key[1:]
        if key[0] == "p" and qid in asked and qid not in first_resp \
                and at - timedelta(days=30) <= created <= at - timedelta(hours=n):
            out.add(f"{SITE}:u:{member}")
    return out, n


@pytest.mark.parametrize("day", DATES)
def test_welcome_replayed_matches_the_raw_xml(raw: Raw, ws: Workspace, day: str) -> None:
    at = datetime.fromisoformat(day).replace(tzinfo=UTC)
    want, n = expected(raw, at)
    got = brief.items(ws, as_of=at, kinds=["welcome"])
    assert {i["subject_ids"][0] for i in got} == want
    for i in got:
        assert i["figures"]["threshold_hours"] == pytest.approx(n, abs=0.05)


def test_some_replayed_date_selects_a_newcomer(raw: Raw) -> None:
    """The dates above are not all empty selections (the check would then prove little)."""
    assert sum(len(expected(raw, datetime.fromisoformat(d).replace(tzinfo=UTC))[0]) for d in DATES) >= 7
