"""Introduce: close a triangle — two active members who write in the same places but have never
replied to each other (``docs/brief.md`` *Introduce*)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from communitas.brief.base import BriefContext, BriefItem, kind
from communitas.brief.ties import lookup, year_roles
from communitas.metrics import scope

ACTIVE_DAYS = 90      # "active": contributed in the last 90 days ...
MIN_POSTS = 3         # ... at least three times
PROFILE_DAYS = 180    # their places: where they contributed in the last 180 days ...
PLACE_POSTS = 2       # ... at least twice
MIN_SHARED = 2        # a pair shares at least two such places
POOL = 300            # the most active members looked at (bounds the pairs on a large site)
MAX_ITEMS = 20
CANDIDATES = 2000     # pairs looked at before the community preference re-ranks them


def interests(ctx: BriefContext) -> ir.Table:
    """``member, place_id``: the places each of the (at most 300) most active members of the last
    90 days contributed to at least twice in the last 180 days."""
    h = ctx.history()
    h = h.filter(h.author_id.notnull())
    recent = h.filter(h.created_at >= ctx.lit(ACTIVE_DAYS))
    active = recent.group_by(member=recent.author_id).aggregate(n=recent.count())
    active = active.filter(active.n >= MIN_POSTS).order_by([active.n.desc(), active.member]).limit(POOL)
    p = h.filter(h.created_at >= ctx.lit(PROFILE_DAYS)).join(scope.thread_place(ctx.backend, ctx.source_id),
                                                               "thread_id")
    per = p.group_by(member=p.author_id, place_id=p.place_id).aggregate(n=p.count())
    per = per.filter(per.n >= PLACE_POSTS)
    return per.semi_join(active, "member").select("member", "place_id")


def pairs(ctx: BriefContext) -> ir.Table:
    """``a, b, shared, either`` (places of either): pairs (a < b) sharing at least two places,
    who never replied to each other in the whole visible history (``reply_to_member_id``)."""
    i = interests(ctx)
    j = i.join(i.view(), "place_id")
    j = j.filter(j.member < j.member_right)
    per = j.group_by(a=j.member, b=j.member_right).aggregate(shared=j.count())
    per = per.filter(per.shared >= MIN_SHARED)
    counts = i.group_by("member").aggregate(k=i.count())
    ca, cb = counts.view(), counts.view()
    per = per.join(ca, per.a == ca.member).drop("member").rename(ka="k")
    per = per.join(cb, per.b == cb.member).drop("member").rename(kb="k")
    per = per.mutate(either=per.ka + per.kb - per.shared).drop("ka", "kb")
    h = ctx.history()
    r = h.filter(h.author_id.notnull() & h.reply_to_member_id.notnull())
    lo, hi = ibis.least(r.author_id, r.reply_to_member_id), ibis.greatest(r.author_id, r.reply_to_member_id)
    r = r.select(a=lo, b=hi)
    return per.anti_join(r.distinct(), ["a", "b"])


def ranked_pairs(ctx: BriefContext) -> ir.Table:
    """:func:`pairs` with their ``jaccard``, best first: shared places, then Jaccard."""
    p = pairs(ctx)
    p = p.mutate(jaccard=p.shared / p.either)
    return p.order_by([p.shared.desc(), p.jaccard.desc(), p.a, p.b])


def chosen_pairs(ctx: BriefContext, n: int) -> pd.DataFrame:
    """The rule: of the best ``CANDIDATES`` :func:`ranked_pairs`, pairs in different reply-network
    communities first (then shared places, Jaccard); the first ``n``. The brief and its backtest
    both select with this."""
    df = ranked_pairs(ctx).limit(CANDIDATES).execute()
    if df.empty:
        return df
    community = lookup(year_roles(ctx), "community")
    ca, cb = df["a"].astype(str).map(community), df["b"].astype(str).map(community)
    # a member with no reply tie in the year is a community of their own (as Leiden places an isolate)
    df["across"] = ca.isna() | cb.isna() | (ca != cb)
    df = df.sort_values(["across", "shared", "jaccard", "a", "b"],
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


def _item(ctx: BriefContext, r: Any, names: dict[str, list[str]]) -> BriefItem:
    a, b = ctx.label(r.a), ctx.label(r.b)
    shared = sorted(set(names.get(r.a, [])) & set(names.get(r.b, [])))
    return BriefItem(
        "introduce", (str(r.a), str(r.b)), (a, b),
        f"Introduce {a} and {b}: both write about {', '.join(shared)}, "
        "and they have never replied to each other.",
        f"{int(r.shared)} shared places of {int(r.either)} between them (Jaccard {float(r.jaccard):.2f}); "
        "no reply either way; " + ("in different communities of the reply network" if r.across
                                   else "in the same community of the reply network"),
        {"shared_places": shared, "shared": int(r.shared), "jaccard": round(float(r.jaccard), 4),
         "across_communities": bool(r.across)},
        score=float(r.jaccard) + (1.0 if r.across else 0.0))
