"""What every metric shares: the canonical tables as Ibis expressions, with the default filters.

By default bots and platform system accounts (e.g. Stack Exchange user -1, "Community") are left
out of every metric: :func:`contributions` drops their posts. ``include_bots=True`` keeps them.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir


def contributions(
    backend: Any,
    *,
    source_id: str | None = None,
    include_bots: bool = False,
) -> ir.Table:
    """Posts that are conversation (``is_contribution``).

    Posts whose author account was deleted (``author_id`` NULL) are kept: they count as
    contributions, but not towards any member (``nunique`` ignores NULL).
    """
    posts = backend.table("posts")
    posts = posts.filter(posts.is_contribution)
    if source_id is not None:
        posts = posts.filter(posts.source_id == source_id)
    if not include_bots:
        members = backend.table("members")
        automated = members.filter(members.is_bot.fill_null(False) | members.is_system.fill_null(False))
        posts = posts.anti_join(automated.select("member_id"), posts.author_id == automated.member_id)
    return posts


def period_start(ts: ir.TimestampValue, period: str) -> ir.Value:
    """Truncate a timestamp to the start of its week/month/quarter/year (UTC)."""
    unit = {"week": "W", "month": "M", "quarter": "Q", "year": "Y", "day": "D"}[period]
    return ts.truncate(unit)


__all__ = ["contributions", "ibis", "period_start"]
