"""Unanswered: threads still waiting for anyone but their starter, each with up to three members
who recently answered in the same places (``docs/brief.md`` *Unanswered*)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from communitas.brief.base import BriefContext, BriefItem, fmt_hours, hours, kind
from communitas.brief.welcome import response_threshold
from communitas.metrics import interaction, scope

WINDOW_DAYS = 90        # older unanswered threads are archive, not a to-do
RESPONDER_DAYS = 180    # "recently answered"
MAX_ITEMS = 50          # candidates looked at for responders (the brief is short)
RESPONDERS = 3
NOT_INTEREST = ("downvote", "close_vote", "reopen_vote", "delete_vote", "undelete_vote", "spam", "offensive")


def waiting_threads(ctx: BriefContext, n_hours: float) -> ir.Table:
    """Threads started in the last 90 days, at least N hours ago, with no response, whose
    starter had contributed before (first contributions are Welcome's): ``thread_id, starter,
    started_at, age_days, interest, score``."""
    t = interaction.thread_stats(ctx.backend, since=ctx.since(WINDOW_DAYS), source_id=ctx.source_id)
    t = t.filter((t.responses == 0) & (t.started_at <= ctx.lit(n_hours / 24)))
    firsts = scope.member_firsts(ctx.backend, source_id=ctx.source_id).select("first_post")
    t = t.anti_join(firsts, t.opener_post_id == firsts.first_post)
    r = ctx.backend.table("reactions")
    r = r.filter(~r.kind.isin(NOT_INTEREST))
    r = r.group_by("post_id").aggregate(interest=r.count())
    t = t.left_join(r, t.opener_post_id == r.post_id)
    age = (ctx.lit().epoch_seconds() - t.started_at.epoch_seconds()) / 86400.0
    interest = t.interest.fill_null(0)
    t = t.select("thread_id", "starter", "started_at", age_days=age, interest=interest)
    return t.mutate(score=(1 + t.interest) / (1 + t.age_days / 7.0))


def responders(ctx: BriefContext, threads: ir.Table) -> pd.DataFrame:
    """Up to three members per thread who responded most, in the last 180 days, in threads
    sharing a place with it (never its starter): ``thread_id, member, answers``."""
    tp = scope.thread_place(ctx.backend, ctx.source_id)
    wanted = threads.select(tid="thread_id", starter_of="starter").join(
        tp.select(tid="thread_id", pid="place_id"), "tid")
    near = tp.semi_join(wanted.select(place_id=wanted.pid).distinct(), "place_id")  # their places only
    recent = scope.threads(ctx.backend, since=ctx.since(RESPONDER_DAYS), source_id=ctx.source_id)
    recent = recent.select("thread_id", "starter", "opener_post_id").join(near, "thread_id")
    h = ctx.history()
    resp = h.filter(h.created_at >= ctx.lit(RESPONDER_DAYS)).join(recent, "thread_id")  # none older
    resp = resp.filter((resp.post_id != resp.opener_post_id) & resp.author_id.notnull()
                       & ~resp.author_id.identical_to(resp.starter))
    per_place = resp.group_by(["place_id", "author_id"]).aggregate(answers=resp.thread_id.nunique())
    j = wanted.join(per_place, wanted.pid == per_place.place_id)
    j = j.filter(~j.author_id.identical_to(j.starter_of))
    per = j.group_by(["tid", "author_id"]).aggregate(answers=j.answers.sum())
    rn = ibis.row_number().over(group_by=per.tid, order_by=[per.answers.desc(), per.author_id])
    per = per.mutate(rn=rn)
    per = per.filter(per.rn < RESPONDERS)
    return per.select(thread_id=per.tid, member=per.author_id, answers=per.answers).execute()


def ranked_threads(ctx: BriefContext, n_hours: float) -> ir.Table:
    """The (at most 50) :func:`waiting_threads` looked at, best score first."""
    t = waiting_threads(ctx, n_hours)
    return t.order_by([t.score.desc(), t.thread_id]).limit(MAX_ITEMS)


@kind("unanswered", "Find a responder", order=2)
def find(ctx: BriefContext) -> list[BriefItem]:
    n_hours, _ = response_threshold(ctx)
    df = ranked_threads(ctx, n_hours).execute()
    if df.empty:
        return []
    who = responders(ctx, ibis.memtable(df[["thread_id", "starter"]]))
    who = who.sort_values(["thread_id", "answers", "member"], ascending=[True, False, True])
    ctx.learn_names([*who.member, *df.starter.dropna()])
    titles = ctx.titles(list(df.thread_id))
    by_thread: dict[str, list[Any]] = {str(k): list(g.itertuples()) for k, g in who.groupby("thread_id")}
    return [_item(ctx, r, titles, by_thread.get(r.thread_id, []), n_hours) for r in df.itertuples()]


def _item(ctx: BriefContext, r: Any, titles: dict[str, str], cands: list[Any], n_hours: float) -> BriefItem:
    names = [ctx.label(c.member) for c in cands]
    title = titles.get(r.thread_id, "(untitled)")
    ask = f" — perhaps {', '.join(names)} could answer" if names else ""
    age_h = (hours(r.age_days) or 0.0) * 24
    figures = {"age_hours": round(age_h, 1), "interest": int(r.interest),
               "threshold_hours": round(n_hours, 1),
               "responders": [{"member": n, "recent_answers_here": int(c.answers)}
                              for n, c in zip(names, cands, strict=True)]}
    return BriefItem("unanswered", (r.thread_id,), (title,),
                     f"Find someone to answer \u201c{title}\u201d{ask}.",
                     f"no answer after {fmt_hours(age_h)} (usually within {fmt_hours(n_hours)}); "
                     f"{int(r.interest)} reactions; suggested: recent answerers in the same places",
                     figures, score=float(r.score), thread_id=r.thread_id)
