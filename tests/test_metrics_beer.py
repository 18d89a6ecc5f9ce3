"""The component metrics on the real beer.stackexchange.com dump, checked against figures this test
computes itself from the raw XML with gzip + xml.etree (no communitas code).

Independent definitions, as in docs/metrics.md: contributions are questions, answers and
comments not by the system account (user -1); a thread is a question not asked by -1; a response
is an answer to it, or a comment on it or on one of its answers, by someone other than the asker
(two deleted accounts are not told apart, so they are the same "someone").
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import raw_rows

from communitas.metrics import interaction, people
from communitas.store import Workspace

SYSTEM = "-1"


def _time(raw: str) -> datetime:
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


class Raw:
    """The dump reduced to what the checks need."""

    def __init__(self) -> None:
        self.questions: dict[str, tuple[str | None, datetime]] = {}  # id -> (owner, created)
        self.answer_of: dict[str, str] = {}  # answer id -> question id
        # (author, created, thread question id or None, key) for every contribution
        self.contribs: list[tuple[str | None, datetime, str | None, str]] = []
        for r in raw_rows("stackexchange-beer", "Posts"):
            owner, created = r.get("OwnerUserId"), _time(r["CreationDate"])
            if r["PostTypeId"] == "1":
                self.questions[r["Id"]] = (owner, created)
                self.contribs.append((owner, created, r["Id"], "p" + r["Id"]))
            elif r["PostTypeId"] == "2":
                self.answer_of[r["Id"]] = r["ParentId"]
                self.contribs.append((owner, created, r["ParentId"], "p" + r["Id"]))
        for r in raw_rows("stackexchange-beer", "Comments"):
            on = r["PostId"]
            thread = on if on in self.questions else self.answer_of.get(on)
            self.contribs.append((r.get("UserId"), _time(r["CreationDate"]), thread, "c" + r["Id"]))
        self.contribs = [c for c in self.contribs if c[0] != SYSTEM]
        users = raw_rows("stackexchange-beer", "Users")
        self.reputation = [int(r["Reputation"]) for r in users if r["Id"] != SYSTEM]

    def first_response_hours(self) -> dict[str, float | None]:
        """Per thread (question not by -1): hours to the first response, None without one."""
        first: dict[str, datetime] = {}
        for author, created, thread, key in self.contribs:
            if thread is None or key == "p" + thread or thread not in self.questions:
                continue
            if author == self.questions[thread][0]:
                continue
            if thread not in first or created < first[thread]:
                first[thread] = created
        out: dict[str, float | None] = {}
        for qid, (owner, created) in self.questions.items():
            if owner == SYSTEM:
                continue
            out[qid] = (first[qid] - created).total_seconds() / 3600 if qid in first else None
        return out

    def replied(self) -> set[str]:
        """Threads with an answer (not a comment) by someone other than the asker."""
        out = set()
        for author, _, thread, key in self.contribs:
            if key.startswith("p") and thread is not None and key != "p" + thread:
                asker = self.questions[thread][0]
                if asker != SYSTEM and author != asker:
                    out.add(thread)
        return out

    def per_member(self) -> Counter[str]:
        return Counter(a for a, *_ in self.contribs if a is not None)


@pytest.fixture(scope="module")
def raw() -> Raw:
    return Raw()


@pytest.fixture(scope="module")
def beer(beer_store: Path) -> Iterator[Any]:
    with Workspace(beer_store, read_only=True) as ws:
        yield ws.ibis()


def test_answered_share_and_time_to_first_response(raw: Raw, beer: Any) -> None:
    hours = raw.first_response_hours()
    answered = [h for h in hours.values() if h is not None]
    got = interaction.first_response(beer)
    assert got["threads"] == len(hours) == 1029
    assert got["responded"] == len(answered)
    assert got["answered_share"] == pytest.approx(len(answered) / len(hours))
    assert got["no_response_share"] == pytest.approx(1 - len(answered) / len(hours))
    assert got["replied_share"] == pytest.approx(len(raw.replied()) / len(hours))
    assert got["median_hours"] == pytest.approx(statistics.median(answered), rel=1e-9)
    # p90 with linear interpolation between closest ranks (as numpy's default).
    s = sorted(answered)
    pos = 0.9 * (len(s) - 1)
    lo = math.floor(pos)
    assert got["p90_hours"] == pytest.approx(s[lo] + (s[lo + 1] - s[lo]) * (pos - lo), rel=1e-9)


def test_gini_and_top_shares(raw: Raw, beer: Any) -> None:
    counts = sorted(raw.per_member().values())
    n, total = len(counts), sum(counts)
    gini = sum((2 * (i + 1) - n - 1) * x for i, x in enumerate(counts)) / (n * total)
    top = sorted(counts, reverse=True)
    k1, k10 = math.ceil(n * 0.01), math.ceil(n * 0.10)
    half, acc, absence = total / 2, 0, 0
    while acc < half:
        acc += top[absence]
        absence += 1
    got = people.participation_inequality(beer)
    assert (got["contributors"], got["contributions"]) == (n, total)
    assert got["gini"] == pytest.approx(gini, rel=1e-12)
    assert got["top1_share"] == pytest.approx(sum(top[:k1]) / total)
    assert got["next9_share"] == pytest.approx(sum(top[k1:k10]) / total)
    assert got["absence_factor"] == absence


@pytest.mark.parametrize("month", ["2014-01", "2016-06", "2019-12"])
def test_monthly_active_members(raw: Raw, beer: Any, month: str) -> None:
    active = {a for a, t, *_ in raw.contribs if a is not None and t.strftime("%Y-%m") == month}
    posts = sum(1 for _, t, *_ in raw.contribs if t.strftime("%Y-%m") == month)
    df = people.active_members(beer)
    row = df[[p.strftime("%Y-%m") == month for p in df["period"]]]
    assert int(row["active_members"].iloc[0]) == len(active)
    assert int(row["contributions"].iloc[0]) == posts


def test_newcomer_return_by_reception(raw: Raw, beer: Any) -> None:
    hours = raw.first_response_hours()
    first: dict[str, tuple[datetime, str]] = {}
    for author, created, _, key in raw.contribs:
        if author is not None and (author not in first or (created, key) < first[author]):
            first[author] = (created, key)
    counts = raw.per_member()
    got_back = {True: [0, 0], False: [0, 0]}  # received -> [newcomers, came back]
    for member, (_, key) in first.items():
        qid = key[1:]
        if key[0] != "p" or qid not in raw.questions:
            continue  # arrived with an answer or a comment
        received = hours[qid] is not None
        got_back[received][0] += 1
        got_back[received][1] += counts[member] >= 2
    out = interaction.newcomer_reception(beer)
    assert out["with_response"] == got_back[True][0]
    assert out["without_response"] == got_back[False][0]
    assert out["return_with_response"] == pytest.approx(got_back[True][1] / got_back[True][0])
    assert out["return_without_response"] == pytest.approx(got_back[False][1] / got_back[False][0])


def test_avid_members_and_accepted_share(raw: Raw, beer: Any) -> None:
    assert people.avid_members(beer) == sum(1 for r in raw.reputation if r >= 200)
    accepted = defaultdict(int)
    for r in raw_rows("stackexchange-beer", "Posts"):
        if r["PostTypeId"] == "1" and r.get("OwnerUserId") != SYSTEM:
            accepted[bool(r.get("AcceptedAnswerId"))] += 1
    assert interaction.accepted_share(beer) == pytest.approx(accepted[True] / sum(accepted.values()))
