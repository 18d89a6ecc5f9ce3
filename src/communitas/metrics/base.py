"""What every metric shares: the canonical tables as Ibis expressions, with the default filters.

By default bots and platform system accounts (e.g. Stack Exchange user -1, "Community") are left
out of every metric: :func:`contributions` drops their posts. ``include_bots=True`` keeps them.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from communitas.metrics.periods import period_start


def contributions(
    backend: Any,
    *,
    source_id: str | None = None,
    include_bots: bool = False,
) -> ir.Table:
    """Posts that are conversation (``is_contribution``).

    Posts whose author account was deleted (``author_id`` NULL) are kept: they count as
    contributions, but not towards any member (``nunique`` ignores NULL).

    Persons, not accounts: where accounts were merged into one person (``communitas identities
    merge``), ``author_id`` and ``reply_to_member_id`` hold the person id instead of the account
    id. Bots: a manual override in ``member_flags`` wins over the source's ``is_bot``.
    """
    posts = backend.table("posts")
    posts = posts.filter(posts.is_contribution)
    if source_id is not None:
        posts = posts.filter(posts.source_id == source_id)
    if not include_bots:
        automated = automated_members(backend)
        posts = posts.anti_join(automated, posts.author_id == automated.member_id)
    return _as_persons(backend, _without_opted_out(backend, posts))


def _without_opted_out(backend: Any, posts: ir.Table) -> ir.Table:
    """Posts of members who opted out (``communitas.privacy``) left out, and replies addressed to
    them no longer tied to them. A no-op when nobody opted out (they are few: a literal list)."""
    from communitas.privacy import opted_out

    out = opted_out(backend).to_pyarrow()["member_id"].to_pylist()
    if not out:
        return posts
    posts = posts.filter(posts.author_id.isnull() | ~posts.author_id.isin(out))
    to_them = posts.reply_to_member_id.isin(out).fill_null(False)
    return posts.mutate(reply_to_member_id=to_them.ifelse(ibis.null("string"), posts.reply_to_member_id))


def automated_members(backend: Any) -> ir.Table:
    """``member_id`` of every bot or system account (a manual override in ``member_flags`` wins
    over the source's ``is_bot``): the accounts :func:`contributions` leaves out by default."""
    members = backend.table("members")
    is_bot = members.is_bot.fill_null(False)
    flags = _optional_table(backend, "member_flags")  # absent in stores made before it existed
    if flags is not None:
        flags = flags.select(fid="member_id", fbot="is_bot")
        members = members.left_join(flags, members.member_id == flags.fid)
        is_bot = members.fbot.coalesce(members.is_bot.fill_null(False))
    return members.filter(is_bot | members.is_system.fill_null(False)).select("member_id")


def _optional_table(backend: Any, name: str) -> ir.Table | None:
    try:
        return backend.table(name)
    except Exception:  # the backend's "table not found" error
        return None


def _as_persons(backend: Any, posts: ir.Table) -> ir.Table:
    """Replace merged accounts' ids by their person id (``identities.person_map``)."""
    from communitas.identities import person_map

    columns = posts.columns
    persons = person_map(backend).select(_mid="member_id", _pid="person_id")
    for col in ("author_id", "reply_to_member_id"):
        pm = persons.view()
        joined = posts.left_join(pm, posts[col] == pm._mid)
        posts = joined.select([joined._pid.coalesce(joined[col]).name(col) if c == col else joined[c]
                               for c in columns])
    return posts


__all__ = ["automated_members", "contributions", "ibis", "period_start"]
