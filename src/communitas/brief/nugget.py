"""Nugget: recent conversations worth curating — many distinct participants, appreciated,
linked from elsewhere, long-lived (``docs/brief.md`` *Nugget*)."""

from __future__ import annotations

from typing import Any

import ibis

from communitas.brief.base import BriefContext, BriefItem, kind
from communitas.metrics import interaction

RECENT_DAYS = 90      # conversations started in the last 90 days
YEAR = 365            # the participants' distribution is read from the past year's threads
QUANTILE = 0.9        # a nugget has more participants than nine threads in ten ...
MIN_PARTICIPANTS = 3  # ... and never fewer than three
MAX_ITEMS = 20
NOT_APPRECIATION = ("downvote", "close_vote", "reopen_vote", "delete_vote", "undelete_vote", "spam",
                    "offensive")


def nuggets(ctx: BriefContext) -> Any:
    h = ctx.history()
    t = interaction.thread_stats(ctx.backend, since=ctx.since(YEAR), source_id=ctx.source_id)
    j = h.join(t.select("thread_id", "started_at"), "thread_id")
    per = j.group_by(["thread_id", "started_at"]).aggregate(
        participants=j.author_id.nunique(), last_at=j.created_at.max())
    bar = per.participants.quantile(QUANTILE).as_scalar()
    per = per.mutate(bar=bar)
    per = per.filter((per.started_at >= ctx.lit(RECENT_DAYS))
                     & (per.participants >= ibis.greatest(per.bar, MIN_PARTICIPANTS)))
    r = ctx.backend.table("reactions")
    r = r.filter(~r.kind.isin(NOT_APPRECIATION)).join(h.select("post_id", "thread_id"), "post_id")
    r = r.group_by("thread_id").aggregate(reactions=r.count())
    ev = ctx.backend.table("events")
    ev = ev.filter((ev.category == "link") & ev.target_id.notnull())
    ev = ev.group_by(tid=ev.target_id).aggregate(links=ev.count())
    th = ctx.backend.table("threads").select(tid2="thread_id", accepted=ibis._.accepted_post_id.notnull())
    per = per.left_join(r, "thread_id").drop("thread_id_right")
    per = per.left_join(ev, per.thread_id == ev.tid).drop("tid")
    per = per.left_join(th, per.thread_id == th.tid2).drop("tid2")
    days = (per.last_at.epoch_seconds() - per.started_at.epoch_seconds()) / 86400.0
    per = per.mutate(reactions=per.reactions.fill_null(0), links=per.links.fill_null(0),
                     accepted=per.accepted.fill_null(False), days=days)
    order = [per.participants.desc(), per.reactions.desc(), per.links.desc(), per.days.desc(), per.thread_id]
    return per.order_by(order).limit(MAX_ITEMS).execute()


@kind("nugget", "Curate a conversation", order=8)
def find(ctx: BriefContext) -> list[BriefItem]:
    df = nuggets(ctx)
    titles = ctx.titles(list(df.thread_id))
    rows: list[Any] = list(df.itertuples())
    out = []
    for r in rows:
        title = titles.get(r.thread_id, "(untitled)")
        acc = "; has an accepted answer" if bool(r.accepted) else ""
        out.append(BriefItem(
            "nugget", (str(r.thread_id),), (title,),
            f"Curate \u201c{title}\u201d: pin it, link it from a FAQ or a newsletter.",
            f"{int(r.participants)} participants (nine threads in ten have fewer than {float(r.bar):.0f}), "
            f"{int(r.reactions)} reactions, linked {int(r.links)} times, alive {float(r.days):.0f} days{acc}",
            {"participants": int(r.participants), "participants_bar": float(r.bar),
             "reactions": int(r.reactions), "links": int(r.links), "accepted": bool(r.accepted),
             "days": round(float(r.days), 3)},
            score=float(r.participants), thread_id=str(r.thread_id)))
    return out
