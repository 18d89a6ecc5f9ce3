"""Introduce: close a triangle — two active members who write in the same places or about the same
things (:mod:`communitas.brief.interests`) but have never replied to each other (``docs/brief.md``
*Introduce*)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from communitas.brief import interests as topics
from communitas.brief.base import BriefContext, BriefItem, kind
from communitas.brief.interests import ACTIVE_DAYS as ACTIVE_DAYS  # read by the backtest
from communitas.brief.interests import PROFILE_DAYS
from communitas.brief.ties import lookup, year_roles
from communitas.metrics import scope

PLACE_POSTS = 2       # their places: where they contributed in the last 180 days at least twice
MIN_SHARED = 2        # a pair shares at least two such places (or their texts are alike: interests.py)
MAX_ITEMS = 20
NAMED_TERMS = 5       # the shared terms named in the action ...
SHOWN_TERMS = 10      # ... and in the figures
CANDIDATES = 2000     # pairs looked at before the community preference re-ranks them


INTERESTS_KEY = "introduce.interests"
REPLIED_KEY = "introduce.replied"


def interests(ctx: BriefContext) -> ir.Table:
    """``member, place_id``: the places each of the (at most 300) most active members of the last
    90 days contributed to at least twice in the last 180 days (computed once per context)."""
    if INTERESTS_KEY not in ctx.cache:
        h = ctx.history()
        h = h.filter(h.author_id.notnull())
        active = topics.active(ctx)
        p = h.filter(h.created_at >= ctx.lit(PROFILE_DAYS)).semi_join(active, h.author_id == active.member)
        p = p.join(scope.thread_place(ctx.backend, ctx.source_id), "thread_id")
        per = p.group_by(member=p.author_id, place_id=p.place_id).aggregate(n=p.count())
        per = per.filter(per.n >= PLACE_POSTS).select("member", "place_id")
        schema = {"member": "string", "place_id": "string"}
        ctx.cache[INTERESTS_KEY] = ibis.memtable(per.execute(), schema=schema)
    out: ir.Table = ctx.cache[INTERESTS_KEY]
    return out


def members(ctx: BriefContext) -> list[str]:
    """Introduce's members: those with places (:func:`interests`) or with text read
    (:func:`communitas.brief.interests.terms`)."""
    return sorted(set(interests(ctx).execute().member) | set(topics.terms(ctx).member))


def replied(ctx: BriefContext) -> pd.DataFrame:
    """``a, b`` (a < b): the pairs of the pool (:func:`communitas.brief.interests.active`) where
    one ever replied to the other (``reply_to_member_id``, the whole visible history)."""
    if REPLIED_KEY not in ctx.cache:
        pool = topics.active(ctx)
        h = ctx.history()
        r = h.filter(h.author_id.notnull() & h.reply_to_member_id.notnull())
        r = r.semi_join(pool, r.author_id == pool.member)
        to = pool.view()
        r = r.semi_join(to, r.reply_to_member_id == to.member)
        lo = ibis.least(r.author_id, r.reply_to_member_id)
        hi = ibis.greatest(r.author_id, r.reply_to_member_id)
        r = r.filter(lo != hi).select(a=lo, b=hi).distinct()
        ctx.cache[REPLIED_KEY] = r.order_by(["a", "b"]).execute()
    out: pd.DataFrame = ctx.cache[REPLIED_KEY]
    return out


def pairs(ctx: BriefContext) -> ir.Table:
    """``a, b, shared, either, cosine, terms``: pairs (a < b) sharing at least two places
    (``shared`` of the ``either`` places of either; counted only then), or whose texts are alike
    (``cosine`` of their TF-IDF profiles at least 0.25, with at least three ``terms`` in common:
    :func:`communitas.brief.interests.alike`; 0 otherwise), who never replied to each other in
    the whole visible history (``reply_to_member_id``)."""
    i = interests(ctx)
    j = i.join(i.view(), "place_id")
    j = j.filter(j.member < j.member_right)
    per = j.group_by(a=j.member, b=j.member_right).aggregate(shared=j.count())
    per = per.filter(per.shared >= MIN_SHARED)
    t = topics.alike(ctx)
    both = per.outer_join(t, ["a", "b"])
    per = both.select(a=ibis.coalesce(both.a, both.a_right), b=ibis.coalesce(both.b, both.b_right),
                      shared=both.shared.fill_null(0), cosine=both.cosine.fill_null(0.0),
                      terms=both.terms.fill_null(0)).view()
    counts = i.group_by("member").aggregate(k=i.count())
    ca, cb = counts.view(), counts.view()
    per = per.left_join(ca, per.a == ca.member).drop("member").rename(ka="k")
    per = per.left_join(cb, per.b == cb.member).drop("member").rename(kb="k")
    per = per.mutate(either=per.ka.fill_null(0) + per.kb.fill_null(0) - per.shared).drop("ka", "kb")
    # every member of a pair is of the pool: the pool's own reply pairs are all that can match
    r = ibis.memtable(replied(ctx), schema={"a": "string", "b": "string"})
    return per.anti_join(r, ["a", "b"])


def ranked_pairs(ctx: BriefContext) -> ir.Table:
    """:func:`pairs` with their place ``jaccard`` (shared / either) and ``alike``, best first: by
    ``alike``, then shared places. ``alike`` adds what qualifies the pair: its place Jaccard when
    it shares at least two places, and its texts' cosine when they are alike."""
    p = pairs(ctx)
    p = p.mutate(jaccard=ibis.ifelse(p.either > 0, p.shared / p.either, 0.0))
    p = p.mutate(alike=ibis.ifelse(p.shared >= MIN_SHARED, p.jaccard, 0.0) + p.cosine)
    return p.order_by([p.alike.desc(), p.shared.desc(), p.a, p.b])


def chosen_pairs(ctx: BriefContext, n: int) -> pd.DataFrame:
    """The rule: of the best ``CANDIDATES`` :func:`ranked_pairs`, pairs in different reply-network
    communities first (then as :func:`ranked_pairs`); the first ``n``. The brief and its backtest
    both select with this."""
    df = ranked_pairs(ctx).limit(CANDIDATES).execute()
    if df.empty:
        return df
    community = lookup(year_roles(ctx), "community")
    ca, cb = df["a"].astype(str).map(community), df["b"].astype(str).map(community)
    # a member with no reply tie in the year is a community of their own (as Leiden places an isolate)
    df["across"] = ca.isna() | cb.isna() | (ca != cb)
    df = df.sort_values(["across", "alike", "shared", "a", "b"],
                        ascending=[False, False, False, True, True])
    return df.head(n)


@kind("introduce", "Introduce two members", order=5)
def find(ctx: BriefContext) -> list[BriefItem]:
    df = chosen_pairs(ctx, MAX_ITEMS)
    if df.empty:
        return []
    ctx.learn_names([*df.a, *df.b])
    names = _place_names(ctx, list(df.a) + list(df.b))
    rows: list[Any] = list(df.itertuples())
    return [_item(ctx, r, names) for r in rows]


def _place_names(ctx: BriefContext, members: list[str]) -> dict[str, list[str]]:
    """Each member's interest places, by name (for naming what a pair shares)."""
    i = interests(ctx)
    i = i.filter(i.member.isin(list(set(members))))
    pl = ctx.backend.table("places").select(pid="place_id", name="name")
    df = i.left_join(pl, i.place_id == pl.pid).execute()
    out: dict[str, list[str]] = {}
    for r in df.itertuples():
        out.setdefault(str(r.member), []).append(str(r.name if isinstance(r.name, str) else r.place_id))
    return out


def _reasons(r: Any) -> list[str]:
    """What qualified the pair, in words: its shared places, its texts alike, or both."""
    out = []
    if r.shared >= MIN_SHARED:
        out.append(f"{int(r.shared)} shared places of {int(r.either)} between them "
                   f"(Jaccard {float(r.jaccard):.2f})")
    if r.terms > 0:
        out.append(f"their texts alike (cosine {float(r.cosine):.2f}, {int(r.terms)} terms in common)")
    return out


def _item(ctx: BriefContext, r: Any, names: dict[str, list[str]]) -> BriefItem:
    a, b = ctx.label(r.a), ctx.label(r.b)
    shared = sorted(set(names.get(r.a, [])) & set(names.get(r.b, []))) if r.shared >= MIN_SHARED else []
    terms = topics.shared(ctx, str(r.a), str(r.b)) if r.terms > 0 else []
    about = [f"in {', '.join(shared)}"] if shared else []
    about += [f"about {', '.join(terms[:NAMED_TERMS])}"] if terms else []
    about = about or ["about the same things"]  # (their shared words were all names)
    return BriefItem(
        "introduce", (str(r.a), str(r.b)), (a, b),
        f"Introduce {a} and {b}: both write {' and '.join(about)}, "
        "and they have never replied to each other.",
        "; ".join([*_reasons(r), "no reply either way", "in different communities of the reply network"
                   if r.across else "in the same community of the reply network"]),
        {"shared_places": shared, "shared": int(r.shared), "jaccard": round(float(r.jaccard), 4),
         "shared_terms": terms[:SHOWN_TERMS], "cosine": round(float(r.cosine), 4),
         "across_communities": bool(r.across)},
        score=float(r.alike) + (1.0 if r.across else 0.0))
