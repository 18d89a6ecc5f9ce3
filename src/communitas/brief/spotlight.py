"""Spotlight: emerging contributors — new this year, already among the most active responders,
answering newcomers and appreciated by several members (``docs/brief.md`` *Spotlight*)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from communitas.brief.base import BriefContext, BriefItem, kind
from communitas.brief.ties import lookup, quarter_paths
from communitas.metrics import scope

NEW_DAYS = 365        # "emerging": first contribution in the past year
RECENT_DAYS = 90      # activity looked at
MIN_RESPONSES = 3
QUANTILE = 0.75       # ... and in the top quarter of the recent responders
MIN_APPRECIATED = 2   # distinct members who replied to or reacted to them, or one accepted answer


def responses(ctx: BriefContext) -> ir.Table:
    """Their recent responses: ``member, thread_id, newcomer`` (the thread opened its starter's
    first contribution), one row per post in a thread started by someone else in the last 90 days."""
    t = scope.threads(ctx.backend, since=ctx.since(RECENT_DAYS), source_id=ctx.source_id)
    firsts = scope.member_firsts(ctx.backend, source_id=ctx.source_id).select("first_post")
    t = t.left_join(firsts, t.opener_post_id == firsts.first_post)
    t = t.select("thread_id", "starter", "opener_post_id", newcomer=t.first_post.notnull())
    h = ctx.history()
    j = h.filter(h.created_at >= ctx.lit(RECENT_DAYS)).join(t, "thread_id")  # (none older than the thread)
    j = j.filter((j.post_id != j.opener_post_id) & j.author_id.notnull()
                 & ~j.author_id.identical_to(j.starter))
    return j.select(member=j.author_id, thread_id=j.thread_id, newcomer=j.newcomer)


def appreciation(ctx: BriefContext) -> ir.Table:
    """``member, appreciators`` (distinct others who replied to or reacted to their posts in the
    last 90 days) and ``accepted`` (their posts that are a thread's accepted answer)."""
    h = ctx.history()
    recent = h.filter(h.created_at >= ctx.lit(RECENT_DAYS))
    rep = recent.filter(recent.reply_to_member_id.notnull() & recent.author_id.notnull()
                        & (recent.author_id != recent.reply_to_member_id))
    rep = rep.select(member=rep.reply_to_member_id, by=rep.author_id)
    r = ctx.backend.table("reactions")
    r = r.filter(r.member_id.notnull() & (r.created_at >= ctx.lit(RECENT_DAYS)))
    own = h.select("post_id", owner=h.author_id)
    rx = r.join(own, "post_id")
    rx = rx.filter(rx.owner != rx.member_id).select(member=rx.owner, by=rx.member_id)
    both = rep.union(rx)
    per = both.group_by("member").aggregate(appreciators=both.by.nunique())
    th = ctx.backend.table("threads")
    th = th.filter(th.accepted_post_id.notnull()).select(pid="accepted_post_id")
    acc = h.join(th, h.post_id == th.pid)
    acc = acc.group_by(member=acc.author_id).aggregate(accepted=acc.count())
    out = per.outer_join(acc, per.member == acc.member)
    return out.select(member=ibis.coalesce(out.member, out.member_right),
                      appreciators=out.appreciators.fill_null(0), accepted=out.accepted.fill_null(0))


def emerging(ctx: BriefContext) -> Any:
    """Members on either road in (new this year and in the top quarter of responders, or moved
    from periphery to core in the reply network over the past year), who answered a newcomer and
    were appreciated."""
    resp = responses(ctx)
    per = resp.group_by("member").aggregate(responses=resp.count(), newcomers=resp.thread_id.nunique(
        where=resp.newcomer))
    bar = per.responses.quantile(QUANTILE).as_scalar()
    firsts = scope.member_firsts(ctx.backend, source_id=ctx.source_id).select(m="member", first_at="first_at")
    per = per.mutate(bar=bar).join(firsts, per.member == firsts.m).drop("m")
    busy = per.responses >= ibis.greatest(per.bar, MIN_RESPONSES)
    per = per.mutate(new_and_busy=(per.first_at >= ctx.lit(NEW_DAYS)) & busy).filter(per.newcomers >= 1)
    per = per.left_join(appreciation(ctx), "member").drop("member_right")
    per = per.mutate(appreciators=per.appreciators.fill_null(0), accepted=per.accepted.fill_null(0))
    per = per.filter((per.appreciators >= MIN_APPRECIATED) | (per.accepted >= 1))
    df = per.mutate(score=per.appreciators + per.accepted).execute()
    if df.empty:
        return df.assign(path="", periphery_to_core=False)
    paths = quarter_paths(ctx, list(df["member"].astype(str)))
    df["path"] = df["member"].astype(str).map(lookup(paths, "path")).fillna("")
    df["periphery_to_core"] = df["member"].astype(str).map(lookup(paths, "periphery_to_core")).fillna(False)
    df = df[df["new_and_busy"].astype(bool) | df["periphery_to_core"].astype(bool)]
    return df.sort_values(["score", "periphery_to_core", "responses", "member"],
                          ascending=[False, False, False, True], ignore_index=True)


@kind("spotlight", "Spotlight a contributor", order=6)
def find(ctx: BriefContext) -> list[BriefItem]:
    df = emerging(ctx)
    ctx.learn_names(list(df.member))
    rows: list[Any] = list(df.itertuples())
    out = []
    for r in rows:
        who = ctx.label(r.member)
        road = ("moving from the edge of the reply network to its core" if r.periphery_to_core
                else "new this year")
        out.append(BriefItem(
            "spotlight", (str(r.member),), (who,),
            f"Spotlight {who}: {road}, already answering others — thank them, "
            "or invite them to do more.",
            f"{int(r.responses)} responses in 90 days (the top quarter starts at {float(r.bar):.0f}), "
            f"{int(r.newcomers)} to newcomers; appreciated by {int(r.appreciators)} members, "
            f"{int(r.accepted)} accepted; over the year's quarters: {r.path or 'not in the network'}",
            {"responses": int(r.responses), "responses_bar": float(r.bar),
             "newcomers_answered": int(r.newcomers),
             "appreciators": int(r.appreciators), "accepted": int(r.accepted),
             "first_at": str(r.first_at), "path": str(r.path),
             "periphery_to_core": bool(r.periphery_to_core)}, score=float(r.score)))
    return out
