"""Check in: regulars gone quiet relative to their own rhythm, ranked by what the community would
lose without them (``docs/brief.md`` *Check in*)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from communitas.brief.base import BriefContext, BriefItem, counted, hours, kind, pct
from communitas.brief.ties import lookup, year_roles
from communitas.metrics import scope

YEAR = 365
MIN_DAYS = 8            # active days in the year before their last contribution: a regular
MIN_SILENCE_DAYS = 14   # a fortnight away is never "quiet"
MEDIAN_FACTOR = 3       # silence over three usual gaps ...
MAX_SILENCE_DAYS = YEAR  # a year gone is a departure, not a lull


def rhythms(ctx: BriefContext, within_days: float | None = None) -> ir.Table:
    """Per member over the year before their last contribution: ``member, last_at, days``
    (distinct active days), ``median_gap`` and ``p90_gap`` (days between active days).

    With ``within_days``, only the contributions of the last ``within_days`` days are read: the
    figures are the same for every member whose last contribution is at most ``within_days - 367``
    days old (the year before it lies inside); the others' are not to be used."""
    h = ctx.history()
    h = h.filter(h.author_id.notnull())
    if within_days is not None:
        h = h.filter(h.created_at >= ctx.lit(within_days))
    last = h.group_by(member=h.author_id).aggregate(last_at=h.created_at.max())
    d = h.select(member=h.author_id, day=h.created_at.date()).distinct()
    d = d.join(last, "member")
    d = d.filter(d.day > (d.last_at - ibis.interval(days=YEAR)).date())
    prev = d.day.lag().over(group_by=d.member, order_by=d.day)
    d = d.mutate(gap=(d.day - prev).cast("int64"))  # whole days between two active days
    return d.group_by(["member", "last_at"]).aggregate(
        days=d.count(), median_gap=d.gap.median(), p90_gap=d.gap.quantile(0.9))


def response_shares(ctx: BriefContext) -> ir.Table:
    """Per member, over threads started in the year before now: ``member, responses`` (their
    posts in threads others started), ``share`` of all such responses, ``reach`` (distinct
    starters they answered)."""
    t = scope.threads(ctx.backend, since=ctx.since(YEAR), source_id=ctx.source_id)  # thread_stats' rows
    h = ctx.history()
    h = h.filter(h.created_at >= ctx.lit(YEAR))  # (a thread's posts are none older than its start)
    j = h.join(t.select("thread_id", "starter", "opener_post_id"), "thread_id")
    j = j.filter((j.post_id != j.opener_post_id) & j.author_id.notnull()
                 & ~j.author_id.identical_to(j.starter))
    per = j.group_by(member=j.author_id).aggregate(responses=j.count(), reach=j.starter.nunique())
    total = j.count()
    return per.mutate(share=per.responses / total.as_scalar())


def regulars(ctx: BriefContext) -> ir.Table:
    """:func:`rhythms` of the regulars (active on at least 8 days) silent for at most a year, with
    ``silence_days`` (since their last contribution) and ``expected_days`` (their usual gap)."""
    # the regulars' last contribution is at most a year old, so their year before it lies in the
    # last two years (and a day either side): read only those
    r = rhythms(ctx, within_days=MAX_SILENCE_DAYS + YEAR + 2)
    silence = (ctx.lit().epoch_seconds() - r.last_at.epoch_seconds()) / 86400.0
    expected = ibis.greatest(r.p90_gap.cast("float64"), r.median_gap * MEDIAN_FACTOR,
                             ibis.literal(MIN_SILENCE_DAYS))
    r = r.mutate(silence_days=silence, expected_days=expected)
    return r.filter((r.days >= MIN_DAYS) & (r.silence_days <= MAX_SILENCE_DAYS))


def quiet(r: ir.Table) -> ir.BooleanColumn:
    """The rule: silent for longer than their own usual gap."""
    return r.silence_days > r.expected_days


def quiet_regulars(ctx: BriefContext) -> pd.DataFrame:
    r = regulars(ctx)
    return by_loss(ctx, r.filter(quiet(r)))


def by_loss(ctx: BriefContext, r: ir.Table) -> pd.DataFrame:
    """Members of ``r`` with their :func:`response_shares`, ranked by what the community would
    lose: share of responses, then the longer silence."""
    s = response_shares(ctx)
    r = r.left_join(s, "member").drop("member_right")
    r = r.mutate(share=r.share.fill_null(0.0), responses=r.responses.fill_null(0), reach=r.reach.fill_null(0))
    df = r.execute()
    if df.empty:
        return df
    roles = year_roles(ctx)
    df["betweenness"] = df["member"].astype(str).map(lookup(roles, "betweenness")).fillna(0.0).astype(float)
    df["loss"] = df["share"].astype(float) + df["betweenness"]
    return df.sort_values(["loss", "silence_days", "member"], ascending=[False, False, True],
                          ignore_index=True)


@kind("checkin", "Check in with a regular", order=3)
def find(ctx: BriefContext) -> list[BriefItem]:
    df = quiet_regulars(ctx)
    ctx.learn_names(list(df.member))
    out = []
    rows: list[Any] = list(df.itertuples())
    for r in rows:
        who = ctx.label(r.member)
        silence, usual = hours(r.silence_days) or 0.0, hours(r.expected_days) or 0.0
        figures = {"silent_days": round(silence, 1), "expected_gap_days": round(usual, 1),
                   "median_gap_days": hours(r.median_gap), "p90_gap_days": hours(r.p90_gap),
                   "active_days_in_year": int(r.days), "response_share": round(float(r.share), 4),
                   "responses": int(r.responses), "members_answered": int(r.reach),
                   "betweenness": round(float(r.betweenness), 4), "loss": round(float(r.loss), 4),
                   "last_at": str(r.last_at)}
        out.append(BriefItem(
            "checkin", (r.member,), (who,), f"Check in with {who}, a regular who has gone quiet.",
            f"silent {silence:.0f} days where their own rhythm says {usual:.0f} at most "
            f"(active on {int(r.days)} days in their last year); they gave {pct(float(r.share))} of "
            f"the past year's responses, to {counted(int(r.reach), 'member')}; brokerage (betweenness) "
            f"{float(r.betweenness):.3f}",
            figures, score=float(r.loss)))
    return out
