"""Place: places one member hosts alone (recruit co-hosts), themes growing without a place of
their own (:mod:`communitas.brief.place_theme`) and places gone silent (archive or merge)
(``docs/brief.md`` *Place*)."""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from communitas.brief import place_theme
from communitas.brief.base import BriefContext, BriefItem, kind, pct
from communitas.metrics import interaction, scope

SILENT_DAYS = 90       # as metrics.place.place_lifecycle's "dormant"
HOST_SHARE = 0.5       # one member giving most responses in the place
MIN_RESPONSES = 10
YEAR = 365


def silent_places(ctx: BriefContext) -> pd.DataFrame:
    """Places (not sites) with no contribution in the 90 days before now, created (or first
    used) at least 90 days ago: ``place_id, name, threads, last_at``."""
    tp = scope.thread_place(ctx.backend, ctx.source_id)
    h = ctx.history().join(tp, "thread_id")
    per = h.group_by("place_id").aggregate(threads=h.thread_id.nunique(), last_at=h.created_at.max(),
                                           first_at=h.created_at.min())
    p = ctx.backend.table("places")
    if ctx.source_id is not None:
        p = p.filter(p.source_id == ctx.source_id)
    p = p.filter(p.kind != "site").select("place_id", "name", "created_at").left_join(per, "place_id")
    old = ctx.lit(SILENT_DAYS)
    born = ibis.coalesce(p.created_at, p.first_at)
    p = p.filter((born < old) & (p.last_at.isnull() | (p.last_at < old)))
    p = p.mutate(threads=p.threads.fill_null(0))
    p = p.select("place_id", "name", "threads", "last_at")
    return p.order_by([p.threads.desc(), p.place_id]).execute()


def lone_hosts(ctx: BriefContext) -> pd.DataFrame:
    """Places where, over threads started in the past year, one member gave at least half of
    the (at least 10) responses: ``place_id, name, member, responses, total, share``; one row
    per place (of two members at exactly half, the first by member id)."""
    t = interaction.thread_stats(ctx.backend, since=ctx.since(YEAR), source_id=ctx.source_id)
    j = ctx.history().join(t.select("thread_id", "starter", "opener_post_id"), "thread_id")
    j = j.filter((j.post_id != j.opener_post_id) & j.author_id.notnull()
                 & ~j.author_id.identical_to(j.starter))
    j = j.join(scope.thread_place(ctx.backend, ctx.source_id), "thread_id")
    per = j.group_by(["place_id", "author_id"]).aggregate(responses=j.count())
    tot = j.group_by("place_id").aggregate(total=j.count())
    per = per.join(tot, "place_id")
    per = per.filter((per.total >= MIN_RESPONSES) & (per.responses >= per.total * HOST_SHARE))
    names = ctx.backend.table("places").select(pid="place_id", name="name")
    per = per.left_join(names, per.place_id == names.pid).drop("pid")
    per = per.mutate(share=per.responses / per.total)
    df = per.order_by([per.share.desc(), per.place_id, per.author_id]).execute()
    # two members at exactly half: one item per place (its id is the place's), the first by id
    return df.drop_duplicates("place_id", ignore_index=True)


@kind("place", "Tend the places", order=7)
def find(ctx: BriefContext) -> list[BriefItem]:
    df = lone_hosts(ctx)
    ctx.learn_names(list(df.author_id))
    hosts: list[Any] = list(df.itertuples())
    out = [BriefItem(
        "place", ("cohost", r.place_id), (str(r.name),),
        f"Recruit co-hosts for {r.name}: {ctx.label(r.author_id)} gives most of its responses.",
        f"{ctx.label(r.author_id)} gave {int(r.responses)} of its {int(r.total)} responses "
        f"({pct(float(r.share))}) over the past year",
        {"share": round(float(r.share), 4), "responses": int(r.total), "host_responses": int(r.responses)},
        score=float(r.share)) for r in hosts]
    out += place_theme.items(ctx)
    silent: list[Any] = list(silent_places(ctx).itertuples())
    for r in silent:
        last = "never used" if pd.isna(r.last_at) else f"silent since {pd.Timestamp(r.last_at):%Y-%m-%d}"
        out.append(BriefItem(
            "place", ("silent", r.place_id), (str(r.name),),
            f"Archive {r.name}, or merge it into a livelier place.",
            f"{last}; {int(r.threads)} threads ever",
            {"threads": int(r.threads), "last_at": None if pd.isna(r.last_at) else str(r.last_at)},
            score=0.0))
    return out
