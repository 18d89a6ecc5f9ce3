"""The threads and members behind a figure: lists shared by the report and the dashboard.

These are the only row-level reads of the presentation layer; they return raw rows (ids, titles,
bodies, display names) and the caller pseudonymises and escapes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from communitas.metrics.periods import period_end
from communitas.metrics.scope import ALL, Scope, in_window, scoped
from communitas.metrics.scope import posts as scope_posts


def _posts(backend: Any, scope: Scope, start: datetime | None, period: str) -> Any:
    """The contributions in ``scope`` (its window and place), within the period from ``start``."""
    posts = scope_posts(backend, scope)
    if start is not None:
        posts = in_window(posts, "created_at", start, period_end(start, period))
    return posts


@scoped
def threads_behind(backend: Any, scope: Scope = ALL, *, start: datetime | None = None,
                   period: str = "month", limit: int = 20) -> list[dict[str, Any]]:
    """Threads with the most contributions in ``scope`` (and in the period from ``start``, when
    given): id, title, contributions, members, first post body (for a snippet), created_at."""
    posts = _posts(backend, scope, start, period)
    agg = posts.group_by("thread_id").aggregate(contributions=posts.count(),
                                                members=posts.author_id.nunique())
    agg = agg.order_by([agg.contributions.desc(), agg.thread_id]).limit(limit)
    threads = backend.table("threads").select("thread_id", "title", "created_at", "source_id")
    joined = agg.left_join(threads, "thread_id")
    df = joined.execute()
    firsts = _first_bodies(backend, [t for t in df["thread_id"] if t is not None])
    out = []
    for r in df.to_dict("records"):
        out.append({"thread_id": r["thread_id"], "title": r["title"], "source_id": r["source_id"],
                    "created_at": None if pd.isna(r["created_at"]) else r["created_at"].isoformat(),
                    "contributions": int(r["contributions"]), "members": int(r["members"]),
                    "body": firsts.get(r["thread_id"])})
    return sorted(out, key=lambda r: (-r["contributions"], str(r["thread_id"])))


def _first_bodies(backend: Any, thread_ids: list[str]) -> dict[str, str | None]:
    if not thread_ids:
        return {}
    posts = backend.table("posts")
    posts = posts.filter(posts.thread_id.isin(thread_ids))
    first = posts.group_by("thread_id").aggregate(body=posts.body.argmin(posts.created_at))
    df = first.execute()
    return dict(zip(df["thread_id"], df["body"], strict=True))


@scoped
def members_behind(backend: Any, scope: Scope = ALL, *, start: datetime | None = None,
                   period: str = "month", limit: int = 20) -> list[dict[str, Any]]:
    """Members with the most contributions in ``scope`` (and in the period from ``start``, when
    given): id, display name, contributions."""
    posts = _posts(backend, scope, start, period)
    posts = posts.filter(posts.author_id.notnull())
    agg = posts.group_by("author_id").aggregate(contributions=posts.count(),
                                                threads=posts.thread_id.nunique())
    agg = agg.order_by([agg.contributions.desc(), agg.author_id]).limit(limit)
    members = backend.table("members").select(member_id="member_id", display_name="display_name")
    df = agg.left_join(members, agg.author_id == members.member_id).execute()
    rows = [{"member_id": r["author_id"], "display_name": r["display_name"],
             "contributions": int(r["contributions"]), "threads": int(r["threads"])}
            for r in df.to_dict("records")]
    return sorted(rows, key=lambda r: (-r["contributions"], r["member_id"]))
