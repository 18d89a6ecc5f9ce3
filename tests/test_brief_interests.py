"""Introduce by what members write about (``communitas.brief.interests``), on a one-place
community built in code (``tests/brief_corpus.py``'s :func:`build`, pseudonymised members whose
display names are ``[b]X[/b] x@example.org``); every figure worked by hand.

Four members, three posts each (each opens its own thread, all in the one tag ``brew``, 10 to 15
days before NOW; nobody replied to anybody), 12 posts read:

    x   "the usrp gpsdo octoclock pps example", "the usrp gpsdo octoclock pps",
        "usrp gpsdo octoclock pps dpdk"
    y   "the usrp gpsdo octoclock pps example", "usrp gpsdo octoclock pps", "usrp gpsdo octoclock pps"
    z   "the usrp rfnoc vivado", "usrp rfnoc vivado dpdk", "usrp rfnoc vivado"
    w   "usrp rfnoc vivado", "usrp rfnoc vivado", "and usrp rfnoc vivado"

"the", "and": English function words (the only language detected). A term must be used by at
least 2 and at most half of the 4 members: "usrp" (all four) is left out; gpsdo, octoclock, pps,
example (x, y), rfnoc, vivado (z, w) and dpdk (x, z) stay. IDF = ln(12 / posts using it):
ln 2 for gpsdo, octoclock, pps, rfnoc, vivado (6 posts each), ln 6 for example and dpdk (2).
Weights (1 + ln uses) x IDF: A = (1 + ln 3) ln 2 = 1.4546 for the terms a member used in all
three posts, B = ln 6 = 1.7918 for example and dpdk (once each).

* x-y: x = (A, A, A, B example, B dpdk), y = (A, A, A, B example): cosine
  (3A² + B²) / (|x| |y|) = sqrt((3A² + B²) / (3A² + 2B²)) = sqrt(9.5580 / 12.7684) = 0.8652,
  4 terms in common: **selected**. Named by the lower of their two weights: example (B) is a word
  of their display names — in the cosine, never shown; then gpsdo, octoclock, pps (A each:
  alphabetically).
* z-w: cosine sqrt(2A² / (2A² + B²)) = sqrt(4.2317 / 7.4421) = 0.7541, but 2 terms in common
  (rfnoc, vivado): not selected — two words are too few to say what an interest is.
* x-z: 1 term in common (dpdk), cosine B² / (|x| |z|) = 3.2104 / (3.5733 x 2.7280) = 0.3293: not.
* With places alone nobody is introduced: every member's one place is brew (one shared place,
  two are needed).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.brief_corpus import NOW, D, U, build
from tests.test_brief import small

from communitas import brief
from communitas.brief import find_all, interests, introduce
from communitas.brief.asof import Timeline
from communitas.brief.base import BriefContext
from communitas.report.context import Pseudonyms, store_salt
from communitas.store import Workspace

TEXTS = {
    "x": ["the usrp gpsdo octoclock pps example", "the usrp gpsdo octoclock pps",
          "usrp gpsdo octoclock pps dpdk"],
    "y": ["the usrp gpsdo octoclock pps example", "usrp gpsdo octoclock pps", "usrp gpsdo octoclock pps"],
    "z": ["the usrp rfnoc vivado", "usrp rfnoc vivado dpdk", "usrp rfnoc vivado"],
    "w": ["usrp rfnoc vivado", "usrp rfnoc vivado", "and usrp rfnoc vivado"],
}
# after the replay date X (NOW - 4 days): z and w both write about fifo, their third common term
LATER = {"z": ("rfnoc vivado fifo", 2), "w": ("rfnoc vivado fifo", 1)}
X = NOW - 4 * D
A, B = (1 + math.log(3)) * math.log(2), math.log(6)


def corpus(later: bool = False) -> tuple[Any, dict[str, str]]:
    rows = [(f"{m.upper()}{i}", m, "brew", 10 + 2 * i + k, [])
            for k, m in enumerate(TEXTS) for i in range(3)]
    bodies = {f"{m.upper()}{i}q": text for m, texts in TEXTS.items() for i, text in enumerate(texts)}
    if later:
        rows += [(f"{m.upper()}L", m, "brew", days, []) for m, (_, days) in LATER.items()]
        bodies |= {f"{m.upper()}Lq": text for m, (text, _) in LATER.items()}
    return small(rows), bodies


def store(path: Path, later: bool = False, before: datetime | None = None) -> Path:
    data, bodies = corpus(later)
    with Workspace(path) as w:
        build(w, data=data, bodies=bodies, before=before)
    return path


@pytest.fixture(scope="module")
def one_place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    with Workspace(store(tmp_path_factory.mktemp("interests") / "one.duckdb"), read_only=True) as w:
        yield w


def test_a_pair_is_introduced_for_what_both_write_about(one_place: Workspace) -> None:
    got = brief.items(one_place, kinds=["introduce"])
    assert [i["id"] for i in got] == [f"introduce:{U}x+{U}y"]
    f = got[0]["figures"]
    want = math.sqrt((3 * A**2 + B**2) / (3 * A**2 + 2 * B**2))
    assert f["cosine"] == pytest.approx(want, abs=1e-4) and round(want, 4) == 0.8652
    assert f["shared_terms"] == ["gpsdo", "octoclock", "pps"]  # "example" is in their names
    assert (f["shared"], f["shared_places"], f["across_communities"]) == (0, [], True)
    assert "both write about gpsdo, octoclock, pps, and they have never replied" in got[0]["action"]
    assert "cosine 0.87, 4 terms in common" in got[0]["why"] and "example" not in got[0]["action"]


def test_the_pairs_not_introduced_and_why(one_place: Workspace) -> None:
    from communitas.metrics import scope

    with scope.Prepared(one_place.ibis()) as b:
        ctx = BriefContext(one_place, b, None, NOW - 10 * D, Pseudonyms(store_salt(one_place)))
        t = interests.terms(ctx)
        alike = interests.similar(ctx)
        places = introduce.interests(ctx).execute()
    got = {(r.member[len(U):], r.term): (r.uses, round(r.idf, 4)) for r in t.itertuples()}
    assert got == {("x", "gpsdo"): (3, 0.6931), ("x", "octoclock"): (3, 0.6931), ("x", "pps"): (3, 0.6931),
                   ("x", "example"): (1, 1.7918), ("x", "dpdk"): (1, 1.7918),
                   ("y", "gpsdo"): (3, 0.6931), ("y", "octoclock"): (3, 0.6931), ("y", "pps"): (3, 0.6931),
                   ("y", "example"): (1, 1.7918),
                   ("z", "rfnoc"): (3, 0.6931), ("z", "vivado"): (3, 0.6931), ("z", "dpdk"): (1, 1.7918),
                   ("w", "rfnoc"): (3, 0.6931), ("w", "vivado"): (3, 0.6931)}
    # only x-y: z-w (cosine 0.7541) have two terms in common, x-z (0.3293) one
    assert [(a[len(U):], b[len(U):], n) for a, b, n in zip(alike.a, alike.b, alike.terms, strict=True)] == [
        ("x", "y", 4)]
    assert round(math.sqrt(2 * A**2 / (2 * A**2 + B**2)), 4) == 0.7541
    assert round(B**2 / math.sqrt((3 * A**2 + 2 * B**2) * (2 * A**2 + B**2)), 4) == 0.3293
    assert set(places.place_id.str.rsplit(":", n=1).str[-1]) == {"brew"} and len(places) == 4


def test_nothing_written_after_the_date_reaches_a_replayed_introduction(tmp_path: Path) -> None:
    """As of X the brief (replayed, and on the backtest's as-of views) is the same on the whole
    store as on a store that only ever held what was written before X, though the later posts
    change it: with fifo, z and w have three terms in common at NOW."""
    full = store(tmp_path / "full.duckdb", later=True)
    cut = store(tmp_path / "cut.duckdb", later=True, before=X)
    with Workspace(full, read_only=True) as ws:
        then, now = brief.items(ws, as_of=X, kinds=["introduce"]), brief.items(ws, kinds=["introduce"])
        with Timeline(ws, None) as timeline, timeline.at(X) as backend:
            ctx = BriefContext(ws, backend, None, X, Pseudonyms(store_salt(ws)))
            on_timeline = list(zip(*introduce.chosen_pairs(ctx, 20)[["a", "b"]].to_numpy().T, strict=True))
            texts = interests.terms(ctx)
        salt = ws.con.execute("SELECT value FROM meta WHERE key = 'salt'").fetchall()[0][0]
    with Workspace(cut) as ws:
        ws.con.execute("UPDATE meta SET value = ? WHERE key = 'salt'", [salt])
        found = find_all(ws, source_id=None, now=X, kinds=["introduce"])
    assert [i.to_dict() for i in brief.rank(found)] == then
    assert [i["id"] for i in then] == [f"introduce:{U}x+{U}y"]
    assert on_timeline == [(f"{U}x", f"{U}y")] and "fifo" not in set(texts.term)
    assert [i["id"] for i in now] == [f"introduce:{U}x+{U}y", f"introduce:{U}w+{U}z"]
    # at NOW, 14 posts: fifo (once each, 2 posts) weighs ln 7 = 1.95 for both, rfnoc and vivado (4
    # posts each, 8 posts) (1 + ln 4) ln(14 / 8) = 1.34
    assert now[1]["figures"]["shared_terms"] == ["fifo", "rfnoc", "vivado"]
