"""Welcome: newcomers whose first contribution opened a thread that nobody else has answered
for longer than this community usually takes (``docs/brief.md`` *Welcome*)."""

from __future__ import annotations

from typing import Any

from communitas.brief.base import BriefContext, BriefItem, fmt_hours, hours, kind, pct
from communitas.metrics import interaction

WINDOW_DAYS = 30        # a welcome later than a month is no longer a welcome
RATE_DAYS = 365         # the response times the threshold is read from
MIN_RESPONDED = 10      # fewer answered threads in that year: use the whole history
QUANTILE = 0.75         # N = the time within which three threads in four got their first response
FALLBACK_HOURS = 48.0   # no answered thread at all


def response_threshold(ctx: BriefContext) -> tuple[float, int]:
    """N hours: the 75th percentile of time to first response over the threads started in the
    year before ``now`` that got one (the whole history when fewer than 10 did), and the number
    of threads it was read from."""
    for since in (ctx.since(RATE_DAYS), None):
        t = interaction.thread_stats(ctx.backend, since=since, source_id=ctx.source_id)
        t = t.filter(t.response_hours.notnull())
        row = t.aggregate(n=t.count(), q=t.response_hours.quantile(QUANTILE)).execute().iloc[0]
        n = int(row["n"])
        if n >= MIN_RESPONDED or (since is None and n > 0):
            return float(row["q"]), n
    return FALLBACK_HOURS, 0


def waiting_newcomers(ctx: BriefContext, n_hours: float) -> Any:
    """Newcomer threads started in the last 30 days, at least N hours ago, with no response by
    anyone else: ``member, thread_id, started_at, waited_hours`` (a DataFrame, longest wait last)."""
    t = interaction.newcomer_threads(ctx.backend, since=ctx.since(WINDOW_DAYS), source_id=ctx.source_id)
    t = t.filter(t.first_response_at.isnull() & (t.started_at <= ctx.lit(n_hours / 24)))
    waited = (ctx.lit().epoch_seconds() - t.started_at.epoch_seconds()) / 3600.0
    t = t.select("member", "thread_id", "started_at", waited_hours=waited)
    return t.order_by([t.waited_hours, t.thread_id]).execute()


@kind("welcome", "Welcome a newcomer", order=1)
def find(ctx: BriefContext) -> list[BriefItem]:
    n_hours, basis = response_threshold(ctx)
    df = waiting_newcomers(ctx, n_hours)
    if df.empty:
        return []
    rec = interaction.newcomer_reception(ctx.backend, source_id=ctx.source_id)
    ctx.learn_names(list(df.member))
    titles = ctx.titles(list(df.thread_id))
    back_yes, back_no = rec["return_with_response"], rec["return_without_response"]
    out = []
    for r in df.itertuples():
        who = ctx.label(r.member)
        waited = hours(r.waited_hours) or 0.0
        figures = {"waited_hours": round(waited, 1), "threshold_hours": round(n_hours, 1),
                   "threshold_basis_threads": basis, "return_with_response": back_yes,
                   "return_without_response": back_no, "newcomers_seen": rec["newcomers"]}
        out.append(BriefItem(
            "welcome", (r.member, r.thread_id), (who, titles.get(r.thread_id, "")),
            f"Welcome {who}: their first post, \u201c{titles.get(r.thread_id, '(untitled)')}\u201d, "
            "has had no answer yet.",
            f"waiting {fmt_hours(waited)} (here three threads in four are answered within "
            f"{fmt_hours(n_hours)}); newcomers who got an answer came back {pct(back_yes)}, "
            f"those who did not {pct(back_no)}",
            figures, score=1.0 - min(waited / (WINDOW_DAYS * 24), 1.0), thread_id=r.thread_id))
    return out
