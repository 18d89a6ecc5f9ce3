"""The brief's reply network from arrays: every window's graph cut from one read of the replies.

:mod:`communitas.brief.ties` needs, at each brief's ``now``, the reply graph of the year before
and of four 90-day windows. :func:`communitas.network.graph.reply_ties` and ``window_members``
would ask the store for each window's ties and members; here the contributions are read once
(:class:`Replies`: time-sorted arrays, members as numbers that sort like their ids) and each
window is cut from them by binary search and built from numbers
(:func:`communitas.network.graph.graph_from_ids`): the same vertices in the same order, the same
edges and weights as the graph :func:`~communitas.network.graph.build_graph` makes from the
store's answer, so the seeded figures (sampled betweenness, Leiden) are the same too.

What enters, as in ``reply_ties`` and ``window_members``: the contributions in scope (bots' posts
left out), a member in a window when they contributed in it, a tie ``a → b`` per contribution of
``a`` in the window replying to ``b`` (self-replies dropped, replies to bots and system accounts
dropped). The backtest's :class:`~communitas.brief.asof.Timeline` reads the whole store once
(:func:`read`) and moves from date to date (:meth:`Replies.at`): at a date only what was made
before it is cut, and a reply to a bot is dropped when the bot is known then (its member row is
in the cut store, :func:`bot_visibility`), exactly as a replayed store would drop it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import ibis.expr.types as ir
import igraph as ig
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from communitas.metrics.base import automated_members
from communitas.network.graph import graph_from_ids

NEVER = np.iinfo(np.int64).max
ALWAYS = np.iinfo(np.int64).min


def micros(when: Any) -> int:
    """A time as microseconds since the epoch (UTC; a naive one is UTC), as the store keeps it."""
    t = pd.Timestamp(when)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return int(t.value // 1000)  # (``value``: nanoseconds, whatever the unit)


@dataclass(frozen=True)
class Replies:
    """Contributions as arrays: ``names`` (member ids, sorted: a member's number is its index),
    ``post_at``/``post_author`` (every contribution with an author, by time), ``tie_at``,
    ``tie_source``, ``tie_target`` (every reply to another member, by time), ``tie_bot_from``
    (when the target starts to count as a bot: :data:`NEVER` for members who are not bots) and
    ``cut`` (nothing at or after it is seen)."""

    names: np.ndarray
    post_at: np.ndarray
    post_author: np.ndarray
    tie_at: np.ndarray
    tie_source: np.ndarray
    tie_target: np.ndarray
    tie_bot_from: np.ndarray
    cut: int = NEVER

    def at(self, when: datetime) -> Replies:
        """The replies as known at ``when``: only what was made before it."""
        return replace(self, cut=micros(when))

    def graph(self, start: int, end: int) -> tuple[ig.Graph, np.ndarray]:
        """The reply graph of ``[start, end)`` (microseconds) and its vertices' member numbers."""
        end = min(end, self.cut)
        a, b = np.searchsorted(self.post_at, [start, end], side="left")
        members = np.unique(self.post_author[a:b]) if b > a else np.zeros(0, dtype=np.int64)
        a, b = np.searchsorted(self.tie_at, [start, end], side="left")
        keep = self.tie_bot_from[a:b] >= self.cut  # a reply to a bot known by then is dropped
        n = np.int64(max(1, len(self.names)))
        keys, counts = np.unique(self.tie_source[a:b][keep] * n + self.tie_target[a:b][keep],
                                 return_counts=True)
        return graph_from_ids(members, keys // n, keys % n, counts.astype("float64"))


def _numbers(names: np.ndarray, column: pa.ChunkedArray) -> np.ndarray:
    """Each id's member number (-1 for a null)."""
    found = pc.index_in(column, value_set=pa.array(names.tolist(), type=pa.string()))
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def from_table(posts: ir.Table, bot_from: dict[str, int]) -> Replies:
    """:class:`Replies` from ``posts`` (contributions with ``created_at, author_id,
    reply_to_member_id``); ``bot_from``: bot id → when it starts to count as one."""
    posts = posts.filter(posts.created_at.notnull() & posts.author_id.notnull())
    t = posts.select("created_at", "author_id", "reply_to_member_id").order_by("created_at").to_pyarrow()
    at = np.asarray(pc.cast(t["created_at"], pa.timestamp("us", tz="UTC")).cast(pa.int64())
                    .to_numpy(zero_copy_only=False), dtype=np.int64)
    ids = set(pc.unique(t["author_id"]).to_pylist()) | set(pc.unique(t["reply_to_member_id"]).to_pylist())
    ids.discard(None)
    names = np.array(sorted(ids), dtype=object)
    author, target = _numbers(names, t["author_id"]), _numbers(names, t["reply_to_member_id"])
    tie = (target >= 0) & (target != author)
    bots = np.full(len(names), NEVER, dtype=np.int64)
    if bot_from:
        where = pd.Index(names).get_indexer(list(bot_from))
        bots[where[where >= 0]] = np.asarray(list(bot_from.values()), dtype=np.int64)[where >= 0]
    return Replies(names, at, author, at[tie], author[tie], target[tie], bots[target[tie]])


def bot_visibility(con: Any, backend: Any) -> dict[str, int]:
    """``bot id → when it enters the store`` (microseconds; :data:`NEVER` if it never does), for
    every bot or system account (:func:`communitas.metrics.base.automated_members`): the first of
    its joining, posts, reactions (on a post then made) and events, the moments from which
    :func:`communitas.replay.cut_tables` keeps its member row. Read on ``con`` before any cut."""
    bots = [str(b) for b in automated_members(backend).execute()["member_id"].tolist()]
    if not bots:
        return {}
    rows = con.execute("""
        WITH b AS (SELECT DISTINCT unnest(?::VARCHAR[]) AS member_id),
        seen AS (
            SELECT member_id, joined_at AS at FROM members WHERE member_id IN (SELECT member_id FROM b)
            UNION ALL SELECT author_id, created_at FROM posts WHERE author_id IN (SELECT member_id FROM b)
            UNION ALL SELECT r.member_id, CASE WHEN r.post_id IS NULL THEN r.created_at
                                               WHEN p.created_at IS NULL OR r.created_at IS NULL THEN NULL
                                               ELSE greatest(r.created_at, p.created_at) END
                FROM reactions r LEFT JOIN posts p ON p.post_id = r.post_id
                WHERE r.member_id IN (SELECT member_id FROM b)
                  AND (r.post_id IS NULL OR p.post_id IS NOT NULL)
            UNION ALL SELECT member_id, created_at FROM events WHERE member_id IN (SELECT member_id FROM b))
        SELECT b.member_id, epoch_us(min(seen.at)) FROM b LEFT JOIN seen USING (member_id)
        GROUP BY b.member_id""", [bots]).fetchall()
    return {str(m): NEVER if at is None else int(at) for m, at in rows}


def from_backend(posts: ir.Table, backend: Any) -> Replies:
    """:class:`Replies` from ``posts`` on a store cut where it should be (a brief's own store or
    replay): its bots count as bots throughout."""
    bots = automated_members(backend).execute()["member_id"].tolist()
    return from_table(posts, {str(b): ALWAYS for b in bots})


__all__ = ["ALWAYS", "NEVER", "Replies", "bot_visibility", "from_backend", "from_table", "micros"]
