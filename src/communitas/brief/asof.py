"""Cheap as-of views for the backtest: one connection moved from date to date.

A replayed brief (:func:`communitas.replay.as_of_view`) opens a connection, cuts every table at
``as_of`` and materialises the contributions again: fine once, too slow dozens of times on a
large store. :class:`Timeline` opens one connection, materialises the *whole* store's
contributions and thread openers once (before any cut), and :meth:`Timeline.at` then cuts the
canonical tables at each date with the replay's own definitions
(:func:`communitas.replay.cut_tables`, the one definition of "what was known then"; its costly
tables from moments worked out once, :mod:`communitas.brief.timecut`), and serves
the kinds an :class:`AsOf` backend whose contributions are the materialised ones filtered by
``created_at < as_of`` and whose thread openers are the whole store's filtered by ``started_at <
as_of`` (the first post of a thread that existed then is the same post now). Everything else a
kind asks is computed on the cut tables. ``tests/test_brief_backtest.py`` proves a kind selects
the same on :meth:`Timeline.at` as on :func:`communitas.replay.as_of_view`. The reply network's
ties and members are cut from arrays read once (:attr:`Timeline.replies`,
:mod:`communitas.brief.replies`).

:attr:`Timeline.full` is the whole store (the outcome checks look after ``as_of`` through it,
and only they do).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from communitas.brief import replies as reply_arrays
from communitas.brief.timecut import Cutter
from communitas.metrics import interaction, scope

FULL_THREAD_PLACE = "backtest_thread_place"
MATERIALISED = frozenset({"member_firsts"})  # read by most kinds at every date
TIMELINE = "timeline"  # AsOf.cache key of the Timeline it came from (brief/ties.py reads its replies)
# cut as views (computed when read): the checks read them at most once a date, or not at all
LAZY_CUT = frozenset({"posts", "events", "reactions", "thread_places", "members", "places", "sources"})


class AsOf(scope.Prepared):
    """A :class:`~communitas.metrics.scope.Prepared` over the cut tables at ``at`` that reads the
    contributions and thread openers from ``full`` (the whole store, materialised), filtered."""

    def __init__(self, backend: Any, at: datetime, full: scope.Prepared,
                 thread_place: ir.Table | None = None) -> None:
        super().__init__(backend, source_id=full.source_id)
        self.at, self.full = at, full
        self.whole_thread_place = thread_place  # the whole store's (thread_id, place_id), if known
        self.cache: dict[str, Any] = {}  # figures several checks share at this date

    def contributions(self, source_id: str | None, include_bots: bool) -> ir.Table:
        if source_id != self.source_id:
            return super().contributions(source_id, include_bots)
        c = self.full.contributions(source_id, include_bots)
        return c.filter(c.created_at < ibis.literal(self.at))

    def memo(self, key: Any, build: Any) -> ir.Table:
        if key[0] == "openers":
            t = scope.threads(self.full, key[1])
            return t.filter(t.started_at < ibis.literal(self.at))
        if key[0] == "member_firsts" and key[1].place is None:
            return super().memo(key, lambda: self._firsts(key[1]))
        if key[0] in MATERIALISED:
            return super().memo(key, build)
        return build()  # used once or twice a date: cheaper to compute than to write

    def derived(self, key: Any, build: Any) -> ir.Table:
        if key[0] == "thread_place" and key[1] == self.source_id and self.whole_thread_place is not None:
            # the thread_places and threads cut at ``at`` are the whole store's of the threads that
            # existed then (a thread's own place is never cut): so is their union
            threads = self.table("threads").select("thread_id")
            return self.whole_thread_place.semi_join(threads, "thread_id")
        return build()

    def _firsts(self, whole: scope.Scope) -> ir.Table:
        """:func:`~communitas.metrics.scope.member_firsts` as of :attr:`at`, from the whole store's
        (made once): a member's first contribution (time, post, source) is the same now as then
        when it came before ``at``, their second is kept when it did, and only ``contributions``
        is counted again, on the contributions before ``at``."""
        f = scope.member_firsts(self.full, whole)
        at = ibis.literal(self.at)
        f = f.filter(f.first_at < at)
        h = scope.history(self, whole)
        h = h.filter(h.author_id.notnull())
        n = h.group_by(m=h.author_id).aggregate(n=h.count())
        j = f.join(n, f.member == n.m)
        second = ibis.ifelse(j.second_at < at, j.second_at, ibis.null(j.second_at.type()))
        return j.select("member", "first_at", "first_post", "first_source", contributions=j.n,
                        second_at=second)


class Timeline:
    """One connection on ``ws`` for a backtest: :attr:`full` (the whole store) and :meth:`at`."""

    def __init__(self, ws: Any, source_id: str | None) -> None:
        self.con = ws.con.cursor()
        self.con.execute("SET TimeZone='UTC'")
        self.backend = ibis.duckdb.from_connection(self.con)
        self.source_id = source_id
        self.full = scope.Prepared(self.backend, source_id=source_id)
        # materialised now, before any cut: later reads of them see the whole store
        for bots in (True, False):
            self.full.contributions(source_id, bots)
        scope.threads(self.full, source_id=source_id)
        interaction.thread_stats(self.full, source_id=source_id)
        self.full.memo((FULL_THREAD_PLACE, source_id), lambda: scope.thread_place(self.backend, source_id))
        self._bots = reply_arrays.bot_visibility(self.con, self.backend)
        self._cutter = Cutter(self.con)
        self._replies: reply_arrays.Replies | None = None

    @property
    def replies(self) -> reply_arrays.Replies:
        """The whole store's replies as arrays (:mod:`communitas.brief.replies`), read once, at
        first use: each date's reply network is cut from them."""
        if self._replies is None:
            posts = self.full.contributions(self.source_id, False)
            self._replies = reply_arrays.from_table(posts, self._bots)
        return self._replies

    def thread_place(self) -> ir.Table:
        """``thread_id, place_id`` of the whole store."""
        return self.full.memo((FULL_THREAD_PLACE, self.source_id), lambda: scope.thread_place(
            self.backend, self.source_id))

    @contextmanager
    def at(self, when: datetime) -> Iterator[AsOf]:
        """The store as of ``when`` (cut tables on this connection) as an :class:`AsOf` backend."""
        self._cutter.cut(when, LAZY_CUT)
        backend = AsOf(self.backend, when, self.full, self.thread_place())
        backend.cache[TIMELINE] = self
        try:
            yield backend
        finally:
            backend.__exit__(None, None, None)

    def close(self) -> None:
        self._cutter.close()
        self.full.__exit__(None, None, None)
        self.con.close()

    def __enter__(self) -> Timeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
