"""The brief on the hand-built community of ``tests/brief_corpus.py``: each kind's selection
exactly (who is selected, who is not, and why), the ranking, the replay's no-peeking guarantee and
the command's bad input. Every expected figure is worked out by hand in the comments.

Threshold N (Welcome, Unanswered): threads started in the year before NOW that got a response:
W0..W51 (52), R0..R6 (7), C0..C4 (5), N2, N6 = 66; 65 answered after 3 h, N6 after 96 h, so the
75th percentile is 3 h.

Responses in threads started in the past year (posts by others than the starter): q 26
(W0..W25); h 66 (W0..W25 second answers 26, W26..W51 26, R0..R6 7, C0..C4 5, N2, N6);
s 17 (W30..W45, W50). Total 109.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.brief_corpus import NOW, SID, TAG, D, T, U, build
from tests.conftest import run_cli

from communitas import brief
from communitas.brief import find_all, records
from communitas.store import Workspace

X = NOW - 4 * D  # the replay date of the peeking test: 2024-06-26 12:00


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("brief") / "brief.duckdb"
    with Workspace(path) as ws:
        build(ws)
    return path


@pytest.fixture(scope="module")
def ws(store: Path) -> Iterator[Workspace]:
    with Workspace(store, read_only=True) as w:
        yield w


@pytest.fixture(scope="module")
def items(ws: Workspace) -> list[dict[str, Any]]:
    return brief.items(ws)


def of(items: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [i for i in items if i["kind"] == kind]


def test_welcome_selects_only_the_newcomer_waiting_longer_than_n(items: list[dict[str, Any]]) -> None:
    # N1 waited 10 h > 3 h: selected. N2, N6 were answered; N3 waits 2 h < N; N4 started 40 days
    # ago, outside the 30-day window.
    (w,) = of(items, "welcome")
    assert w["id"] == f"welcome:{U}n1+{T}N1" and w["thread_id"] == T + "N1"
    f = w["figures"]
    assert (f["waited_hours"], f["threshold_hours"], f["threshold_basis_threads"]) == (10.0, 3.0, 66)
    # first contribution opened a thread: a, b, r, c, n2, n6 answered (a, b, r, c came back: 4/6);
    # n1, n3, n4 not answered, none came back (0/3)
    assert f["return_with_response"] == pytest.approx(4 / 6) and f["return_without_response"] == 0.0
    assert f["newcomers_seen"] == 9


def test_unanswered_selects_waiting_threads_with_recent_answerers(items: list[dict[str, Any]]) -> None:
    # U1 (3 days, 2 upvotes) and U4 (10 days, only its starter's comment) wait; U2 is 120 days old
    # (> 90), U3 1 h (< N); N1, N4 are first posts (Welcome's). Score (1 + interest) / (1 + age/7):
    # U1 3 / (10/7) = 2.1, U4 1 / (17/7) = 7/17.
    u1, u4 = of(items, "unanswered")
    assert (u1["id"], u4["id"]) == (f"unanswered:{T}U1", f"unanswered:{T}U4")
    assert u1["score"] == pytest.approx(2.1) and u4["score"] == pytest.approx(7 / 17)
    assert u1["figures"]["interest"] == 2
    # brew, threads started since NOW - 180 d: h answered W26..W51 and N2 (27), s W30..W45 and W50 (17)
    assert [r["recent_answers_here"] for r in u1["figures"]["responders"]] == [27, 17]
    # hops: h answered R0, R1, R2 and N6 (4); nobody else answered there
    assert [r["recent_answers_here"] for r in u4["figures"]["responders"]] == [4]


def test_checkin_is_relative_to_each_members_rhythm(items: list[dict[str, Any]]) -> None:
    # q: weekly (gap 7 d), silent 182 days > max(7, 3 x 7, 14) = 21: selected.
    # r: every 40 days, silent 100 days < 3 x 40 = 120: not selected (a fixed 90-day rule would).
    # c: silent 200 days but active on 5 days only (< 8): not a regular. s: active yesterday.
    (c,) = of(items, "checkin")
    assert c["id"] == f"checkin:{U}q"
    f = c["figures"]
    assert f["silent_days"] == 182.0 and f["expected_gap_days"] == 21.0 and f["active_days_in_year"] == 26
    assert f["response_share"] == pytest.approx(26 / 109, abs=1e-4) and f["members_answered"] == 2
    assert "responses, to 2 members;" in c["why"]  # brief.base.counted: "to 1 member" for one
    # brokerage: q, h and s each answered a and b; the year's 12 members give 55 pairs of others, and
    # q lies on one of the three shortest a-b paths: 1/3 / 55 = 1/165
    assert f["betweenness"] == round(1 / 165, 4) and f["loss"] == pytest.approx(26 / 109 + 1 / 165, abs=1e-4)


def test_dependency_names_the_host_and_the_staff_share(items: list[dict[str, Any]]) -> None:
    one, staff = of(items, "dependency")
    assert one["id"] == f"dependency:{U}h"
    assert one["figures"]["top_share"] == pytest.approx(66 / 109, abs=1e-4)
    assert one["figures"]["responses"] == 109
    assert [c["share"] for c in one["figures"]["co_hosts"]] == pytest.approx([26 / 109, 17 / 109], abs=1e-4)
    assert staff["id"] == "dependency:staff"  # h is staff: 66/109 >= 1/2
    assert staff["figures"]["staff_share"] == pytest.approx(66 / 109, abs=1e-4)


def test_place_cohost_and_silent_places(items: list[dict[str, Any]]) -> None:
    # brew, past year: h 53 of 96 responses (q 26, s 17) >= 1/2. hops has 8 responses (< 10).
    # Silent 90 days: yeast (5 threads, last 200 days ago), old (1), empty (never used);
    # late was created 29 days ago; brew and hops are active.
    ids = [i["id"] for i in of(items, "place")]
    assert ids == [f"place:cohost+{TAG}brew", f"place:silent+{TAG}yeast", f"place:silent+{TAG}old",
                   f"place:silent+{TAG}empty"]
    assert of(items, "place")[0]["figures"] == {"share": pytest.approx(53 / 96, abs=1e-4), "responses": 96,
                                                "host_responses": 53}


def test_ranking_is_round_robin_across_kinds(items: list[dict[str, Any]]) -> None:
    assert [i["kind"] for i in items] == [
        "welcome", "unanswered", "checkin", "dependency", "place", "nugget",  # every kind's first
        "unanswered", "dependency", "place", "nugget", "place", "nugget", "place", "nugget",
        "nugget", "nugget", "nugget", "nugget"]


def test_nuggets_and_no_spotlight_or_introduction(items: list[dict[str, Any]]) -> None:
    # Participants of the 73 threads started in the past year: 43 have 3 (W0-W25: starter, q, h;
    # W30-W45 and W50: starter, h, s), the rest 1 or 2 -> p90 = 3. Started in the last 90 days
    # with 3: W39-W45 (alive 5 h) and W50 (s answered 6 days 3 h later), longest-lived first.
    assert [i["id"] for i in of(items, "nugget")] == [f"nugget:{T}W{k}" for k in (50, *range(39, 46))]
    assert of(items, "nugget")[0]["figures"]["days"] == 6.125
    # s is new this year but its 8 recent responses are under the top quarter (8 + 0.75 x 7 with
    # h's 15), and never to a newcomer; the only pair sharing two places (h, b) replied.
    assert of(items, "spotlight") == [] and of(items, "introduce") == []


def test_items_keep_the_report_contract_and_hide_names(ws: Workspace, items: list[dict[str, Any]]) -> None:
    for i in items:
        assert {"id", "title", "why", "thread_id", "kind", "figures", "track_record"} <= set(i)
        if i["kind"] in records.PREDICTIVE:
            assert i["track_record"] is None  # no backtest was run on this store
        else:
            assert i["track_record"]["sentence"] == "Not a prediction: no track record."
    assert "n1" not in items[0]["title"]  # a pseudonym, never the id
    assert brief.items(ws, kinds=["checkin"], limit=1)[0]["id"] == f"checkin:{U}q"


def test_names_are_shown_only_with_names_and_scrubbed(ws: Workspace, store: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (one, _) = brief.items(ws, kinds=["dependency"], names=True)
    assert one["subjects"] == ["[b]H[/b] [address removed]"]  # e-mail addresses never shown
    assert "H[/b]" not in str(brief.items(ws, kinds=["dependency"]))
    code, out, _ = run_cli(["brief", "--store", str(store), "--kind", "dependency", "--names"], capsys)
    assert code == 0 and "[b]H[/b]" in out  # printed as text, not read as rich markup


def test_replay_sees_nothing_after_as_of(ws: Workspace, tmp_path: Path) -> None:
    """The brief replayed at X equals the brief computed on a store that only ever held what
    happened before X — and the future would have changed it: N6's answer (2 days ago) and s's
    post (yesterday) came after X, so at X n6 is waiting and s has gone quiet."""
    replayed = brief.items(ws, as_of=X)
    with Workspace(tmp_path / "cut.duckdb") as cut:
        build(cut, before=X)
        salt = ws.con.execute("SELECT value FROM meta WHERE key = 'salt'").fetchall()[0][0]
        cut.con.execute("UPDATE meta SET value = ? WHERE key = 'salt'", [salt])
        found = find_all(cut, source_id=None, now=X, kinds=list(brief.KINDS))
    assert replayed == [i.to_dict() for i in brief.rank(found)]
    now_ids = {i["id"] for i in brief.items(ws)}
    then_ids = {i["id"] for i in replayed}
    assert f"welcome:{U}n6+{T}N6" in then_ids - now_ids
    assert f"checkin:{U}s" in then_ids - now_ids
    assert f"unanswered:{T}U1" in now_ids - then_ids  # U1 was asked after X


@pytest.mark.parametrize(("args", "message"), [
    (["--as-of", "2021-01-01"], "is not after the first contribution"),
    (["--as-of", "2024-07-01"], "is after the last contribution"),
    (["--kind", "nope"], "Invalid value for '--kind': 'nope' is not one of"),
    (["--source", "test:none"], "unknown source 'test:none'"),
    (["--as-of", "yesterday"], "is not a date"),
])
def test_bad_input_is_one_line_and_exit_2(store: Path, args: list[str], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["brief", "--store", str(store), *args], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""


def test_empty_store_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Workspace(tmp_path / "empty.duckdb").close()
    for path in (tmp_path / "empty.duckdb", tmp_path / "missing.duckdb"):
        code, _, err = run_cli(["brief", "--store", str(path)], capsys)
        assert code == 2 and err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_cli_json_and_table(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    args = ["brief", "--store", str(store), "--json", "--kind", "welcome", "--kind", "checkin"]
    code, out, _ = run_cli(args, capsys)
    assert code == 0 and [i["kind"] for i in json.loads(out)] == ["welcome", "checkin"]
    code, out, _ = run_cli(["brief", "--store", str(store), "--source", SID, "--limit", "3"], capsys)
    assert code == 0 and "Welcome" in out and "Check in" in out


def small(threads: list[tuple[str, str, str, int, list[tuple[Any, ...]]]]) -> tuple[Any, Any]:
    """Threads and posts for :func:`build` from (thread, starter, tag, days before NOW, answers as
    (author, days before NOW[, index of the earlier answer it replies to]))."""
    th, posts = [], []
    for tid, starter, tag, days, answers in threads:
        th.append((tid, starter, tag, NOW - days * D))
        posts.append((tid + "q", tid, starter, NOW - days * D, "question"))
        for n, (who, d, *to) in enumerate(answers):
            target = (f"{tid}a{to[0]}",) if to else ()
            posts.append((f"{tid}a{n}", tid, who, NOW - d * D, "answer", *target))
    return th, posts


def test_introduce_pairs_who_share_places_but_never_replied(tmp_path: Path) -> None:
    # x, y: two posts each in brew and hops in the last 90 days -> shared 2 of 2 (Jaccard 1);
    # z: brew (Z1 + its answer to x), hops, yeast; z answered x (never introduced), y-z share
    # 2 of 3; w posted once in hops (hops is not one of its places); v's posts are 110+ days old.
    data = small([
        ("X1", "x", "brew", 10, [("z", 9)]), ("X2", "x", "brew", 11, []), ("X3", "x", "hops", 12, []),
        ("X4", "x", "hops", 13, []), ("Y1", "y", "brew", 10, []), ("Y2", "y", "brew", 11, []),
        ("Y3", "y", "hops", 12, []), ("Y4", "y", "hops", 13, []), ("Z1", "z", "brew", 14, []),
        ("Z3", "z", "hops", 12, []), ("Z4", "z", "hops", 13, []), ("Z5", "z", "yeast", 12, []),
        ("Z6", "z", "yeast", 13, []), ("W1", "w", "brew", 10, []), ("W2", "w", "brew", 11, []),
        ("W3", "w", "hops", 12, []), ("V1", "v", "brew", 120, []), ("V2", "v", "brew", 121, []),
        ("V3", "v", "hops", 122, []), ("V4", "v", "hops", 123, [])])
    with Workspace(tmp_path / "intro.duckdb") as w:
        build(w, data=data)
        got = brief.items(w, kinds=["introduce"])
    assert [i["id"] for i in got] == [f"introduce:{U}x+{U}y", f"introduce:{U}y+{U}z"]
    assert [i["figures"]["jaccard"] for i in got] == [1.0, pytest.approx(2 / 3, abs=1e-4)]
    assert got[0]["figures"]["shared_places"] == ["brew", "hops"]


SPOT = small([
    ("OLD", "o1", "brew", 700, [("o2", 699), ("o3", 698)]),
    # e: first contribution 59 days ago; answers A1-A3, the newcomer n's NN and G; o1 and n reply to e
    ("A1", "o1", "brew", 60, [("e", 59), ("o1", 58, 0)]), ("A2", "o2", "brew", 50, [("e", 49)]),
    ("A3", "o3", "brew", 40, [("e", 39)]), ("NN", "n", "hops", 20, [("e", 19), ("n", 18, 0)]),
    # f: as busy as e, but no newcomer answered and nobody replied to f
    ("B1", "o1", "hops", 30, [("f", 29)]), ("B2", "o2", "hops", 31, [("f", 30)]),
    ("B3", "o3", "hops", 32, [("f", 31)]), ("B4", "o1", "hops", 33, [("f", 32)]),
    # G: five participants
    ("G", "o1", "yeast", 15, [("o2", 14), ("o3", 13), ("e", 12), ("f", 11)]),
])


@pytest.fixture(scope="module")
def spot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    with Workspace(tmp_path_factory.mktemp("spot") / "spot.duckdb") as w:
        build(w, data=SPOT)
        yield w


def test_spotlight_selects_the_appreciated_newcomer_helper(spot: Workspace) -> None:
    # Responses in threads started in the last 90 days (before NOW - 11 d, the last post):
    # e 5 (A1 A2 A3 NN G), f 5 (B1-B4, G), o2 1, o3 1 -> top quarter from 5 (p75 of 1 1 5 5).
    # e answered a newcomer (n's first post NN) and was replied to by o1 and n: selected.
    # f: no newcomer answered, nobody replied. o1-o3 arrived 700 days ago (not emerging).
    (s,) = brief.items(spot, kinds=["spotlight"])
    assert s["id"] == f"spotlight:{U}e"
    f = s["figures"]
    got = (f["responses"], f["responses_bar"], f["newcomers_answered"], f["appreciators"], f["accepted"])
    assert got == (5, 5.0, 1, 2, 0)


def test_nugget_selects_the_conversation_with_many_participants(spot: Workspace) -> None:
    # Threads started in the past year: A1 A2 A3 NN B1-B4 with 2 participants, G with 5:
    # p90 = 2 + 0.2 x 3 = 2.6, so the bar is 3 (the floor); only G reaches it.
    (n,) = brief.items(spot, kinds=["nugget"])
    assert n["id"] == f"nugget:{T}G" and n["thread_id"] == T + "G"
    assert n["figures"]["participants"] == 5 and n["figures"]["participants_bar"] == pytest.approx(2.6)
    assert n["figures"]["days"] == 4.0
