"""Every component metric on a tiny corpus built in code; each expected value worked out by hand.

The corpus (source ``test:tiny``; members a, b, c, d, e, a bot and a system account; tags w, x,
y and an unused z; all times UTC):

    T0 (e, w)    p20 question e 2020-10-05 10:00 · p21 comment e 2020-11-05 10:00 (to p20)
                 · p22 comment e 2020-12-05 10:00 (to p20)              -> nobody else answers
    T1 (a, x+y)  p1 question a 2021-01-04 10:00 (Monday) · p4 answer BOT 10:30 (to p1)
                 · p2 answer b 12:00 (to p1) · p3 comment a 13:00 (to p2); accepted answer p2
    T2 (b, x)    p5 question b 2021-01-10 09:00 · p6 comment b 09:30 (to p5)
                 · p7 answer c 2021-01-11 09:00 (to p5)
    T3 (c, y)    p8 question c 2021-02-01 08:00 · p30 comment SYSTEM 2021-02-02 08:00 (to p8)
    T4 (d, x)    p9 question d 2021-02-15 08:00 · p10 answer by a deleted account 14:00 (to p9)
    T5 (BOT, y)  p11 question bot 2021-03-01 00:00 · p12 answer a 01:00 (to p11)
    T6 (a, y)    p13 question a 2021-03-20 12:00 · p15 answer c 18:00 · p14 answer b 2021-03-22 12:00
    p16: a tag wiki by a (not a contribution).

Without bots there are 16 contributions: a 4 (p1 p3 p12 p13), b 4 (p2 p5 p6 p14), c 3 (p7 p8
p15), e 3, d 1, and p10 (deleted account); the last contribution is p14, 2021-03-22 12:00.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from communitas.errors import UsageError
from communitas.metrics import interaction, people, place, ties
from communitas.store import Workspace

SID = "test:tiny"
U = f"{SID}:u:"
P = f"{SID}:p:"
T = f"{SID}:t:"
TAG = f"{SID}:tag:"

MEMBERS = [(U + m, False, False) for m in "abcde"] + [(U + "bot", True, False), (U + "sys", False, True)]
# thread, starter, created, tags
THREADS = [("T0", "e", "2020-10-05 10:00", "w"), ("T1", "a", "2021-01-04 10:00", "xy"),
           ("T2", "b", "2021-01-10 09:00", "x"), ("T3", "c", "2021-02-01 08:00", "y"),
           ("T4", "d", "2021-02-15 08:00", "x"), ("T5", "bot", "2021-03-01 00:00", "y"),
           ("T6", "a", "2021-03-20 12:00", "y")]
# post, thread, author, created, kind, reply-to post
POSTS = [
    ("p20", "T0", "e", "2020-10-05 10:00", "question", None),
    ("p21", "T0", "e", "2020-11-05 10:00", "comment", "p20"),
    ("p22", "T0", "e", "2020-12-05 10:00", "comment", "p20"),
    ("p1", "T1", "a", "2021-01-04 10:00", "question", None),
    ("p4", "T1", "bot", "2021-01-04 10:30", "answer", "p1"),
    ("p2", "T1", "b", "2021-01-04 12:00", "answer", "p1"),
    ("p3", "T1", "a", "2021-01-04 13:00", "comment", "p2"),
    ("p5", "T2", "b", "2021-01-10 09:00", "question", None),
    ("p6", "T2", "b", "2021-01-10 09:30", "comment", "p5"),
    ("p7", "T2", "c", "2021-01-11 09:00", "answer", "p5"),
    ("p8", "T3", "c", "2021-02-01 08:00", "question", None),
    ("p30", "T3", "sys", "2021-02-02 08:00", "comment", "p8"),
    ("p9", "T4", "d", "2021-02-15 08:00", "question", None),
    ("p10", "T4", None, "2021-02-15 14:00", "answer", "p9"),
    ("p11", "T5", "bot", "2021-03-01 00:00", "question", None),
    ("p12", "T5", "a", "2021-03-01 01:00", "answer", "p11"),
    ("p13", "T6", "a", "2021-03-20 12:00", "question", None),
    ("p15", "T6", "c", "2021-03-20 18:00", "answer", "p13"),
    ("p14", "T6", "b", "2021-03-22 12:00", "answer", "p13"),
]


def build_tiny(ws: Workspace) -> None:
    """Insert the corpus of the module docstring into ``ws`` (what a source + derive would)."""
    con = ws.con
    con.execute("INSERT INTO sources (source_id, platform, name) VALUES (?, 'test', 'tiny')", [SID])
    con.executemany("INSERT INTO members (member_id, source_id, is_bot, is_system) VALUES (?, ?, ?, ?)",
                    [(m, SID, bot, system) for m, bot, system in MEMBERS])
    con.executemany("INSERT INTO places (place_id, source_id, kind, name, created_at) "
                    "VALUES (?, ?, 'tag', ?, '2020-01-01 00:00+00')",
                    [(TAG + n, SID, n) for n in "wxyz"])
    for tid, starter, created, tags in THREADS:
        accepted = P + "p2" if tid == "T1" else None
        con.execute("INSERT INTO threads (thread_id, source_id, place_id, author_id, created_at, "
                    "accepted_post_id) VALUES (?, ?, ?, ?, ?, ?)",
                    [T + tid, SID, TAG + tags[0], U + starter, created + "+00", accepted])
        con.executemany("INSERT INTO thread_places VALUES (?, ?, ?, ?)",
                        [(T + tid, TAG + tag, SID, i) for i, tag in enumerate(tags)])
    authors = {pid: author for pid, _, author, *_ in POSTS}
    for pid, tid, author, created, kind, to in POSTS:
        to_member = U + authors[to] if to and authors[to] else None
        con.execute("INSERT INTO posts (post_id, source_id, thread_id, author_id, created_at, "
                    "reply_to_post_id, reply_to_member_id, kind, is_contribution) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, true)",
                    [P + pid, SID, T + tid, U + author if author else None, created + "+00",
                     P + to if to else None, to_member, kind])
    con.execute("INSERT INTO posts (post_id, source_id, author_id, created_at, kind, is_contribution) "
                "VALUES (?, ?, ?, '2021-01-05 00:00+00', 'tag_wiki', false)", [P + "p16", SID, U + "a"])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path: Path = tmp_path_factory.mktemp("tiny") / "tiny.duckdb"
    with Workspace(path) as ws:
        build_tiny(ws)
        yield ws.ibis()


def rows(df: Any, *cols: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in df[list(cols)].itertuples(index=False)]


def months(df: Any) -> list[str]:
    return [p.strftime("%Y-%m") for p in df["period"]]


# -- PEOPLE ----------------------------------------------------------------------------------------

def test_active_members_newcomers_and_returning(tiny: Any) -> None:
    df = people.active_members(tiny)
    assert months(df) == ["2020-10", "2020-11", "2020-12", "2021-01", "2021-02", "2021-03"]
    # Jan: a b c all new, 6 posts; Feb: c back, d new, plus the deleted account's p10;
    # Mar: a b c back (p12 p13 p14 p15).
    assert rows(df, "active_members", "newcomers", "returning", "contributions") == [
        (1, 1, 0, 1), (1, 0, 1, 1), (1, 0, 1, 1), (3, 3, 0, 6), (2, 1, 1, 3), (3, 0, 3, 4)]


def test_active_members_window_keeps_history_and_bots_flag(tiny: Any) -> None:
    df = people.active_members(tiny, since="2021-02-01")
    assert months(df) == ["2021-02", "2021-03"]
    assert rows(df, "newcomers") == [(1,), (0,)]  # c arrived in January: not new in February
    bots = people.active_members(tiny, include_bots=True)
    # Jan adds the bot (p4), Feb the system account (p30), Mar the bot (p11).
    assert rows(bots, "active_members") == [(1,), (1,), (1,), (4,), (3,), (4,)]


def test_active_members_place_filter_by_name_and_id(tiny: Any) -> None:
    by_name = people.active_members(tiny, place="y")
    # Threads in y: T1 (a b), T3 (c), T5 (a; the bot's post dropped), T6 (a b c).
    assert rows(by_name, "active_members", "newcomers", "contributions") == [(2, 2, 3), (1, 1, 1), (3, 0, 4)]
    by_id = people.active_members(tiny, place=TAG + "y")
    assert rows(by_id, "active_members") == rows(by_name, "active_members")
    with pytest.raises(UsageError, match="no place named"):
        people.active_members(tiny, place="nowhere")


def test_cohort_retention(tiny: Any) -> None:
    df = people.cohort_retention(tiny)
    assert [c.strftime("%Y-%m") for c in df["cohort"]] == ["2020-10", "2021-01", "2021-02"]
    assert list(df["members"]) == [1, 3, 1]
    # e is back in Nov (1 month) but not in Jan (3 months); of a b c only c is back in Feb;
    # d is not back in March. Later offsets lie after March 2021: not observable.
    assert list(df["retained_1"]) == pytest.approx([1.0, 1 / 3, 0.0])
    assert df["retained_3"][0] == 0.0 and df["retained_3"][1:].isna().all()
    assert df["retained_6"].isna().all() and df["retained_12"].isna().all()
    summary = people.retention_summary(df)
    assert summary["retained_1"] == pytest.approx((1 + 1 + 0) / 5)
    assert summary["retained_3"] == 0.0 and summary["retained_6"] is None


def test_newcomer_conversion(tiny: Any) -> None:
    out = people.newcomer_conversion(tiny)
    # a (3 h), b (6 days), c (21 days) came back within 30 days; e after 31 days; d never.
    # 90 days before the end (2020-12-22 12:00) only e had arrived, and e came back within 90.
    assert out == {"newcomers": 5, "observable_30": 5, "converted_30": 3 / 5,
                   "observable_90": 1, "converted_90": 1.0}


def test_participation_inequality(tiny: Any) -> None:
    out = people.participation_inequality(tiny)
    # Counts 4 4 3 3 1 (n = 5, total 15): sum of |xi - xj| over ordered pairs = 28,
    # Gini = 28 / (2 * 5^2 * 3) = 0.18667. Top 1% = ceil(0.05) = 1 member (a, 4 of 15);
    # ceil(10%) is also 1, so the next 9% is empty; a + b = 8 >= 7.5 -> absence factor 2.
    assert out["contributors"] == 5 and out["contributions"] == 15
    assert out["gini"] == pytest.approx(28 / 150)
    assert out["top1_share"] == pytest.approx(4 / 15)
    assert out["next9_share"] == 0.0
    assert out["rest90_share"] == pytest.approx(11 / 15)
    assert out["absence_factor"] == 2


def test_member_tiers(tiny: Any) -> None:
    df = people.member_tiers(tiny)
    # Jan: b 3, a 2, c 1 of 6 -> b (0 before) and a (50% before) core, c (83% before) regular.
    # Feb: c 1, d 1 -> both core; c moved from regular to core. Mar: a 2, b 1, c 1 -> all core.
    assert rows(df, "core", "regular", "casual", "moved") == [
        (1, 0, 0, 0), (1, 0, 0, 0), (1, 0, 0, 0), (2, 1, 0, 0), (2, 0, 0, 1), (3, 0, 0, 0)]


def test_churn(tiny: Any) -> None:
    # Regular (3+ months): e (Oct, Nov, Dec) and c (Jan, Feb, Mar). e's last post (Dec 5) is
    # more than 90 days before the end (Mar 22): churned.
    assert people.churn(tiny) == {"regular_members": 2, "churned": 1, "churned_share": 0.5}
    # Up to 2021-02-01 the end is Jan 11: e's silence is 37 days; c has only one month.
    assert people.churn(tiny, until="2021-02-01") == {"regular_members": 1, "churned": 0,
                                                      "churned_share": 0.0}


def test_avid_members_needs_reputation(tiny: Any) -> None:
    assert people.avid_members(tiny) is None  # the test platform has no reputation


# -- SOCIAL INTERACTION -----------------------------------------------------------------------------

def test_first_response(tiny: Any) -> None:
    out = interaction.first_response(tiny)
    # Threads T0..T4, T6 (T5 opened by the bot). Responses: T1 b after 2 h (bot dropped),
    # T2 c after 24 h (b's own comment is not one), T4 the deleted account after 6 h, T6 c after
    # 6 h. T0 and T3 (the system comment dropped) get none. Hours 2 6 6 24: median 6,
    # p90 (linear) = 6 + 0.7 * 18 = 18.6. Replies (non-comment, besides the opener): 0 1 1 0 1 2.
    # Replies (not comments) by another member: T1 p2, T2 p7, T4 p10, T6 p14 p15 -> 4 of 6.
    assert out == {"threads": 6, "responded": 4, "answered_share": pytest.approx(4 / 6),
                   "no_response_share": pytest.approx(2 / 6), "median_hours": pytest.approx(6.0),
                   "p90_hours": pytest.approx(18.6), "replies_per_thread": pytest.approx(5 / 6),
                   "replied_share": pytest.approx(4 / 6)}
    assert interaction.replies_per_thread(tiny) == pytest.approx(5 / 6)


def test_first_response_with_bots(tiny: Any) -> None:
    out = interaction.first_response(tiny, include_bots=True)
    # T5 counts (a answers after 1 h), the bot answers T1 after 0.5 h, the system account T3
    # after 24 h: hours 0.5 1 6 6 24 24 -> median 6; only T0 stays unanswered.
    assert (out["threads"], out["responded"]) == (7, 6)
    # The system account's comment on T3 is no reply; T5 gets a's answer: 5 of 7.
    assert out["replied_share"] == pytest.approx(5 / 7)
    assert out["median_hours"] == pytest.approx(6.0)
    assert out["no_response_share"] == pytest.approx(1 / 7)


def test_accepted_share_and_threads_per_day(tiny: Any) -> None:
    assert interaction.accepted_share(tiny) == pytest.approx(1 / 6)
    # 2020-10-05 .. 2021-03-22 is 169 calendar days; [2021-01-01, 2021-04-01) is 90 days.
    assert interaction.threads_per_day(tiny) == pytest.approx(6 / 169)
    assert interaction.threads_per_day(tiny, since="2021-01-01", until="2021-04-01") == pytest.approx(5 / 90)


def test_accepted_share_is_null_without_accepts(tmp_path: Path) -> None:
    with Workspace(tmp_path / "n.duckdb") as ws:
        build_tiny(ws)
        ws.con.execute("UPDATE threads SET accepted_post_id = NULL")
        assert interaction.accepted_share(ws.ibis()) is None


def test_reciprocity(tiny: Any) -> None:
    # Pairs: {a,b} both ways (p2, p3, p14), {b,c} (p7) and {a,c} (p15) one way.
    assert interaction.reciprocity(tiny) == {"pairs": 3, "mutual_pairs": 1, "reciprocity": 1 / 3}
    # With bots: {a,bot} both ways (p4, p12) and {c,sys} one way (p30).
    assert interaction.reciprocity(tiny, include_bots=True) == {"pairs": 5, "mutual_pairs": 2,
                                                                "reciprocity": 2 / 5}


def test_newcomer_reception(tiny: Any) -> None:
    out = interaction.newcomer_reception(tiny)
    # First contributions that open a thread: e (T0, no response, posted again), a (T1, 2 h,
    # posted again), d (T4, 6 h, never again). b and c arrived with answers.
    assert out == {"newcomers": 3, "received": 2, "reception_share": 2 / 3,
                   "median_hours_to_response": pytest.approx(4.0),
                   "return_with_response": 0.5, "return_without_response": 1.0,
                   "with_response": 2, "without_response": 1}


def test_response_trend(tiny: Any) -> None:
    df = interaction.response_trend(tiny)
    assert months(df) == ["2020-10", "2021-01", "2021-02", "2021-03"]
    assert list(df["threads"]) == [1, 2, 2, 1]
    assert list(df["no_response_share"]) == [1.0, 0.0, 0.5, 0.0]
    assert df["median_hours"][0] != df["median_hours"][0]  # NaN: no response in October
    assert list(df["median_hours"][1:]) == pytest.approx([13.0, 6.0, 6.0])
    assert df["p90_hours"][1] == pytest.approx(2 + 0.9 * 22)
    assert list(df["replies_per_thread"]) == pytest.approx([0.0, 1.0, 0.5, 2.0])


# -- COMMON TIES ------------------------------------------------------------------------------------

def test_place_members(tiny: Any) -> None:
    df = ties.place_members(tiny)
    assert rows(df, "name", "members", "contributions") == [("x", 4, 8), ("y", 3, 8), ("w", 1, 3)]
    assert list(df["member_share"]) == pytest.approx([4 / 5, 3 / 5, 1 / 5])


def test_tag_cooccurrence(tiny: Any) -> None:
    df = ties.tag_cooccurrence(tiny)
    # Only T1 has two tags; x is on T1 T2 T4, y on T1 T3 T6 (T5 is the bot's): 1 / (3 + 3 - 1).
    assert rows(df, "place_a", "place_b", "threads") == [(TAG + "x", TAG + "y", 1)]
    assert df["jaccard"][0] == pytest.approx(0.2)


def test_interest_profiles(tiny: Any) -> None:
    df = ties.interest_profiles(tiny)
    got = {(m.removeprefix(U), p.removeprefix(TAG)): s
           for m, p, s in rows(df, "member", "place_id", "share")}
    # a: x p1 p3, y p1 p3 p12 p13; b: x p2 p5 p6, y p2 p14; c: x p7, y p8 p15.
    assert got == pytest.approx({("a", "x"): 1 / 3, ("a", "y"): 2 / 3, ("b", "x"): 3 / 5,
                                 ("b", "y"): 2 / 5, ("c", "x"): 1 / 3, ("c", "y"): 2 / 3,
                                 ("d", "x"): 1.0, ("e", "w"): 1.0})


def test_interest_overlap(tiny: Any) -> None:
    # a b c d share x (6 pairs); e (only w) shares nothing: 6 of 10 pairs.
    assert ties.interest_overlap(tiny) == {"members": 5, "pairs": 10, "sharing_pairs": 6, "share": 0.6,
                                           "sampled_members": 5}
    # From February: c a b in y, d in x -> 3 of 6 pairs.
    assert ties.interest_overlap(tiny, since="2021-02-01")["share"] == 0.5
    # Sampled: every 2nd member in id order from the first (a, c, e): a and c share x and y,
    # e shares nothing -> 1 of 3 pairs; 10 / 3 pairs estimated for the whole.
    assert ties.interest_overlap(tiny, max_members=3) == {"members": 5, "pairs": 10, "sharing_pairs": 3,
                                                          "share": 1 / 3, "sampled_members": 3}


def test_attention_entropy(tiny: Any) -> None:
    df = ties.attention_entropy(tiny)
    h = -(2 / 3) * math.log2(2 / 3) - (1 / 3) * math.log2(1 / 3)  # Jan x 6 : y 3, Feb x 2 : y 1
    assert list(df["places"]) == [1, 1, 1, 2, 2, 1]
    assert list(df["entropy"]) == pytest.approx([0, 0, 0, h, h, 0])
    assert df["evenness"][3] == pytest.approx(h) and df["evenness"][:3].isna().all()


def test_place_trends(tiny: Any) -> None:
    df = ties.place_trends(tiny)
    # March (latest) vs February: y 4 vs 1, x 0 vs 2; w silent in both.
    assert rows(df, "name", "current", "previous", "change") == [("y", 4, 1, 3), ("x", 0, 2, -2)]
    assert list(df["growth"]) == [3.0, -1.0]


# -- PLACE ------------------------------------------------------------------------------------------

def test_activity_per_place(tiny: Any) -> None:
    df = place.activity_per_place(tiny)
    assert rows(df, "name", "threads", "contributions", "members") == [
        ("x", 3, 8, 4), ("y", 4, 8, 3), ("w", 1, 3, 1)]
    assert list(df["share"]) == pytest.approx([8 / 16, 8 / 16, 3 / 16])


def test_place_concentration(tiny: Any) -> None:
    out = place.place_concentration(tiny)
    # Per place 3, 8, 8 (total 19): ordered |diffs| = 20, Gini = 20 / (2 * 9 * 19/3).
    assert out["places"] == 3
    assert out["gini"] == pytest.approx(20 / 114)
    assert out["hhi"] == pytest.approx((9 + 64 + 64) / 361)
    shares = [3 / 19, 8 / 19, 8 / 19]
    assert out["entropy"] == pytest.approx(-sum(p * math.log2(p) for p in shares))


def test_place_lifecycle(tiny: Any) -> None:
    df = place.place_lifecycle(tiny).set_index("name")
    # End 2021-03-22 12:00; w last active 2020-12-05 (> 90 days before), z never.
    assert df.loc["w", "dormant"] and df.loc["z", "dormant"]
    assert not df.loc["x", "dormant"] and not df.loc["y", "dormant"]
    assert dict(df["threads"]) == {"x": 3, "y": 4, "w": 1, "z": 0}
    assert df["small"].all()
    assert str(df.loc["x", "last_at"]) == "2021-02-15 14:00:00+00:00"
    assert str(df.loc["z", "created_at"]) == "2020-01-01 00:00:00+00:00"


def test_rhythm(tiny: Any) -> None:
    df = place.rhythm(tiny)
    cells = {(int(w), int(h)): int(n) for w, h, n in rows(df, "weekday", "hour", "contributions")}
    # Mondays: p12 01h, p8 p9 08h, p7 09h, p1 p20 10h, p2 p14 12h, p3 13h, p10 14h;
    # Thursday p21; Saturday p22 10h, p13 12h, p15 18h; Sunday p5 p6 09h.
    assert cells == {(0, 1): 1, (0, 8): 2, (0, 9): 1, (0, 10): 2, (0, 12): 2, (0, 13): 1, (0, 14): 1,
                     (3, 10): 1, (5, 10): 1, (5, 12): 1, (5, 18): 1, (6, 9): 2}


def test_movement(tiny: Any) -> None:
    # a, b, c are in x and y; d only x; e only w.
    assert place.movement(tiny) == {"members": 5, "multi_place_members": 3, "multi_place_share": 0.6,
                                    "mean_places": pytest.approx(1.6)}


def test_place_trend(tiny: Any) -> None:
    df = place.place_trend(tiny)
    assert list(df["places"]) == [1, 1, 1, 2, 2, 1]
    assert list(df["busiest_share"]) == pytest.approx([1, 1, 1, 2 / 3, 2 / 3, 1])
    assert list(df["hhi"]) == pytest.approx([1, 1, 1, 45 / 81, 5 / 9, 1])


def test_silence_is_judged_against_each_source_own_end(tmp_path: Path) -> None:
    """A second source whose archive ended in 2015: its regular member o (Jan, Feb, Mar 2015) and
    its place q are not churned or dormant, nor o's follow-ups judged, against the first source's
    end (2021)."""
    old = "test:old"
    with Workspace(tmp_path / "two.duckdb") as ws:
        build_tiny(ws)
        con = ws.con
        con.execute("INSERT INTO sources (source_id, platform, name) VALUES (?, 'test', 'old')", [old])
        con.execute("INSERT INTO members (member_id, source_id) VALUES (?, ?)", [f"{old}:u:o", old])
        con.execute("INSERT INTO places (place_id, source_id, kind, name) VALUES (?, ?, 'list', 'q')",
                    [f"{old}:q", old])
        con.execute("INSERT INTO threads (thread_id, source_id, place_id, author_id, created_at) "
                    "VALUES (?, ?, ?, ?, '2015-01-10 00:00+00')", [f"{old}:t", old, f"{old}:q", f"{old}:u:o"])
        for i, day in enumerate(("2015-01-10", "2015-02-10", "2015-03-10")):
            con.execute("INSERT INTO posts (post_id, source_id, thread_id, author_id, created_at, kind, "
                        "is_contribution) VALUES (?, ?, ?, ?, ?, 'email', true)",
                        [f"{old}:p{i}", old, f"{old}:t", f"{old}:u:o", day + " 00:00+00"])
        b = ws.ibis()
        # Regular: e, c and o; only e fell silent (o's source ended with o's last post).
        assert people.churn(b) == {"regular_members": 3, "churned": 1, "churned_share": 1 / 3}
        life = place.place_lifecycle(b).set_index("name")
        assert not life.loc["q", "dormant"] and life.loc["w", "dormant"]
        # o came back after 31 days; 90 days after o's arrival lie beyond the old source's end.
        conv = people.newcomer_conversion(b)
        assert (conv["observable_30"], conv["converted_30"]) == (6, 0.5)
        assert (conv["observable_90"], conv["converted_90"]) == (1, 1.0)
        cohorts = people.cohort_retention(b)
        jan15 = cohorts[cohorts["cohort"].dt.strftime("%Y-%m") == "2015-01"].iloc[0]
        assert jan15["retained_1"] == 1.0 and math.isnan(jan15["retained_3"])
