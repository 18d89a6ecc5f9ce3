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
