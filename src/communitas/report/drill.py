"""The threads and members behind a figure: lists shared by the report and the dashboard.

These are the only row-level reads of the presentation layer; they return raw rows (ids, titles,
bodies, display names) and the caller pseudonymises and escapes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from communitas.metrics.base import contributions
from communitas.metrics.periods import period_end


def _posts(backend: Any, *, source_id: str | None, include_bots: bool, start: datetime | None,
           period: str, place_id: str | None) -> Any:
    posts = contributions(backend, source_id=source_id, include_bots=include_bots)
    if start is not None:
        posts = posts.filter((posts.created_at >= start) & (posts.created_at < period_end(start, period)))
    if place_id is not None:
        tp = backend.table("thread_places")
        tp = tp.filter(tp.place_id == place_id).select(tp_thread="thread_id").distinct()
        posts = posts.semi_join(tp, posts.thread_id == tp.tp_thread)
    return posts


def threads_behind(backend: Any, *, source_id: str | None = None, include_bots: bool = False,
                   start: datetime | None = None, period: str = "month", place_id: str | None = None,
                   limit: int = 20) -> list[dict[str, Any]]:
    """Threads with the most contributions in the window: id, title, contributions, members,
    first post body (for a snippet), created_at."""
    posts = _posts(backend, source_id=source_id, include_bots=include_bots, start=start,
                   period=period, place_id=place_id)
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


def members_behind(backend: Any, *, source_id: str | None = None, include_bots: bool = False,
                   start: datetime | None = None, period: str = "month", place_id: str | None = None,
                   limit: int = 20) -> list[dict[str, Any]]:
    """Members with the most contributions in the window: id, display name, contributions."""
    posts = _posts(backend, source_id=source_id, include_bots=include_bots, start=start,
                   period=period, place_id=place_id)
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
