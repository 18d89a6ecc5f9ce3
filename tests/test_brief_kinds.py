"""The brief's kinds that read the reply network, topics and the dashboard's memory, each on a small
community built in code (``tests/brief_corpus.py``'s :func:`build`); every figure worked by hand.

Betweenness here is igraph's undirected betweenness divided by the pairs of other members,
``(n - 1)(n - 2) / 2``, over the members who contributed in the year before now
(``communitas.network.roles.betweenness``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.brief_corpus import U, build
from tests.test_brief import small

from communitas import brief
from communitas.store import Workspace


def _store(tmp: pytest.TempPathFactory, name: str, data: Any, **kw: Any) -> Iterator[Workspace]:
    with Workspace(tmp.mktemp(name) / f"{name}.duckdb") as w:
        build(w, data=data, **kw)
        yield w


# Quiet regulars (days before NOW): k answered a1's threads weekly (days 100-177, 12 days);
# g answered a2 (days 100-121) and b1 (128-149), 8 days; m answered b1 and b2 4 days ago.
BROKER = small([
    *[(f"K{i}", "a1", "brew", 101 + 7 * i, [("k", 100 + 7 * i)]) for i in range(12)],
    *[(f"G{i}", "a2", "brew", 101 + 7 * i, [("g", 100 + 7 * i)]) for i in range(4)],
    *[(f"H{i}", "b1", "brew", 129 + 7 * i, [("g", 128 + 7 * i)]) for i in range(4)],
    ("M1", "b1", "brew", 5, [("m", 4)]), ("M2", "b2", "brew", 5, [("m", 4)]),
])


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield from _store(tmp_path_factory, "broker", BROKER)


def test_checkin_ranks_by_response_share_plus_brokerage(broker: Workspace) -> None:
    # Responses in the past year's threads: k 12, g 8, m 2 (22). The reply network of the year:
    # a1-k, and the path a2-g-b1-m-b2; 7 members, 15 pairs of others. g lies on the paths from a2 to
    # b1, m, b2: betweenness 3/15 = 0.2; k none. Loss: g 8/22 + 0.2 = 0.5636 > k 12/22 = 0.5455,
    # though k gave more responses. a1 (asked weekly until day 178) is a quiet regular too, loss 0.
    # a2 and b1 were active on 4 and 5 days (not regulars); m and b2 posted 4-5 days ago.
    got = brief.items(broker, kinds=["checkin"])
    assert [i["id"] for i in got] == [f"checkin:{U}g", f"checkin:{U}k", f"checkin:{U}a1"]
    f = {i["id"][len("checkin:" + U):]: i["figures"] for i in got}
    assert (f["g"]["betweenness"], f["k"]["betweenness"], f["a1"]["betweenness"]) == (0.2, 0.0, 0.0)
    assert f["g"]["loss"] == pytest.approx(8 / 22 + 0.2, abs=1e-4)
    assert f["k"]["loss"] == pytest.approx(12 / 22, abs=1e-4)
    # now is the last contribution (m's answers, 4 days before NOW): both silent 96 days
    assert (f["g"]["silent_days"], f["k"]["silent_days"]) == (96.0, 96.0)


# Introduce: x, y, z each wrote twice in brew and twice in hops in the last 90 days (every pair
# shares 2 of 2 places, Jaccard 1). u (two posts: not an active member) answered x and y, so the
# year's reply network has u-x, u-y and z alone: Leiden puts x, y, u together, z apart.
WEAVE = small([
    ("X1", "x", "brew", 10, [("u", 9)]), ("X2", "x", "brew", 11, []), ("X3", "x", "hops", 12, []),
    ("X4", "x", "hops", 13, []), ("Y1", "y", "brew", 10, [("u", 9)]), ("Y2", "y", "brew", 11, []),
    ("Y3", "y", "hops", 12, []), ("Y4", "y", "hops", 13, []), ("Z1", "z", "brew", 10, []),
    ("Z2", "z", "brew", 11, []), ("Z3", "z", "hops", 12, []), ("Z4", "z", "hops", 13, []),
])


def test_introduce_prefers_pairs_in_different_communities(tmp_path: Path) -> None:
    # By shared places and Jaccard alone the order would be x-y, x-z, y-z (ties, by id);
    # x and y are in the same community (both answered by u): they come last.
    with Workspace(tmp_path / "weave.duckdb") as w:
        build(w, data=WEAVE)
        got = brief.items(w, kinds=["introduce"])
    assert [i["id"] for i in got] == [f"introduce:{U}x+{U}z", f"introduce:{U}y+{U}z", f"introduce:{U}x+{U}y"]
    assert [i["figures"]["across_communities"] for i in got] == [True, True, False]
    assert got[0]["figures"]["shared_places"] == ["brew", "hops"] and "brew, hops" in got[0]["action"]


# Place, a theme growing without a place: four planted themes, 15 words each; every thread's
# question is 12 of its theme's words (days before NOW; now is day 0).
WORDS = {
    "mash": "mash sparge wort lauter grist strike kettle chiller mashout tun infusion decoction runoff "
            "vorlauf doughin",
    "hop": "cascade citra simcoe mosaic amarillo dryhop whirlpool bittering pellets lupulin centennial "
           "chinook galaxy nelson hopstand",
    "cider": "apples orchard pressing cider perry pears scrumpy russet bramley keeving pomace wassail "
             "crabapple cidery applewood",
    "glass": "tulip snifter goblet stange chalice teku stemware weizen flute nonic stein tumbler thistle "
             "willibecher tankard",
}
PLAN = [  # (theme, tag, days before NOW)
    *[("mash", "brew", 44 * i) for i in range(16)],       # 16 in brew: 5 recent (0-176 days)
    *[("hop", "hops", 5 + 44 * i) for i in range(16)],    # 16 in hops: 4 recent (5-137 days)
    *[("cider", "brew" if i % 2 == 0 else "hops", 20 + 12 * i) for i in range(12)],  # 12 recent
    ("cider", "brew", 400), ("cider", "hops", 410),
    *[("glass", "brew" if i % 2 == 0 else "hops", 300 + 40 * i) for i in range(10)],  # none recent
]


def themed() -> tuple[Any, dict[str, str]]:
    data = small([(f"{theme}{i}", f"t{i % 6}", tag, days, []) for i, (theme, tag, days) in enumerate(PLAN)])
    bodies = {}
    for i, (theme, _, _) in enumerate(PLAN):
        w = WORDS[theme].split()
        bodies[f"{theme}{i}q"] = " ".join(w[(i + j) % 15] for j in range(12))
    return data, bodies


@pytest.fixture(scope="module")
def themes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    data, bodies = themed()
    yield from _store(tmp_path_factory, "themes", data, bodies=bodies)


def test_place_proposes_a_space_for_the_growing_theme_without_one(themes: Workspace) -> None:
    # The model finds the four planted themes (checked below). A place is about a theme when 30% of
    # its threads are mainly about it: brew holds mash 16, cider 7, glass 5 (28): about mash only
    # (cider 25%); hops likewise. Cider and glass have no home (coverage 0) and shares over 1/(2k):
    # both are flagged demand. Cider grew: of the 21 threads of the last 180 days (mash 5, hop 4,
    # cider 12) 12 are cider, 12/21; of the 35 before (mash 11, hop 12, cider 2, glass 10) 2/35:
    # 10 times the share. Glass has no recent thread: not growing, not proposed.
    got = [i for i in brief.items(themes, kinds=["place"]) if i["subject_ids"][0] == "theme"]
    assert len(got) == 1
    f = got[0]["figures"]
    assert set(f["terms"]) <= set(WORDS["cider"].split()) and len(f["terms"]) == 5
    assert (f["recent_threads"], f["earlier_threads"]) == (12, 2)
    assert f["recent_share"] == pytest.approx(12 / 21, abs=1e-4)
    assert f["earlier_share"] == pytest.approx(2 / 35, abs=1e-4)
    assert f["growth"] == pytest.approx(10.0) and f["home_coverage"] == 0.0
    assert f["places"] == ["brew", "hops"] and "brew, hops" in got[0]["action"]


def test_the_topic_model_found_the_planted_themes(themes: Workspace) -> None:
    from tests.brief_corpus import NOW, T

    from communitas.brief import place_theme
    from communitas.brief.base import BriefContext
    from communitas.metrics import scope
    from communitas.report.context import Pseudonyms, store_salt

    with scope.Prepared(themes.ibis()) as b:
        m = place_theme.model(BriefContext(themes, b, None, NOW, Pseudonyms(store_salt(themes))))
    assert m is not None and m.k == 4
    topic = dict(zip(m.docs["thread_id"], m.docs["topic"], strict=True))
    for theme in WORDS:
        planted = {topic[f"{T}{theme}{i}"] for i, (t, _, _) in enumerate(PLAN) if t == theme}
        assert len(planted) == 1, theme  # every thread of a theme in one topic
    assert len({topic[f"{T}{t}{i}"] for i, (t, _, _) in enumerate(PLAN)}) == 4
    from communitas.topics.outputs import place_demand

    demand = place_demand(m).set_index("topic")["demand"]
    first = {t: topic[f"{T}{t}{next(i for i, p in enumerate(PLAN) if p[0] == t)}"] for t in WORDS}
    assert {t: bool(demand[k]) for t, k in first.items()} == {"mash": False, "hop": False, "cider": True,
                                                            "glass": True}


# Spotlight's second road (days before NOW; now is day 28, the last post). p, o1, o2, o3 all
# arrived 700 days ago (not new this year). In the first of the year's four 90-day windows p only
# answered o1 (P0: p and o1 periphery, coreness 1 under the core cut of 2). In the last window p,
# o1, o2, o3 reply to each other (C1-C3: a 4-clique, coreness 3, all core), and p and o2 answered
# the newcomer n (NN).
TRAJ = small([
    ("OLD", "o1", "brew", 700, [("p", 699), ("o2", 698), ("o3", 697)]),
    ("P0", "o1", "brew", 320, [("p", 319)]),
    ("C1", "o1", "brew", 60, [("p", 59), ("o2", 58, 0), ("o3", 57, 0), ("o3", 56, 1)]),
    ("C2", "o2", "brew", 50, [("o1", 49), ("p", 48)]),
    ("C3", "o3", "brew", 45, [("o1", 44)]),
    ("NN", "n", "hops", 30, [("p", 29), ("o2", 28)]),
])


def test_spotlight_follows_members_from_periphery_to_core(tmp_path: Path) -> None:
    # Responses in the last 90 days: p 3 (C1, C2, NN), o1 2, o2 2, o3 2: the top quarter starts at
    # 3 (the floor over the 75th percentile, 2.25); none is new this year, so that road is closed
    # to all. p: periphery -> core, a newcomer answered, appreciated by o2 and o3 (they replied to
    # p in C1): selected. o2 answered n and was replied to by p and o3, but was core from its first
    # window (no periphery before): not. o1 moved periphery -> core too but answered no newcomer;
    # o3 neither.
    with Workspace(tmp_path / "traj.duckdb") as w:
        build(w, data=TRAJ)
        got = brief.items(w, kinds=["spotlight"])
    assert [i["id"] for i in got] == [f"spotlight:{U}p"]
    f = got[0]["figures"]
    # (the two middle windows hold no post at all, so no member is "absent" from them)
    assert (f["path"], f["periphery_to_core"]) == ("periphery → core", True)
    # the bar figure is the 75th percentile of (2, 2, 2, 3): 2.25 (the floor of 3 then applies)
    assert (f["responses"], f["responses_bar"], f["newcomers_answered"], f["appreciators"]) == (3, 2.25, 1, 2)
    assert "from the edge of the reply network to its core" in got[0]["action"]


def test_the_theme_model_reads_recent_threads_evenly_sampled(themes: Workspace) -> None:
    from datetime import timedelta

    from tests.brief_corpus import NOW, T

    from communitas.topics import read_corpus

    # 21 threads started in the last 180 days (mash 5, hop 4, cider 12: see PLAN)
    assert len(read_corpus(themes, started_since=NOW - timedelta(days=180)).docs) == 21
    # 56 threads by start time; 8 of them evenly spread: positions round(55 * i / 7)
    order = sorted(range(len(PLAN)), key=lambda i: (-PLAN[i][2], f"{T}{PLAN[i][0]}{i}"))
    want = {f"{T}{PLAN[order[round(55 * i / 7)]][0]}{order[round(55 * i / 7)]}" for i in range(8)}
    assert set(read_corpus(themes, max_threads=8).docs["thread_id"]) == want
