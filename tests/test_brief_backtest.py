"""The brief's backtest (``communitas.brief.backtest``, ``docs/brief.md`` *Backtest*): its figures
worked out by hand on a tiny community, the cheap as-of views against the replay, the
no-peeking guarantee, the stored track records and how they rank the brief, and bad input.

The tiny community (``TINY``; day d is 2024-01-01 12:00 + d days; every post opens its own thread
in one tag unless said otherwise):

    A  days 0-9 daily (gap 1: usual gap max(1, 3, 14) = 14 days)
    D  days 0, 8, ..., 56 (gap 8: usual gap max(8, 24, 14) = 24), back on day 100
    F  days 0, 11, 22, 33, 44, 55, 57, 60 (gaps 11 x5, 2, 3: median 11, usual gap 33), back on day 100
    B  days 80-89 daily (a newcomer on day 80; usual gap 14)
    H  a newcomer on day 85, answered by R a day later; posts again on day 120
    W  a newcomer on day 88, never answered; a follow-up in their own thread on day 100
    G  one post on day 181 (the data's end)

The only backtest date: midnight after day 0 + 90 days = day 91 00:00 (the next, day 121, would
need data until day 211).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.brief_corpus import NOW, SID, D, build
from tests.conftest import run_cli

from communitas import brief
from communitas.brief import KINDS, backtest, outcomes, records
from communitas.brief.asof import Timeline
from communitas.brief.base import BriefContext
from communitas.report.context import Pseudonyms, store_salt
from communitas.store import Workspace

DAY0 = datetime(2024, 1, 1, 12, tzinfo=UTC)
T = datetime(2024, 4, 1, tzinfo=UTC)  # day 91 00:00


def tiny() -> tuple[list[Any], list[Any]]:
    days = {"A": range(10), "D": [*range(0, 57, 8), 100], "F": [0, 11, 22, 33, 44, 55, 57, 60, 100],
            "B": range(80, 90), "H": [85, 120], "G": [181]}
    threads, posts = [], []
    for who, ds in days.items():
        for d in ds:
            tid, at = f"{who}{d}", DAY0 + timedelta(days=d)
            threads.append((tid, who.lower(), "brew", at))
            posts.append((tid + "q", tid, who.lower(), at, "question"))
    posts.append(("H85a0", "H85", "r", DAY0 + timedelta(days=86), "answer"))
    threads.append(("W88", "w", "brew", DAY0 + timedelta(days=88)))
    posts.append(("W88q", "W88", "w", DAY0 + timedelta(days=88), "question"))
    posts.append(("W88f", "W88", "w", DAY0 + timedelta(days=100), "answer"))  # their own thread
    return threads, posts


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("bt") / "tiny.duckdb"
    with Workspace(path) as ws:
        build(ws, data=tiny())
    return path


@pytest.fixture(scope="module")
def figures(tiny_store: Path) -> dict[tuple[str, str], dict[str, Any]]:
    with Workspace(tiny_store) as ws:
        rows = backtest.run(ws, kinds=["welcome", "checkin"])
    return {(r["kind"], r["measure"]): r for r in rows}


def test_checkin_figures_by_hand(figures: dict[tuple[str, str], dict[str, Any]]) -> None:
    # At day 91: regulars A, B, D, F. Silence (days): A 81.5 > 14, D 34.5 > 24: selected;
    # B 1.5, F 30.5 < 33: not. Fixed 30-day rule: A, D, F. Silent 90 days after: A, B.
    p = figures[("checkin", "precision@10")]
    assert (p["value"], p["baseline_value"], p["lift"], p["dates"]) == (1 / 2, 1 / 3, pytest.approx(1.5), 1)
    assert (p["ci_low"], p["ci_high"], p["beats_baseline"]) == (pytest.approx(1.5), pytest.approx(1.5), True)
    assert p["first_date"] == T and p["horizon_days"] == 90
    r = figures[("checkin", "recall")]  # A of {A, B}; the 30-day rule also A of {A, B}
    assert (r["value"], r["baseline_value"], r["lift"], r["beats_baseline"]) == (0.5, 0.5, 1.0, False)
    # AUC: scores A 81.5/14, B 1.5/14, D 34.5/24, F 30.5/33 (gone: A, B): A beats D and F, B
    # neither: 2 of 4 pairs; silence in days orders them the same.
    a = figures[("checkin", "AUC")]
    assert (a["value"], a["baseline_value"], a["lift"]) == (0.5, 0.5, 1.0)


def test_welcome_figures_by_hand(figures: dict[tuple[str, str], dict[str, Any]]) -> None:
    # N = 24 h (H's thread, the only answered one; W's follow-up is the starter's own). Newcomers
    # of the 30 days before day 91: B (day 80) and W (day 88), never answered: selected; H (day
    # 85, answered). Baseline, newest first: W, H, B. Still unanswered a week later: B, W (W's
    # own follow-up is no answer). Kind 2/2, baseline 2/3.
    p = figures[("welcome", "precision@10")]
    assert (p["value"], p["baseline_value"], p["lift"], p["ci_low"], p["beats_baseline"]) == (
        1.0, 2 / 3, pytest.approx(1.5), pytest.approx(1.5), True)
    # answered within the week: H, back in another thread (day 120) -> 1/1; not answered: B never
    # back, W back only in their own thread (day 100: not a return) -> 0/2
    r = figures[("welcome", "return within 90 days")]
    assert (r["value"], r["baseline_value"], r["lift"], r["beats_baseline"]) == (1.0, 0.0, None, None)
    assert "the baseline never came true" in r["sentence"]


def test_track_records_are_stored_and_carried_by_every_item(tiny_store: Path,
                                                            figures: dict[tuple[str, str], Any]) -> None:
    with Workspace(tiny_store, read_only=True) as ws:
        stored = records.load(ws.con, None)
        got = brief.items(ws)
        replayed = brief.items(ws, as_of=T)
    assert len(stored) == 5 and set(stored.source_id) == {"*"}
    rec = next(i["track_record"] for i in got if i["kind"] == "checkin")
    assert set(rec) == {"measure", "outcome", "value", "baseline", "baseline_value", "lift", "ci", "dates",
                        "beats_baseline", "sentence", "run_at"}
    assert (rec["measure"], rec["value"], rec["ci"], rec["dates"]) == ("precision@10", 0.5,
                                                                       [pytest.approx(1.5)] * 2, 1)
    assert rec["sentence"].startswith("In 1 past briefs, 50% of these suggestions then stayed silent")
    assert "it beats its baseline here" in rec["sentence"]
    assert {i["track_record"]["sentence"] for i in got if i["kind"] in ("place", "nugget", "dependency")} <= {
        records.NOT_A_PREDICTION}
    assert all(i["track_record"] is None for i in replayed)  # a replay cannot know its future


def test_a_kind_that_loses_to_its_baseline_ranks_below(tmp_path: Path) -> None:
    from tests.brief_corpus import corpus

    path = tmp_path / "rank.duckdb"
    with Workspace(path) as ws:
        build(ws, data=corpus())
        row = {"kind": "welcome", "measure": "precision@10", "is_primary": True, "outcome": "x",
               "baseline": "y", "value": 0.1, "baseline_value": 0.2, "lift": 0.5, "ci_low": 0.2,
               "ci_high": 0.9, "dates": 3, "beats_baseline": False, "sentence": "loses",
               "run_at": NOW, "source_id": "*"}
        records.save(ws.con, None, [row])
        kinds = [i["kind"] for i in brief.items(ws)]
    # without a track record welcome comes first (test_brief's round robin); losing, it is last
    # of every round it is in
    assert kinds[0] == "unanswered" and kinds.index("welcome") == kinds.index("nugget") + 1


def test_timeline_selects_what_the_replay_selects(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every kind run on the backtest's cheap as-of views equals the replayed brief."""
    path = tmp_path_factory.mktemp("tl") / "brief.duckdb"
    with Workspace(path) as ws:
        build(ws)
    with Workspace(path, read_only=True) as ws, Timeline(ws, None) as timeline:
        for at in (NOW - 4 * D, datetime(2023, 12, 1, tzinfo=UTC)):
            want = brief.items(ws, as_of=at)
            with timeline.at(at) as backend:
                ctx = BriefContext(ws, backend, None, at, Pseudonyms(store_salt(ws)))
                found = {k: KINDS[k].find(ctx) for k in KINDS}
            assert [i.to_dict() for i in brief.rank(found)] == want, at


def odd(key: str) -> bool:
    """A stable coin per id: the spy's made-up outcome."""
    return hashlib.sha1(key.encode()).digest()[0] % 2 == 1


class Spy(outcomes.After):
    """An outcome check that records what it is asked (the selection and the baselines' pools)
    and answers with a coin per id (never the store), so the tallies show who was selected."""

    def __init__(self, timeline: Any, at: datetime) -> None:
        super().__init__(timeline, at)
        self.asked: list[tuple[str, Any]] = []

    def active(self, members: list[str], days: int) -> set[str]:
        self.asked.append(("active", sorted(members)))
        return {m for m in members if odd(m)}

    def first_responses(self, thread_ids: list[str]) -> dict[str, Any]:
        self.asked.append(("first_responses", sorted(thread_ids)))
        return {t: pd.NaT for t in thread_ids if odd(t)}

    def answered_places(self, members: list[str], days: int) -> set[tuple[str, str]]:
        self.asked.append(("answered_places", sorted(members)))
        return {(m, f"{SID}:tag:{tag}") for m in members if odd(m) for tag in ("brew", "hops")}

    def replied_pairs(self, members: list[str], days: int) -> set[tuple[str, str]]:
        self.asked.append(("replied_pairs", sorted(members)))
        return {(a, b) for a in members for b in members if a < b and odd(a + b)}

    def core(self, days: int) -> set[str]:
        self.asked.append(("core", []))
        return {f"{SID}:u:{m}" for m in "abhqrs" if odd(m)}


def asked(path: Path, at: datetime) -> list[Any]:
    """What every check asked the spy at ``at``, and what it tallied from the spy's answers."""
    with Workspace(path, read_only=True) as ws, Timeline(ws, None) as timeline, timeline.at(at) as backend:
        ctx = BriefContext(ws, backend, None, at, Pseudonyms(store_salt(ws)))
        spy = Spy(timeline, at)
        tallies = [check(ctx, spy) for check in outcomes.CHECKS.values()]
        return [spy.asked, tallies]


def test_nothing_after_the_date_reaches_the_backtests_selection(tmp_path: Path) -> None:
    """What the backtest selects at X (and asks the outcome check about) is the same on the
    whole store as on a store that only ever held what happened before X — while the rows after
    X (N6's answer, s's posts) would change it: a day before NOW, N6 is no longer waiting."""
    from tests.test_brief import X

    full, cut = tmp_path / "full.duckdb", tmp_path / "cut.duckdb"
    with Workspace(full) as ws:
        build(ws)
    with Workspace(cut) as ws:
        build(ws, before=X)
    then = asked(full, X)
    assert then == asked(cut, X)
    welcome = then[1][0]["precision@10"]
    assert welcome.n == 1  # n6, waiting at X
    later = asked(full, NOW - 1 * D)  # n6 answered at NOW - 2 days; n1 not yet arrived
    assert later[1][0]["precision@10"].n == 0 and later != then


def test_dates_and_steps() -> None:
    first, last = DAY0, DAY0 + timedelta(days=400)
    got = backtest.dates(first, last, 30)
    assert got[0] == T and got[-1] + timedelta(days=90) <= last < got[-1] + timedelta(days=120)
    assert backtest.every_days("30d") == 30 and backtest.every_days("2w") == 14
    assert backtest.auc(*map(__import__("numpy").array, ([1, 0, 1, 0], [0.9, 0.1, 0.1, 0.5]))) == 0.625


@pytest.mark.parametrize(("args", "message"), [
    (["--every", "30"], "Invalid value for '--every': '30' is not a step"),
    (["--every", "30d"], "--every goes with --backtest"),
    (["--backtest", "--as-of", "2024-05-01"], "--as-of does not go with --backtest"),
    (["--backtest", "--kind", "nugget"], "nugget is not a prediction"),
    (["--backtest", "--source", "test:none"], "unknown source 'test:none'"),
])
def test_bad_input_is_one_line_and_exit_2(tiny_store: Path, args: list[str], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["brief", "--store", str(tiny_store), *args], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""


def test_empty_or_short_store_is_one_line_and_exit_2(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    Workspace(tmp_path / "empty.duckdb").close()
    for path in (tmp_path / "empty.duckdb", tmp_path / "missing.duckdb"):
        code, _, err = run_cli(["brief", "--store", str(path), "--backtest"], capsys)
        assert code == 2 and err.startswith("error:") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "missing.duckdb").exists()
    with Workspace(tmp_path / "short.duckdb") as ws:  # 170 days: no date has 90 days of history and 90 after
        build(ws, data=([("S1", "a", "brew", DAY0), ("S2", "a", "brew", DAY0 + timedelta(days=170))],
                        [("S1q", "S1", "a", DAY0, "question"),
                         ("S2q", "S2", "a", DAY0 + timedelta(days=170), "question")]))
    code, _, err = run_cli(["brief", "--store", str(tmp_path / "short.duckdb"), "--backtest"], capsys)
    assert code == 2 and "the data spans 170 days; a backtest needs at least 180" in err


def test_cli_backtest_json_and_table(tiny_store: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import shutil

    tiny_store = Path(shutil.copy(tiny_store, tmp_path / "copy.duckdb"))  # the fixture's rows stay
    code, out, _ = run_cli(["brief", "--store", str(tiny_store), "--backtest", "--kind", "checkin",
                            "--every", "4w", "--json"], capsys)
    rows = json.loads(out)
    assert code == 0 and [r["measure"] for r in rows] == ["precision@10", "recall", "AUC"]
    assert rows[0]["every_days"] == 28 and rows[0]["track_record"]["value"] == 0.5
    code, out, _ = run_cli(["brief", "--store", str(tiny_store), "--backtest", "--kind", "welcome",
                            "--source", SID], capsys)  # the table
    assert code == 0 and "welcome" in out and "beats" in out
    with Workspace(tiny_store, read_only=True) as ws:  # per source: the all-sources rows stay
        assert set(records.load(ws.con, SID).kind) == {"welcome"}
        assert len(records.load(ws.con, None)) == 3


def test_dates_shared_among_workers_give_the_same_tallies(tiny_store: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """On a large store the dates go to worker processes, in interleaved lanes, each on its own
    read-only copy: the tallies are the ones one process makes. (The lanes run here in this
    process: the worker plumbing is :func:`map_in_processes`'s, tested with the sources.)"""
    import shutil

    store = Path(shutil.copy(tiny_store, tmp_path / "copy.duckdb"))
    when, kinds = [T - 2 * D, T - D, T], ["welcome"]
    last = DAY0 + timedelta(days=181)
    with Workspace(store) as ws:
        alone = backtest.collect(ws, None, when, last, kinds)
        lanes: list[Any] = []

        def here(fn: Any, jobs: list[Any], workers: int) -> list[Any]:
            lanes.extend(j[2] for j in jobs)
            return [fn(j) for j in jobs]

        monkeypatch.setenv("COMMUNITAS_WORKERS", "2")
        monkeypatch.setattr(backtest, "_large", lambda ws: True)
        monkeypatch.setattr(backtest, "map_in_processes", here)
        shared = backtest.collect(ws, None, when, last, kinds)
    assert lanes == [[T - 2 * D, T], [T - D]]
    assert shared == alone and sum(len(v) for v in alone.values()) == 6  # 3 dates, 2 measures
