"""COMMON TIES: what members share, read from structure (places and tags), not from text.

A contribution is *in* a place when its thread is (``thread_places`` plus ``threads.place_id``:
tags, channels, lists, categories). A thread with three tags puts each of its posts in three
places, so per-place counts overlap and their sum exceeds the number of contributions.
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from communitas.metrics import scope as sc
from communitas.metrics.base import period_start
from communitas.metrics.periods import period_step
from communitas.metrics.scope import ALL, Scope, scoped

OVERLAP_MAX_MEMBERS = 3000


@scoped
def placed_posts(backend: Any, scope: Scope = ALL) -> ir.Table:
    """Contributions in the window, one row per (contribution, place of its thread)."""

    def build() -> ir.Table:
        win = sc.posts(backend, scope)
        return win.join(sc.thread_place(backend, scope.source_id), "thread_id")

    return sc.memoized(backend, ("placed_posts", scope), build)


def _named(backend: Any, table: ir.Table) -> ir.Table:
    places = backend.table("places").select("place_id", "name", "kind")
    return table.left_join(places, "place_id").drop("place_id_right")


@scoped
def place_members(backend: Any, scope: Scope = ALL) -> pd.DataFrame:
    """For each place, the members who contributed in it in the window (``members``), their
    share of all members active in the window (``member_share``), and its ``contributions``."""
    pp = placed_posts(backend, scope)
    win = sc.posts(backend, scope)
    active = win.author_id.nunique().as_scalar()
    out = pp.group_by("place_id").aggregate(members=pp.author_id.nunique(), contributions=pp.count())
    out = _named(backend, out.mutate(member_share=out.members / active))
    return out.order_by([out.members.desc(), out.place_id]).execute()


@scoped
def tag_cooccurrence(backend: Any, scope: Scope = ALL, *, limit: int | None = 50) -> pd.DataFrame:
    """Which places (tags) go together: for each pair of places sharing threads started in the
    window, the number of such ``threads`` and their Jaccard index (shared threads over threads in
    either). Pairs are unordered (``place_a`` < ``place_b``); the strongest ``limit`` are kept."""
    th = sc.threads(backend, scope).select("thread_id")
    tp = sc.thread_place(backend, scope.source_id).semi_join(th, "thread_id")
    per = tp.group_by("place_id").aggregate(n=tp.count())
    a = tp.select(tid=tp.thread_id, place_a=tp.place_id)
    b = tp.select(tid2=tp.thread_id, place_b=tp.place_id)
    pairs = a.join(b, (a.tid == b.tid2) & (a.place_a < b.place_b))
    out = pairs.group_by(["place_a", "place_b"]).aggregate(threads=pairs.count())
    na = per.select(place_a=per.place_id, n_a=per.n)
    nb = per.select(place_b=per.place_id, n_b=per.n)
    out = out.join(na, "place_a").join(nb, "place_b")
    out = out.mutate(jaccard=out.threads / (out.n_a + out.n_b - out.threads))
    out = out.select("place_a", "place_b", "threads", "jaccard").order_by(
        [ibis.desc("threads"), "place_a", "place_b"])
    return (out.limit(limit) if limit else out).execute()


@scoped
def interest_profiles(backend: Any, scope: Scope = ALL) -> pd.DataFrame:
    """Each member's interest profile: their contributions in the window per place, and the share
    of their placed contributions that each place holds (``share``; a member's shares sum to 1)."""
    pp = placed_posts(backend, scope)
    pp = pp.filter(pp.author_id.notnull())
    per = pp.group_by([pp.author_id.name("member"), "place_id"]).aggregate(contributions=pp.count())
    per = per.mutate(share=per.contributions / per.contributions.sum().over(group_by=per.member))
    return per.order_by(["member", ibis.desc("contributions"), "place_id"]).execute()


@scoped
def interest_overlap(backend: Any, scope: Scope = ALL, *,
                     max_members: int = OVERLAP_MAX_MEMBERS) -> dict[str, Any]:
    """How many pairs of members active in a place in the window share at least one interest
    (a place both contributed in): ``members``, all unordered ``pairs`` of them, ``sharing_pairs``
    and their ``share``. Above ``max_members`` members the share is measured on a systematic
    sample (every k-th member in id order from the first; ``sampled_members`` of them) and
    ``sharing_pairs`` is estimated from it: exact counting grows with the square of the members."""
    pp = placed_posts(backend, scope)
    mp = pp.filter(pp.author_id.notnull()).select(m=pp.author_id, place_id=pp.place_id).distinct()
    members = mp.select("m").distinct()
    n = int(members.count().execute())
    step = max(1, math.ceil(n / max_members))
    ranked = members.mutate(i=ibis.row_number().over(order_by=members.m))
    ranked = ranked.filter(ranked.i % step == 0)
    pairs_df = mp.join(ranked, "m").select("i", "place_id").execute()
    rows, _ = pd.factorize(pairs_df["i"])
    cols, _ = pd.factorize(pairs_df["place_id"])
    sample = int(rows.max()) + 1 if len(rows) else 0
    # member x place incidence; (A @ A.T)[a, b] > 0 when a and b share a place.
    incidence = np.zeros((sample, int(cols.max()) + 1 if len(cols) else 0), dtype=np.float32)
    incidence[rows, cols] = 1.0
    sharing = int(np.count_nonzero(np.triu(incidence @ incidence.T, k=1)))
    sample_pairs = sample * (sample - 1) // 2
    share = sharing / sample_pairs if sample_pairs else None
    pairs = n * (n - 1) // 2
    estimate = sharing if step == 1 else round((share or 0.0) * pairs)
    return {"members": n, "pairs": pairs, "sharing_pairs": estimate, "share": share,
            "sampled_members": sample}


@scoped
def attention_entropy(backend: Any, scope: Scope = ALL, *, period: str = "month") -> pd.DataFrame:
    """How spread attention is across places, per period: the Shannon entropy (bits) of the
    distribution of placed contributions over places (``entropy``), the number of active
    ``places``, and the ``evenness`` (entropy over its maximum, log2 of the places; 1 = evenly
    spread, 0 = all in one place; NULL with a single place)."""
    sc.check_period(period)
    pp = placed_posts(backend, scope)
    pp = pp.mutate(period=period_start(pp.created_at, period))
    per = pp.group_by(["period", "place_id"]).aggregate(n=pp.count()).execute()
    # The logarithms and the sum are taken here, not by the engine: math.fsum is exactly rounded
    # whatever the order, so every engine (DuckDB, Spark) gives the same bits.
    rows = [_entropy_row(period, [int(n) for n in group["n"]])
            for period, group in per.groupby("period", sort=True)]
    return pd.DataFrame(rows, columns=["period", "places", "entropy", "evenness"])


def _entropy_row(period: Any, counts: list[int]) -> tuple[Any, int, float, float | None]:
    """One period's places, entropy (bits; exactly 0 with one place) and evenness."""
    total, places = sum(counts), len(counts)
    if places < 2:
        return period, places, 0.0, None
    entropy = math.fsum(-(n / total) * math.log2(n / total) for n in counts)
    return period, places, entropy, entropy / math.log2(places)


@scoped
def place_trends(backend: Any, scope: Scope = ALL, *, period: str = "month") -> pd.DataFrame:
    """Topics rising and falling: contributions per place in the latest period with activity in
    the window (``current``) and the period before it (``previous``), their difference
    (``change``) and ``growth`` (change over previous; NULL for places new in the latest period).
    Sorted from most rising to most falling."""
    sc.check_period(period)
    pp = placed_posts(backend, scope)
    pp = pp.mutate(period=period_start(pp.created_at, period))
    latest = pp.period.max().as_scalar()
    step = period_step(period)
    out = pp.group_by("place_id").aggregate(
        current=(pp.period == latest).sum(), previous=(pp.period == latest - step).sum())
    out = out.filter((out.current > 0) | (out.previous > 0))
    out = out.mutate(change=out.current - out.previous,
                     growth=ibis.ifelse(out.previous > 0, (out.current - out.previous) / out.previous,
                                        ibis.null()))
    out = _named(backend, out)
    return out.order_by([out.change.desc(), out.place_id]).execute()
