"""The scope every component metric shares: which contributions and threads a question is about.

A metric is asked about a **window** (``since`` inclusive, ``until`` exclusive, UTC), optionally
one **place** (a place id or name: tag, channel, list, category) and one **source**; bots and
system accounts are left out unless ``include_bots`` (see :func:`communitas.metrics.base.contributions`).

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

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from communitas.errors import UsageError
from communitas.metrics.base import contributions
from communitas.metrics.periods import PERIODS

# The post columns the component metrics read (what Prepared keeps; bodies stay out of memory).
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
    """What a question is about, as one hashable value: the window (``since``, ``until``), one
    ``place``, one ``source_id``, ``include_bots``, and ``as_of`` — the moment the question is
    asked. ``as_of`` is the one way to replay: whoever answers opens the store as it stood then
    (:func:`communitas.replay.as_of_view`), so nothing after it can be seen; ``until`` only
    narrows the window inside what is visible."""

    since: datetime | None = None
    until: datetime | None = None
    place: str | None = None
    source_id: str | None = None
    include_bots: bool = False
    as_of: datetime | None = None

    @classmethod
    def of(cls, *, since: TimeArg = None, until: TimeArg = None, place: str | None = None,
           source_id: str | None = None, include_bots: bool = False, as_of: TimeArg = None) -> Scope:
        """A scope from dates or ISO strings (UTC)."""
        return cls(as_time(since), as_time(until), place, source_id, include_bots, as_time(as_of))

    def metric_kwargs(self) -> dict[str, Any]:
        """The keyword arguments every component metric takes (all but ``as_of``)."""
        return {"since": self.since, "until": self.until, "place": self.place,
                "source_id": self.source_id, "include_bots": self.include_bots}


def check_period(period: str) -> str:
    if period not in PERIODS:
        raise UsageError(f"unknown period {period!r}; choose one of {', '.join(PERIODS)}.")
    return period


def thread_place(backend: Any, source_id: str | None = None) -> ir.Table:
    """``(thread_id, place_id)``: every place a thread is in (its tags and its own place)."""
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


class Prepared:
    """A backend wrapper serving :func:`contributions` from temporary tables made once.

    Many metrics start from the same contributions; materialising them once (per ``include_bots``
    value) saves each metric from re-deriving them (bot filter, person mapping). Everything else
    is the wrapped backend's. Use as a context manager: the temporary tables are dropped on exit.

    On DuckDB the tables go to an attached in-memory database that compresses them (``COMPRESS``,
    then a checkpoint after each table): DuckDB keeps temporary tables uncompressed, and on a
    store of 815,000 posts the two largest took 736 MB that way, 92 MB compressed. Other
    backends get plain temporary tables.
    """

    def __init__(self, backend: Any, *, source_id: str | None = None) -> None:
        self.backend = backend
        self.source_id = source_id
        self._made: dict[Any, str] = {}
        self._scratch: str | None = None

    def table(self, name: str) -> ir.Table:
        return self.backend.table(name)

    def contributions(self, source_id: str | None, include_bots: bool) -> ir.Table:
        if source_id != self.source_id:
            return contributions(self.backend, source_id=source_id, include_bots=include_bots)
        return self.memo(("contributions", include_bots), lambda: contributions(
            self.backend, source_id=source_id, include_bots=include_bots).select(*POST_COLUMNS))

    def memo(self, key: Any, build: Callable[[], ir.Table]) -> ir.Table:
        """The table ``build()`` makes, materialised once per ``key`` as a temporary table."""
        if key not in self._made:
            name = f"_communitas_memo_{uuid.uuid4().hex}"
            scratch = self._scratch_db()
            if scratch is None:
                self.backend.create_table(name, build(), temp=True)
            else:
                self.backend.create_table(name, build(), database=f"{scratch}.main")
                self.backend.raw_sql(f'CHECKPOINT "{scratch}"')  # compresses what was just written
            self._made[key] = name
        where = None if self._scratch is None else (self._scratch, "main")
        return self.backend.table(self._made[key], database=where)

    def _scratch_db(self) -> str | None:
        """The compressed in-memory database the memo tables go to (DuckDB only), attached once."""
        if self._scratch is None and getattr(self.backend, "name", "") == "duckdb":
            name = f"_communitas_scratch_{uuid.uuid4().hex}"
            # READ_ONLY false: a store opened read-only would otherwise attach it read-only too
            self.backend.raw_sql(f"ATTACH ':memory:' AS \"{name}\" (COMPRESS, READ_ONLY false)")
            self._scratch = name
        return self._scratch

    def __enter__(self) -> Prepared:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._scratch is not None:
            self.backend.raw_sql(f'DETACH "{self._scratch}"')
            self._scratch = None
        else:
            for name in self._made.values():
                try:
                    self.backend.drop_table(name, force=True)
                except Exception:  # ibis 12's DROP breaks with sqlglot 30; the name is ours (hex)
                    self.backend.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
        self._made.clear()


def memoized(backend: Any, key: Any, build: Callable[[], ir.Table]) -> ir.Table:
    """``build()``, made once per ``key`` when ``backend`` is :class:`Prepared` (else every time)."""
    return backend.memo(key, build) if isinstance(backend, Prepared) else build()


def scoped_contributions(backend: Any, *, source_id: str | None, include_bots: bool) -> ir.Table:
    """:func:`contributions`, from a :class:`Prepared` backend's tables where it has them."""
    if isinstance(backend, Prepared):
        return backend.contributions(source_id, include_bots)
    return contributions(backend, source_id=source_id, include_bots=include_bots)


def history(backend: Any, *, place: str | None = None, source_id: str | None = None,
            include_bots: bool = False) -> ir.Table:
    """Every contribution in scope (source, place, bots), at any time."""
    posts = scoped_contributions(backend, source_id=source_id, include_bots=include_bots)
    if place is not None:
        key = ("history", place, source_id, include_bots)
        return memoized(backend, key, lambda: _in_place(backend, posts, place, source_id))
    return posts


def _in_place(backend: Any, posts: ir.Table, place: str, source_id: str | None) -> ir.Table:
    ids = place_ids(backend, place, source_id)
    tp = thread_place(backend, source_id)
    wanted = tp.filter(tp.place_id.isin(ids)).select("thread_id").distinct()
    return posts.semi_join(wanted, "thread_id")


def posts(backend: Any, *, since: TimeArg = None, until: TimeArg = None, place: str | None = None,
          source_id: str | None = None, include_bots: bool = False) -> ir.Table:
    """Contributions in scope made inside the window."""
    hist = history(backend, place=place, source_id=source_id, include_bots=include_bots)
    return in_window(hist, "created_at", since, until)


def threads(backend: Any, *, since: TimeArg = None, until: TimeArg = None, place: str | None = None,
            source_id: str | None = None, include_bots: bool = False) -> ir.Table:
    """One row per thread started in the window: ``thread_id, source_id, started_at, starter,
    opener_post_id``."""
    key = ("openers", place, source_id, include_bots)
    first = memoized(backend, key, lambda: _openers(backend, place, source_id, include_bots))
    return in_window(first, "started_at", since, until)


def _openers(backend: Any, place: str | None, source_id: str | None, include_bots: bool) -> ir.Table:
    everyone = history(backend, place=place, source_id=source_id, include_bots=True)
    everyone = everyone.filter(everyone.thread_id.notnull())
    rank = ibis.row_number().over(group_by=everyone.thread_id,
                                  order_by=[everyone.created_at, everyone.post_id])
    ranked = everyone.mutate(rn=rank)
    first = ranked.filter(ranked.rn == 0).select(
        "thread_id", "source_id", started_at=ranked.created_at, starter=ranked.author_id,
        opener_post_id=ranked.post_id)
    if not include_bots:
        human = scoped_contributions(backend, source_id=source_id, include_bots=False).select("post_id")
        first = first.semi_join(human, first.opener_post_id == human.post_id)
    return first


def member_firsts(backend: Any, *, place: str | None = None, source_id: str | None = None,
                  include_bots: bool = False) -> ir.Table:
    """One row per member with a contribution in scope, over the whole history: ``member,
    first_at`` (first contribution), ``first_post`` (its id; the smallest id among ties),
    ``first_source`` (its source),
    ``second_at`` (the next contribution; equal to ``first_at`` for a tie, NULL if none) and
    ``contributions``."""

    def build() -> ir.Table:
        hist = history(backend, place=place, source_id=source_id, include_bots=include_bots)
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

    return memoized(backend, ("member_firsts", place, source_id, include_bots), build)


def source_ends(posts: ir.Table) -> ir.Table:
    """``source_id, source_end``: the last contribution of each source in ``posts``. Silence is
    judged against a member's or place's own source, so an archive that ended years ago does not
    make everything in it look abandoned next to a live source."""
    return posts.group_by("source_id").aggregate(source_end=posts.created_at.max())


