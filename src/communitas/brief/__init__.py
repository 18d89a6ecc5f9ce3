"""The animator's brief: a short, ranked list of opportunities to act (``docs/brief.md``).

:func:`items` is the one entry point (the CLI, the report and the dashboard use it). It opens the
store as of ``as_of`` (:func:`communitas.replay.as_of_view`: nothing after it is visible), asks
every kind (one module per kind, registered in :data:`communitas.brief.base.KINDS`) for its
items, and ranks them across kinds: first the best item of every kind (in kind order), then
every kind's second, and so on, so that a short list shows every kind of opportunity there is.
As of the end of the data, every item carries its kind's ``track_record`` from the store's last
backtest (:mod:`communitas.brief.records`), and kinds that do not beat their baseline rank below
those that do (``order``, kind key → rank, overrides).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from communitas.brief import (  # noqa: F401  (importing registers the kinds)
    checkin,
    dependency,
    introduce,
    nugget,
    place,
    records,
    spotlight,
    unanswered,
    welcome,
)
from communitas.brief.base import KINDS, BriefContext, BriefItem, Kind, kind, register_kind
from communitas.errors import EmptyStore, UsageError
from communitas.metrics import scope
from communitas.metrics.scope import TimeArg, as_time
from communitas.replay import as_of_view
from communitas.report.context import Pseudonyms, store_salt

__all__ = ["KINDS", "BriefContext", "BriefItem", "Kind", "brief", "items", "kind", "rank", "register_kind"]


def items(ws: Any, *, source_id: str | None = None, as_of: TimeArg = None,
          kinds: list[str] | None = None, limit: int | None = None, names: bool = False,
          order: dict[str, int] | None = None, since: TimeArg = None, until: TimeArg = None,
          place: str | None = None) -> list[dict[str, Any]]:  # noqa: F811 (not the kind module)
    """The brief as plain dicts (:meth:`BriefItem.to_dict`), ranked; see :func:`brief`."""
    return [i.to_dict() for i in brief(ws, source_id=source_id, as_of=as_of, kinds=kinds, limit=limit,
                                       names=names, order=order, since=since, until=until, place=place)]


def brief(ws: Any, *, source_id: str | None = None, as_of: TimeArg = None,
          kinds: list[str] | None = None, limit: int | None = None, names: bool = False,
          order: dict[str, int] | None = None, since: TimeArg = None, until: TimeArg = None,
          place: str | None = None) -> list[BriefItem]:  # noqa: F811 (not the kind module)
    """The ranked :class:`BriefItem` list for ``ws`` (a Workspace) as of ``as_of`` (default: the
    last contribution in scope). Raises :class:`UsageError` for an unknown kind or source or an
    ``as_of`` outside the data, :class:`EmptyStore` for a store with no contribution.

    The scope (``docs/brief.md`` *Scope*): ``until`` is the brief's moment (``as_of`` by another
    name; a moment after the last contribution is the end of the data); ``since`` and ``place``
    keep the items about a member, thread or place with a contribution from ``since`` on, in a
    thread of ``place`` (:func:`in_scope`)."""
    wanted = check_kinds(kinds)
    at = moment(as_of, until)
    first, last = _span(ws, source_id)
    if at is not None and until is not None and at > last:
        at = None  # the window reaches past the data: the brief as of its end
    if at is not None:
        _check_as_of(at, first, last)
    with as_of_view(ws, at) as view:
        found = find_all(view, source_id=source_id, now=at or last, kinds=wanted, names=names)
        if since is not None or place is not None:
            found = in_scope(view, found, scope.Scope.of(since=since, place=place, source_id=source_id))
    if at is None and hasattr(ws, "con"):  # a replay carries no track record: the backtest looked past it
        known = records.track_records(ws.con, source_id)
        for k, its in found.items():
            for i in its:
                i.track_record = known.get(k)
        order = order or records.kind_order(known)
    return rank(found, order=order, limit=limit)


def find_all(view: Any, *, source_id: str | None, now: datetime, kinds: list[str],
             names: bool = False) -> dict[str, list[BriefItem]]:
    """Every kind's items, best first, read from ``view`` (a Workspace or a
    :class:`~communitas.replay.Replay`) as of ``now``. A backtest calls :func:`brief` with
    ``as_of``; this lower step lets a test run the kinds on a store cut by hand."""
    with scope.Prepared(view.ibis(), source_id=source_id) as backend:
        ctx = BriefContext(view, backend, source_id, now, Pseudonyms(store_salt(view), show_names=names))
        return {k: KINDS[k].find(ctx) for k in kinds}


def moment(as_of: TimeArg, until: TimeArg) -> datetime | None:
    """The brief's moment: ``as_of``, or ``until`` (the end of the window); both must agree."""
    at, end = as_time(as_of), as_time(until)
    if at is not None and end is not None and at != end:
        raise UsageError(f"--until {end.date()} and --as-of {at.date()}: the brief has one moment; "
                         "give one of them.")
    return at or end


def in_scope(view: Any, found: dict[str, list[BriefItem]], sc: scope.Scope) -> dict[str, list[BriefItem]]:
    """The items about a member, thread or place with a contribution in ``sc`` (from ``since``,
    in a thread of ``place``): a subject member who contributed there, a subject thread (or the
    item's thread) that got a contribution there, a subject place that is ``place`` (or, without
    one, a place whose threads got a contribution). An item about the whole community (no subject
    is a member, thread or place: the staff's share, a theme) is kept unless a place is asked."""
    ids = sorted({s for its in found.values() for i in its for s in (*i.subject_ids, i.thread_id) if s})
    if not ids:
        return found
    b = view.ibis()
    posts = scope.posts(b, sc)
    hit = {str(v) for v in posts.filter(posts.thread_id.isin(ids)).thread_id.execute()}
    hit |= {str(v) for v in posts.filter(posts.author_id.isin(ids)).author_id.execute()}
    if sc.place is not None:
        hit |= set(scope.place_ids(b, sc.place, sc.source_id))
    else:
        tp = scope.thread_place(b, sc.source_id)
        tp = tp.filter(tp.place_id.isin(ids)).semi_join(posts, "thread_id")
        hit |= {str(v) for v in tp.place_id.execute()}
    known = _known_ids(b, ids)
    return {k: [i for i in its if hit.intersection((*i.subject_ids, i.thread_id))
                or (sc.place is None and not known.intersection(i.subject_ids))]
            for k, its in found.items()}


def _known_ids(b: Any, ids: list[str]) -> set[str]:
    """Which of ``ids`` name a member, a thread or a place of the store."""
    out: set[str] = set()
    for table, col in (("members", "member_id"), ("threads", "thread_id"), ("places", "place_id")):
        t = b.table(table)
        out |= {str(v) for v in t.filter(t[col].isin(ids))[col].execute()}
    return out


def rank(found: dict[str, list[BriefItem]], *, order: dict[str, int] | None = None,
         limit: int | None = None) -> list[BriefItem]:
    """Round-robin across kinds: every kind's first item (kinds by ``order``, default each kind's
    own), then every kind's second, ...; within a kind, the kind's own order (best first)."""
    key = order or {k: KINDS[k].order for k in found}
    ranked = sorted(((pos, key.get(k, 99), k, item) for k, its in found.items()
                     for pos, item in enumerate(its)), key=lambda t: (t[0], t[1], t[2]))
    out = [t[3] for t in ranked]
    return out if limit is None else out[:limit]


def check_kinds(kinds: list[str] | None) -> list[str]:
    """The kinds asked for (all by default), or a usage error naming the unknown one."""
    if not kinds:
        return sorted(KINDS, key=lambda k: KINDS[k].order)
    for k in kinds:
        if k not in KINDS:
            known = ", ".join(sorted(KINDS, key=lambda x: KINDS[x].order))
            raise UsageError(f"unknown kind {k!r}; choose among {known}.")
    return list(dict.fromkeys(kinds))


def _span(ws: Any, source_id: str | None) -> tuple[datetime, datetime]:
    """First and last contribution in scope; a clear error for an empty store or unknown source."""
    b = ws.ibis()
    if source_id is not None:
        s = b.table("sources")
        if int(s.filter(s.source_id == source_id).count().execute()) == 0:
            raise UsageError(f"unknown source {source_id!r}; "
                             f"see `communitas sources` for the ids in {ws.path}.")
    posts = scope.history(b, source_id=source_id)
    row = posts.aggregate(first=posts.created_at.min(), last=posts.created_at.max()).execute().iloc[0]
    if pd.isna(row["last"]):
        raise EmptyStore(f"{ws.path}: the store holds no contribution"
                         f"{' for ' + source_id if source_id else ''} yet. "
                         "Run `communitas ingest PATH` first.")
    return pd.Timestamp(row["first"]).to_pydatetime(), pd.Timestamp(row["last"]).to_pydatetime()


def _check_as_of(at: datetime, first: datetime, last: datetime) -> None:
    if at <= first:
        raise UsageError(f"--as-of {at.date()} is not after the first contribution ({first.date()}); "
                         "nothing would be known then.")
    if at > last:
        raise UsageError(f"--as-of {at.date()} is after the last contribution ({last:%Y-%m-%d %H:%M}); "
                         "leave --as-of out for the brief as of the end of the data.")
