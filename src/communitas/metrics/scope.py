"""The scope every component metric shares: which contributions and threads a question is about.

A metric is asked about a **window** (``since`` inclusive, ``until`` exclusive, UTC), optionally
one **place** (a place id or name: tag, channel, list, category) and one **source**; bots and
system accounts are left out unless ``include_bots`` (see :func:`communitas.metrics.base.contributions`).
All of it travels as one :class:`Scope`: every metric is ``fn(backend, scope, *, options)``, and
the tables a :class:`PreparedBackend` materialises are keyed by the scope they were made for.

Two views of the posts are used:

* :func:`history` — every contribution of the source/place, at any time. Follow-up questions
  (a member's first contribution ever, whether a newcomer came back, when a thread got its first
  response) look at the whole history, so a window does not make everyone a "newcomer".
* :func:`posts` — the contributions made inside the window.

A thread's **opening post** is its earliest contribution (ties broken by post id); its author is
the thread's **starter**. Deriving it from the posts (not ``threads.author_id``) keeps it
consistent with however :func:`contributions` maps accounts to persons. Threads opened by a bot
or system account are left out unless ``include_bots``.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import ibis
import ibis.expr.types as ir

from communitas.engines import DuckDBScratch, Scratch, scratch_for
from communitas.errors import UsageError
from communitas.metrics.base import contributions
from communitas.metrics.periods import PERIODS

# The post columns the component metrics read (what PreparedBackend keeps; bodies stay out of
# memory).
POST_COLUMNS = ("post_id", "source_id", "thread_id", "author_id", "created_at", "reply_to_post_id",
                "reply_to_member_id", "kind", "is_contribution")
TimeArg = datetime | date | str | None


def as_time(value: TimeArg) -> datetime | None:
    """A UTC datetime from a datetime, a date or an ISO string (naive means UTC).

    >>> as_time("2020-01-31").isoformat(), as_time(None)
    ('2020-01-31T00:00:00+00:00', None)
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise UsageError(f"{value!r} is not a date; write it as YYYY-MM-DD.") from None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Scope:
    """What a question is about, as one hashable value: the window (``since`` inclusive, ``until``
    exclusive), one ``place`` (an id or a name), one ``source_id``, ``include_bots``, and ``as_of``
    — the moment the question is asked. ``as_of`` is the one way to replay: whoever answers opens
    the store as it stood then (:func:`communitas.replay.as_of_view`), so nothing after it can be
    seen; ``until`` only narrows the window inside what is visible.

    Every metric takes one (``fn(backend, scope)``) and every memo key is built from it. Times may
    be given as datetimes, dates or ISO strings; they are kept as UTC datetimes, so equal scopes
    are equal values.

    >>> Scope(since="2020-01-01") == Scope.of(since="2020-01-01")
    True
    """

    since: datetime | None = None
    until: datetime | None = None
    place: str | None = None
    source_id: str | None = None
    include_bots: bool = False
    as_of: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until", "as_of"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, as_time(getattr(self, name)))

    @classmethod
    def of(cls, *, since: TimeArg = None, until: TimeArg = None, place: str | None = None,
           source_id: str | None = None, include_bots: bool = False, as_of: TimeArg = None) -> Scope:
        """A scope from dates or ISO strings (UTC)."""
        return cls(as_time(since), as_time(until), place, source_id, include_bots, as_time(as_of))

    def but(self, **changes: Any) -> Scope:
        """This scope with some fields changed, e.g. ``scope.but(place=None)``."""
        return replace(self, **changes)

    def whole_history(self) -> Scope:
        """The same source, place and bots, at any time (no window)."""
        return replace(self, since=None, until=None)

    def metric_kwargs(self) -> dict[str, Any]:
        """The scope as keywords (all but ``as_of``), for code written before :class:`Scope`."""
        return {name: getattr(self, name) for name in SCOPE_KEYWORDS}


ALL = Scope()
"""The whole store: every source, place and time, bots left out."""
SCOPE_KEYWORDS = ("since", "until", "place", "source_id", "include_bots")
R = TypeVar("R")


def scoped(fn: Callable[..., R]) -> Callable[..., R]:
    """Let a metric ``fn(backend, scope, **options)`` also be called the older way, with the scope
    as keywords (``fn(backend, since=..., source_id=...)``): they are folded into the
    :class:`Scope` (onto the one given, if any). Code outside the metric layer written before
    :class:`Scope` keeps working; new code passes a :class:`Scope`."""

    @functools.wraps(fn)
    def call(backend: Any, scope: Scope | None = None, /, **kwargs: Any) -> R:
        scope = kwargs.pop("scope", scope)
        legacy = {k: kwargs.pop(k) for k in SCOPE_KEYWORDS if k in kwargs}
        base = ALL if scope is None else scope
        return fn(backend, replace(base, **legacy) if legacy else base, **kwargs)

    return call


def check_period(period: str) -> str:
    if period not in PERIODS:
        raise UsageError(f"unknown period {period!r}; choose one of {', '.join(PERIODS)}.")
    return period


def thread_place(backend: Any, source_id: str | None = None) -> ir.Table:
    """``(thread_id, place_id)``: every place a thread is in (its tags and its own place)."""
    if isinstance(backend, PreparedBackend):
        return backend.derived(("thread_place", source_id), lambda: _thread_place(backend, source_id))
    return _thread_place(backend, source_id)


def _thread_place(backend: Any, source_id: str | None) -> ir.Table:
    tp = backend.table("thread_places")
    th = backend.table("threads")
    if source_id is not None:
        tp = tp.filter(tp.source_id == source_id)
        th = th.filter(th.source_id == source_id)
    own = th.filter(th.place_id.notnull()).select("thread_id", "place_id")
    return tp.select("thread_id", "place_id").union(own, distinct=True)


def place_ids(backend: Any, place: str, source_id: str | None = None) -> list[str]:
    """The place ids that ``place`` (an id or a name) names; a user error when none does."""
    places = backend.table("places")
    if source_id is not None:
        places = places.filter(places.source_id == source_id)
    found = places.filter((places.place_id == place) | (places.name == place)).select("place_id")
    ids = sorted(str(v) for v in found.execute()["place_id"])
    if not ids:
        raise UsageError(f"no place named {place!r} in the store; "
                         "see `communitas profile` for the places it holds.")
    return ids


def in_window(table: ir.Table, column: str, since: TimeArg, until: TimeArg) -> ir.Table:
    """Rows of ``table`` whose ``column`` lies in ``[since, until)``."""
    start, end = as_time(since), as_time(until)
    if start is not None:
        table = table.filter(table[column] >= ibis.literal(start))
    if end is not None:
        table = table.filter(table[column] < ibis.literal(end))
    return table


def in_scope(backend: Any, posts: ir.Table, *, since: TimeArg = None, until: TimeArg = None,
             place: str | None = None, source_id: str | None = None) -> ir.Table:
    """The ``posts`` made in ``[since, until)`` and, when ``place`` (an id or name) is given, in a
    thread of that place: the scope options of the commands that read posts directly
    (``network``, ``topics``)."""
    posts = in_window(posts, "created_at", since, until)
    if place is not None:
        tp = thread_place(backend, source_id)
        tp = tp.filter(tp.place_id.isin(place_ids(backend, place, source_id)))
        posts = posts.semi_join(tp, posts.thread_id == tp.thread_id)
    return posts


class PreparedBackend:
    """A backend wrapper serving :func:`contributions` from temporary tables made once.

    Many metrics start from the same contributions; materialising them once (per ``include_bots``
    value) saves each metric from re-deriving them (bot filter, person mapping). Everything else
    is the wrapped backend's. Use as a context manager: the temporary tables are dropped on exit.

    Where they go depends on the engine (:func:`communitas.engines.scratch_for`): on DuckDB an
    attached in-memory database that compresses them, on Spark cached temporary views, on other
    backends plain temporary tables.
    """

    def __init__(self, backend: Any, *, source_id: str | None = None) -> None:
        self.backend = backend
        self.source_id = source_id
        self._made: dict[Any, ir.Table] = {}
        self._scratch: Scratch | None = None

    def table(self, name: str) -> ir.Table:
        return self.backend.table(name)

    def contributions(self, source_id: str | None, include_bots: bool) -> ir.Table:
        if source_id != self.source_id:
            return contributions(self.backend, source_id=source_id, include_bots=include_bots)
        return self.memo(("contributions", include_bots), lambda: contributions(
            self.backend, source_id=source_id, include_bots=include_bots).select(*POST_COLUMNS))

    def memo(self, key: Any, build: Callable[[], ir.Table]) -> ir.Table:
        """The table ``build()`` makes, materialised once per ``key`` in the engine's scratch space."""
        if key not in self._made:
            if self._scratch is None:
                self._scratch = scratch_for(self.backend)
            self._made[key] = self._scratch.put(f"_communitas_memo_{uuid.uuid4().hex}", build())
        return self._made[key]

    def made(self, key: Any, backend: Any) -> ir.Table | None:
        """The table made for ``key``, read through ``backend`` (another connection to the same
        DuckDB database, see :mod:`communitas.metrics.concurrent`); None when not made yet or when
        the scratch space is not a DuckDB database others can read."""
        table = self._made.get(key)
        if table is None or not isinstance(self._scratch, DuckDBScratch):
            return None
        return backend.table(table.op().name, database=(self._scratch.name, "main"))

    def derived(self, key: Any, build: Callable[[], ir.Table]) -> ir.Table:
        """``build()`` (not materialised); a subclass may serve ``key`` another way that gives the
        same rows (the backtest's as-of backend derives some from the whole store's)."""
        return build()

    def __enter__(self) -> PreparedBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None
        self._made.clear()


Prepared = PreparedBackend
"""The former name of :class:`PreparedBackend` (``communitas.topics.text.Prepared`` is a prepared
text), kept for code written before the rename."""


def memoized(backend: Any, key: Any, build: Callable[[], ir.Table]) -> ir.Table:
    """``build()``, made once per ``key`` when ``backend`` is :class:`PreparedBackend` (else every time)."""
    return backend.memo(key, build) if isinstance(backend, PreparedBackend) else build()


def scoped_contributions(backend: Any, *, source_id: str | None, include_bots: bool) -> ir.Table:
    """:func:`contributions`, from a :class:`PreparedBackend`'s tables where it has them."""
    if isinstance(backend, PreparedBackend):
        return backend.contributions(source_id, include_bots)
    return contributions(backend, source_id=source_id, include_bots=include_bots)


@scoped
def history(backend: Any, scope: Scope = ALL) -> ir.Table:
    """Every contribution in scope (source, place, bots), at any time (the window is ignored)."""
    posts = scoped_contributions(backend, source_id=scope.source_id, include_bots=scope.include_bots)
    if scope.place is not None:
        place = scope.place
        key = ("history", scope.whole_history())
        return memoized(backend, key, lambda: _in_place(backend, posts, place, scope.source_id))
    return posts


def _in_place(backend: Any, posts: ir.Table, place: str, source_id: str | None) -> ir.Table:
    ids = place_ids(backend, place, source_id)
    tp = thread_place(backend, source_id)
    wanted = tp.filter(tp.place_id.isin(ids)).select("thread_id").distinct()
    return posts.semi_join(wanted, "thread_id")


@scoped
def posts(backend: Any, scope: Scope = ALL) -> ir.Table:
    """Contributions in scope made inside the window."""
    return in_window(history(backend, scope), "created_at", scope.since, scope.until)


@scoped
def threads(backend: Any, scope: Scope = ALL) -> ir.Table:
    """One row per thread started in the window: ``thread_id, source_id, started_at, starter,
    opener_post_id``."""
    whole = scope.whole_history()
    first = memoized(backend, ("openers", whole), lambda: _openers(backend, whole))
    return in_window(first, "started_at", scope.since, scope.until)


def _openers(backend: Any, scope: Scope) -> ir.Table:
    everyone = history(backend, scope.but(include_bots=True))
    everyone = everyone.filter(everyone.thread_id.notnull())
    rank = ibis.row_number().over(group_by=everyone.thread_id,
                                  order_by=[everyone.created_at, everyone.post_id])
    ranked = everyone.mutate(rn=rank)
    first = ranked.filter(ranked.rn == 0).select(
        "thread_id", "source_id", started_at=ranked.created_at, starter=ranked.author_id,
        opener_post_id=ranked.post_id)
    if not scope.include_bots:
        human = scoped_contributions(backend, source_id=scope.source_id, include_bots=False).select("post_id")
        first = first.semi_join(human, first.opener_post_id == human.post_id)
    return first


@scoped
def member_firsts(backend: Any, scope: Scope = ALL) -> ir.Table:
    """One row per member with a contribution in scope, over the whole history (the window is
    ignored): ``member, first_at`` (first contribution), ``first_post`` (its id; the smallest id
    among ties), ``first_source`` (its source), ``second_at`` (the next contribution; equal to
    ``first_at`` for a tie, NULL if none) and ``contributions``."""
    whole = scope.whole_history()

    def build() -> ir.Table:
        hist = history(backend, whole)
        m = hist.filter(hist.author_id.notnull())
        first = m.group_by(member=m.author_id).aggregate(first_at=m.created_at.min())
        j = m.join(first, m.author_id == first.member)
        at_first = j.created_at == j.first_at
        per = j.group_by(["member", "first_at"]).aggregate(
            first_post=j.post_id.min(where=at_first), first_source=j.source_id.min(where=at_first),
            ties=at_first.sum(),
            later=j.created_at.min(where=j.created_at > j.first_at), contributions=j.count())
        second = ibis.ifelse(per.ties >= 2, per.first_at, per.later)
        return per.select("member", "first_at", "first_post", "first_source", "contributions",
                          second_at=second)

    return memoized(backend, ("member_firsts", whole), build)


def source_ends(posts: ir.Table) -> ir.Table:
    """``source_id, source_end``: the last contribution of each source in ``posts``. Silence is
    judged against a member's or place's own source, so an archive that ended years ago does not
    make everything in it look abandoned next to a live source."""
    return posts.group_by("source_id").aggregate(source_end=posts.created_at.max())


