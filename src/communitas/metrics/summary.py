"""A first overview of a community: size, span, contributors and volume by kind."""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from communitas.metrics.base import automated_members, contributions


def overview(backend: Any, *, source_id: str | None = None, include_bots: bool = False
             ) -> dict[str, Any]:
    """Headline counts.

    ``members``: accounts in the store (not bots/system unless ``include_bots``);
    ``contributors``: members who posted at least one contribution; ``posts_by_kind``:
    contributions per kind (question, answer, comment, message, ...), the most frequent first;
    ``first``/``last``: the earliest and latest contribution (UTC).
    """
    posts = contributions(backend, source_id=source_id, include_bots=include_bots)
    members = backend.table("members")
    if source_id is not None:
        members = members.filter(members.source_id == source_id)
    if not include_bots:
        members = members.anti_join(automated_members(backend), "member_id")
    # the most frequent kind first (a GROUP BY's order depends on DuckDB's threads)
    by_kind = posts.group_by("kind").aggregate(n=posts.count()).order_by([ibis.desc("n"), "kind"]).execute()
    span = posts.aggregate(first=posts.created_at.min(), last=posts.created_at.max(),
                           contributors=posts.author_id.nunique()).execute()
    return {
        "members": int(members.count().execute()),
        "contributors": int(span["contributors"][0]),
        "posts_by_kind": {str(k): int(n) for k, n in zip(by_kind["kind"], by_kind["n"], strict=True)},
        "first": _iso(span["first"][0]),
        "last": _iso(span["last"][0]),
    }


def _iso(value: Any) -> str | None:
    """A time as ISO text in UTC (a naive one is UTC)."""
    if pd.isna(value):
        return None
    return (value.tz_localize("UTC") if value.tzinfo is None else value).isoformat()  # type: ignore[no-any-return]
