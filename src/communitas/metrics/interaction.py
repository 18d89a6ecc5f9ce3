"""SOCIAL INTERACTION: whether people answer each other, how fast, and whether it goes both ways.

A **response** to a thread is a contribution in it, other than its opening post, by someone other
than the thread's starter (see :mod:`communitas.metrics.scope`): an answer, a comment, a reply,
a message. A post by a deleted account (``author_id`` NULL) answers a thread started by a known
member; when both are NULL we cannot tell, and it does not count. Bots' posts never count unless
``include_bots``. Threads are those *started* in the window; their responses are looked for in
the whole history, so a thread started just before ``until`` may still show its answer.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from communitas.engines import quantile
from communitas.metrics import scope as sc
from communitas.metrics.base import automated_members, period_start
from communitas.metrics.reference import accepted_answer_sources
from communitas.metrics.scope import ALL, Scope, scoped

COMMENT_KIND = "comment"


@scoped
def thread_stats(backend: Any, scope: Scope = ALL) -> ir.Table:
    """One row per thread started in the window: ``thread_id, source_id, started_at, starter,
    first_response_at, response_hours, responses, replies, replies_by_others`` (an Ibis table, not
    executed).

    ``responses`` counts contributions by others; ``replies`` counts contributions besides the
    opening post that are not comments (answers, replies, messages); ``replies_by_others`` those
    of them by someone other than the starter."""
    return sc.memoized(backend, ("thread_stats", scope), lambda: _thread_stats(backend, scope))


def _thread_stats(backend: Any, scope: Scope) -> ir.Table:
    th = sc.threads(backend, scope)
    hist = sc.history(backend, scope)
    p = hist.select(pid=hist.post_id, tid=hist.thread_id, author=hist.author_id,
                    at=hist.created_at, kind=hist.kind)
    j = th.join(p, (th.thread_id == p.tid) & (th.opener_post_id != p.pid))
    other = ~j.author.identical_to(j.starter)
    per = j.group_by("thread_id").aggregate(
        first_response_at=j.at.min(where=other),
        responses=other.sum(),
        replies=(j.kind != COMMENT_KIND).sum(),
        replies_by_others=(other & (j.kind != COMMENT_KIND)).sum(),
    )
    out = th.left_join(per, th.thread_id == per.thread_id).drop("thread_id_right")
    hours = (out.first_response_at.epoch_seconds() - out.started_at.epoch_seconds()) / 3600.0
    return out.mutate(response_hours=hours, responses=out.responses.fill_null(0),
                      replies=out.replies.fill_null(0),
                      replies_by_others=out.replies_by_others.fill_null(0))


def _summary_aggs(t: ir.Table) -> dict[str, Any]:
    responded = t.first_response_at.notnull()
    return {
        "threads": t.count(),
        "responded": responded.sum(),
        "median_hours": quantile(t.response_hours, 0.5),
        "p90_hours": quantile(t.response_hours, 0.9),
        "replies": t.replies.sum(),
        "replied": (t.replies_by_others > 0).sum(),
    }


@scoped
def first_response(backend: Any, scope: Scope = ALL) -> dict[str, Any]:
    """Time to first response: for each thread started in the window, the time from its opening
    post to the first contribution by someone other than its starter. Reports the median and
    90th percentile in hours over the threads that got a response, **and** the share of threads
    that got none (``no_response_share``) — unanswered threads are never dropped from the picture.
    ``answered_share`` is its complement: threads with at least one contribution by another member.
    ``replies_per_thread`` is as in :func:`replies_per_thread`; ``replied_share`` counts only
    replies (not comments) by another member — on a Q&A site, questions with an answer."""
    t = thread_stats(backend, scope)
    row = t.aggregate(**_summary_aggs(t)).execute().iloc[0]
    n = int(row["threads"])
    responded = int(row["responded"] or 0)
    return {
        "threads": n, "responded": responded,
        "answered_share": responded / n if n else None,
        "no_response_share": (n - responded) / n if n else None,
        "median_hours": _float(row["median_hours"]), "p90_hours": _float(row["p90_hours"]),
        "replies_per_thread": float(row["replies"]) / n if n else None,
        "replied_share": int(row["replied"] or 0) / n if n else None,
    }


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


@scoped
def replies_per_thread(backend: Any, scope: Scope = ALL) -> float | None:
    """Mean number of replies per thread started in the window: contributions in the thread
    besides its opening post, by anyone, **excluding comments** (on Stack Exchange a comment
    annotates a post rather than answering the thread; this is Area 51's "answers per question")."""
    return _float(thread_stats(backend, scope).replies.mean().execute())


@scoped
def accepted_share(backend: Any, scope: Scope = ALL) -> float | None:
    """Share of threads started in the window that have an accepted answer
    (``threads.accepted_post_id``), counted only over sources that have accepts at all (some
    thread of the source has one). NULL — not 0 — when no source in scope has accepts."""
    th = sc.threads(backend, scope)
    raw = backend.table("threads")
    th = th.semi_join(accepted_answer_sources(backend), "source_id")
    acc = raw.select(tid=raw.thread_id, accepted=raw.accepted_post_id.notnull())
    j = th.join(acc, th.thread_id == acc.tid)
    row = j.aggregate(n=j.count(), a=j.accepted.sum()).execute().iloc[0]
    n = int(row["n"])
    return float(row["a"]) / n if n else None


@scoped
def threads_per_day(backend: Any, scope: Scope = ALL) -> float | None:
    """Threads started per day: threads started in the window divided by the number of days
    from ``since`` (else the first contribution in scope) to ``until`` (else the last one),
    counted as whole calendar days inclusive (Area 51's "questions per day")."""
    th = sc.threads(backend, scope)
    win = sc.posts(backend, scope)
    row = win.aggregate(first=win.created_at.min(), last=win.created_at.max()).execute().iloc[0]
    start = scope.since or row["first"]
    end = scope.until or row["last"]
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return None
    days = (pd.Timestamp(end).normalize() - pd.Timestamp(start).normalize()).days + (
        0 if scope.until is not None else 1)
    return int(th.count().execute()) / max(days, 1)


@scoped
def reciprocity(backend: Any, scope: Scope = ALL) -> dict[str, Any]:
    """Share of member pairs with replies in both directions: over the unordered pairs {a, b}
    where a replied to b or b to a in the window (``posts.reply_to_member_id``; self-replies,
    deleted accounts and, by default, replies to bots are left out), the share where both did."""
    win = sc.posts(backend, scope)
    e = win.filter(win.author_id.notnull() & win.reply_to_member_id.notnull()
                   & (win.author_id != win.reply_to_member_id))
    if not scope.include_bots:
        auto = automated_members(backend)
        e = e.anti_join(auto, e.reply_to_member_id == auto.member_id)
    a, b = e.author_id, e.reply_to_member_id
    pairs = e.select(lo=ibis.least(a, b), hi=ibis.greatest(a, b), forward=a < b)
    per = pairs.group_by(["lo", "hi"]).aggregate(dirs=pairs.forward.nunique())
    row = per.aggregate(pairs=per.count(), mutual=(per.dirs == 2).sum()).execute().iloc[0]
    n = int(row["pairs"])
    mutual = int(row["mutual"] or 0)
    return {"pairs": n, "mutual_pairs": mutual, "reciprocity": mutual / n if n else None}


@scoped
def newcomer_threads(backend: Any, scope: Scope = ALL) -> ir.Table:
    """Members whose very first contribution (in scope) opened a thread, that first contribution
    falling in the window: ``member, thread_id, started_at, first_response_at, response_hours,
    contributions`` (their contributions in the whole history)."""
    per = sc.member_firsts(backend, scope).select("member", "first_post", "contributions")
    t = thread_stats(backend, scope)
    j = t.join(per, t.opener_post_id == per.first_post)
    return j.select("member", "thread_id", "started_at", "first_response_at", "response_hours",
                    "contributions")


@scoped
def newcomer_reception(backend: Any, scope: Scope = ALL) -> dict[str, Any]:
    """Newcomer reception and return (the Joyce & Kraut 2006 comparison): among members whose
    first contribution opened a thread (in the window), the share whose thread got a response from
    someone else and the median hours to it; and the share who contributed again (any later
    contribution, at any time) among those who got a response vs those who did not."""
    t = newcomer_threads(backend, scope)
    got = t.first_response_at.notnull()
    back = t.contributions >= 2
    row = t.aggregate(
        newcomers=t.count(), received=got.sum(), median_hours=quantile(t.response_hours, 0.5),
        back_received=(got & back).sum(), back_ignored=(~got & back).sum(),
    ).execute().iloc[0]
    n, got_n = int(row["newcomers"]), int(row["received"] or 0)
    ignored = n - got_n
    return {
        "newcomers": n, "received": got_n,
        "reception_share": got_n / n if n else None,
        "median_hours_to_response": _float(row["median_hours"]),
        "return_with_response": int(row["back_received"] or 0) / got_n if got_n else None,
        "return_without_response": int(row["back_ignored"] or 0) / ignored if ignored else None,
        "with_response": got_n, "without_response": ignored,
    }


@scoped
def response_trend(backend: Any, scope: Scope = ALL, *, period: str = "month") -> pd.DataFrame:
    """Per period of thread start: ``threads``, ``no_response_share``, ``median_hours`` and
    ``p90_hours`` to first response, ``replies_per_thread`` (definitions as above)."""
    sc.check_period(period)
    t = thread_stats(backend, scope)
    t = t.mutate(period=period_start(t.started_at, period))
    out = t.group_by("period").aggregate(**_summary_aggs(t))
    out = out.mutate(no_response_share=(out.threads - out.responded) / out.threads,
                     replies_per_thread=out.replies / out.threads)
    cols = ["period", "threads", "no_response_share", "median_hours", "p90_hours", "replies_per_thread"]
    return out.select(cols).order_by("period").execute()
