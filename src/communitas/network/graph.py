"""The interaction graph: member → member ties aggregated in the store, per time window.

A tie ``a → b`` in a window counts the contributions ``a`` made in that window that reply to a
post of ``b`` (``posts.reply_to_member_id``, which the store fills for every platform: answer →
question author, comment → commented post's author, e-mail reply → replied-to sender, chat reply
→ parent author). Self-replies are dropped, and so are posts by — and replies to — bots and
system accounts unless ``include_bots`` (a manual bot mark in ``member_flags`` counts). Merged
accounts are one person (:func:`communitas.metrics.base.contributions` maps both ends). The
aggregation is one SQL group-by per call (through Ibis), never a Python loop over posts.

Windows are rolling: ``window_days`` long (90 by default), starting every ``stride_days`` (30)
from the day of the first contribution, the last one being the first that reaches past the
last contribution. :func:`whole_history` is the single window covering everything.

Weaker *co-participation* ties (two members posting in the same thread within
``co_participation_hours`` of each other) are added only when asked, in both directions, each
shared thread weighing ``co_weight`` (0.5) of a reply.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import igraph as ig
import numpy as np
import pandas as pd

from communitas import memory
from communitas.errors import EmptyStore, UsageError
from communitas.metrics.base import automated_members
from communitas.metrics.scope import ALL, Scope, in_window
from communitas.metrics.scope import posts as scope_posts


@dataclass(frozen=True)
class GraphOptions:
    """What goes into the graph: its ``scope`` (a :class:`~communitas.metrics.scope.Scope`: the
    source, bots or not, the window — ``since`` inclusive, ``until`` exclusive, UTC — and a place,
    an id or name, whose threads' contributions are kept), windowing and weaker ties.

    ``source_id`` and ``include_bots`` may still be given as keywords (code written before the
    scope): they are folded into ``scope``, and always read back from it.

    >>> GraphOptions(source_id="s").scope == Scope(source_id="s")
    True
    """

    source_id: str | None = None
    include_bots: bool = False
    window_days: int = 90
    stride_days: int = 30
    co_participation_hours: float | None = None
    co_weight: float = 0.5
    scope: Scope = ALL

    def __post_init__(self) -> None:
        scope = self.scope
        if self.source_id is not None:
            scope = replace(scope, source_id=self.source_id)
        if self.include_bots:
            scope = replace(scope, include_bots=True)
        object.__setattr__(self, "scope", scope)
        object.__setattr__(self, "source_id", scope.source_id)
        object.__setattr__(self, "include_bots", scope.include_bots)

    def check(self) -> GraphOptions:
        if self.window_days < 1 or self.stride_days < 1:
            raise UsageError("network: --window-days and --stride-days must be at least 1 day.")
        if self.co_participation_hours is not None and self.co_participation_hours <= 0:
            raise UsageError("network: --co-participation-hours must be positive.")
        return self


def _posts(backend: Any, opts: GraphOptions) -> ir.Table:
    """The contributions in the options' scope (window and place included)."""
    return scope_posts(backend, opts.scope)


def _span(backend: Any, opts: GraphOptions) -> tuple[pd.Timestamp, pd.Timestamp]:
    posts = _posts(backend, opts)
    span = posts.aggregate(first=posts.created_at.min(), last=posts.created_at.max()).execute()
    first, last = span["first"][0], span["last"][0]
    if pd.isna(first):
        where = f"source {opts.source_id!r}" if opts.source_id else "the store"
        raise EmptyStore(f"network: {where} holds no contributions; run `communitas ingest PATH` first.")
    return _utc(first), _utc(last)


def _utc(value: Any) -> pd.Timestamp:
    """A time in UTC, to the microsecond as the store keeps them, whatever the engine returned
    (a naive one is UTC)."""
    t = pd.Timestamp(value).as_unit("us")
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def rolling_windows(backend: Any, opts: GraphOptions = GraphOptions()) -> pd.DataFrame:
    """One row per rolling window: ``window`` (0, 1, ...), ``start`` (inclusive), ``end`` (exclusive)."""
    opts.check()
    first, last = _span(backend, opts)
    origin = first.floor("D")
    length, stride = timedelta(days=opts.window_days), timedelta(days=opts.stride_days)
    starts = [origin]
    while starts[-1] + length <= last:
        starts.append(starts[-1] + stride)
    return pd.DataFrame({"window": range(len(starts)), "start": starts,
                         "end": [s + length for s in starts]})


def whole_history(backend: Any, opts: GraphOptions = GraphOptions()) -> pd.DataFrame:
    """The single window (``window`` -1) holding every contribution."""
    first, last = _span(backend, opts)
    return pd.DataFrame({"window": [-1], "start": [first], "end": [last + timedelta(microseconds=1)]})


def _windowed(backend: Any, opts: GraphOptions, windows: pd.DataFrame) -> ir.Table:
    """Contributions joined to every window they fall in (a range join done by the store). Only
    the contributions within the windows' span enter the join, so a group of windows costs what
    it holds, not the whole history (:func:`window_chunks`)."""
    posts = _posts(backend, opts)
    win = ibis.memtable(windows[["window", "start", "end"]].astype(
        {"window": "int64", "start": "datetime64[us, UTC]", "end": "datetime64[us, UTC]"}))
    span = windows[["start", "end"]].astype("datetime64[us, UTC]")
    posts = in_window(posts, "created_at", span["start"].min(), span["end"].max())
    return posts.join(win, [posts.created_at >= win.start, posts.created_at < win.end])


def reply_query(backend: Any, windows: pd.DataFrame, opts: GraphOptions = GraphOptions()) -> ir.Table:
    """The reply ties' aggregation, not yet run: ``window, source, target, weight`` (a count)."""
    posts = _windowed(backend, opts, windows)
    posts = posts.filter(posts.author_id.notnull() & posts.reply_to_member_id.notnull()
                         & (posts.author_id != posts.reply_to_member_id))
    if not opts.include_bots:
        bots = automated_members(backend).select(bot_id="member_id")
        posts = posts.anti_join(bots, posts.reply_to_member_id == bots.bot_id)
    return posts.group_by(["window", posts.author_id.name("source"),
                           posts.reply_to_member_id.name("target")]).aggregate(weight=posts.count())


def reply_ties(backend: Any, windows: pd.DataFrame, opts: GraphOptions = GraphOptions()) -> pd.DataFrame:
    """Directed ties per window: ``window, source, target, weight`` (replies from source to target)."""
    out = reply_query(backend, windows, opts).execute()
    out["weight"] = out["weight"].astype("float64")
    if opts.co_participation_hours is not None:
        out = _add_co_ties(out, _co_ties(backend, windows, opts))
    return out.sort_values(["window", "source", "target"], ignore_index=True)


def _co_ties(backend: Any, windows: pd.DataFrame, opts: GraphOptions) -> pd.DataFrame:
    posts = _windowed(backend, opts, windows)
    posts = posts.filter(posts.author_id.notnull() & posts.thread_id.notnull()).select(
        "window", "thread_id", "author_id", "created_at")
    other = posts.view()
    hours = ibis.interval(seconds=int(opts.co_participation_hours * 3600))  # type: ignore[operator]
    pairs = posts.join(other, [posts.window == other.window, posts.thread_id == other.thread_id,
                               posts.author_id != other.author_id,
                               other.created_at.between(posts.created_at - hours, posts.created_at + hours)])
    pairs = pairs.select(window=posts.window, thread_id=posts.thread_id,
                         source=posts.author_id, target=other.author_id).distinct()
    agg = pairs.group_by(["window", "source", "target"]).aggregate(threads=pairs.count())
    out = agg.execute()
    out["weight"] = out.pop("threads").astype("float64") * opts.co_weight
    return out


def _add_co_ties(replies: pd.DataFrame, co: pd.DataFrame) -> pd.DataFrame:
    both = pd.concat([replies, co], ignore_index=True)
    return both.groupby(["window", "source", "target"], as_index=False).agg(weight=("weight", "sum"))


CHUNK_BYTES_PER_POST = 1000
"""Memory budgeted per (contribution, window) pair when windows are grouped into chunks: a tie or
active-member row in pandas (two member ids as Python strings) plus its share of the graph."""


def window_chunks(backend: Any, windows: pd.DataFrame, opts: GraphOptions = GraphOptions()
                  ) -> list[pd.DataFrame]:
    """``windows`` in consecutive groups whose contributions (counted once per window they fall
    in) stay within ``$COMMUNITAS_MEMORY / CHUNK_BYTES_PER_POST`` (a million under 1 GB); a
    window larger than that is a group of its own. Each group's ties and members are asked in
    one query, so memory holds one group's, not every window's."""
    if len(windows) <= 1:
        return [windows]
    posts = _windowed(backend, opts, windows)
    counts = posts.group_by("window").aggregate(n=posts.count()).execute()
    per = dict(zip(counts["window"].astype(int), counts["n"].astype(int), strict=True))
    budget = max(1, memory.memory_cap() // CHUNK_BYTES_PER_POST)
    chunks: list[list[int]] = [[]]
    held = 0
    for i, key in enumerate(windows["window"].astype(int)):
        n = per.get(key, 0)
        if chunks[-1] and held + n > budget:
            chunks.append([])
            held = 0
        chunks[-1].append(i)
        held += n
    return [windows.iloc[rows].reset_index(drop=True) for rows in chunks]


def first_posts(backend: Any, opts: GraphOptions = GraphOptions()) -> ir.Table:
    """``member_id, first_post_at``: every member's first contribution in the options' scope."""
    every = _posts(backend, opts).filter(lambda t: t.author_id.notnull())
    return every.group_by(every.author_id.name("member_id")).aggregate(first_post_at=every.created_at.min())


def members_query(backend: Any, windows: pd.DataFrame, opts: GraphOptions = GraphOptions(),
                  firsts: ir.Table | None = None) -> ir.Table:
    """The active members' aggregation, not yet run: ``window, member_id, posts, first_post_at``.
    ``firsts`` is :func:`first_posts` made once for many groups of windows (a cached table);
    without it, the first contributions of this group's members are looked up in the history."""
    posts = _windowed(backend, opts, windows).filter(lambda t: t.author_id.notnull())
    agg = posts.group_by(["window", posts.author_id.name("member_id")]).aggregate(posts=posts.count())
    if firsts is None:
        every = _posts(backend, opts)
        # the first contributions of this group's members only (not of every member, once per group)
        every = every.filter(every.author_id.isin(agg.member_id))
        firsts = every.group_by(every.author_id.name("member_id")).aggregate(
            first_post_at=every.created_at.min())
    return agg.join(firsts, "member_id")


def window_members(backend: Any, windows: pd.DataFrame, opts: GraphOptions = GraphOptions()
                   ) -> pd.DataFrame:
    """Members who contributed in each window: ``window, member_id, posts, first_post_at``.

    ``first_post_at`` is the member's first contribution ever (in the selected source), so a
    window can tell newcomers from regulars.
    """
    out = members_query(backend, windows, opts).execute().sort_values(["window", "member_id"],
                                                                      ignore_index=True)
    out["first_post_at"] = out["first_post_at"].dt.as_unit("us")  # as the store keeps times, on any engine
    return out


def staff_flags(backend: Any, opts: GraphOptions = GraphOptions()) -> pd.DataFrame:
    """``member_id, staff`` (True/False) for the members whose source says whether they are staff
    or moderators; the others are not listed (NA to :func:`build_graph`).

    (Not the ``member_flags`` table, which holds the analyst's bot overrides.)"""
    members = backend.table("members")
    if opts.source_id is not None:
        members = members.filter(members.source_id == opts.source_id)
    known = members.is_staff.notnull() | members.is_moderator.notnull()
    # members the source says nothing about are left out: they read as NA all the same
    members = members.filter(known)
    staff = members.is_staff.fill_null(False) | members.is_moderator.fill_null(False)
    df = members.select("member_id", staff=staff).execute()
    df["staff"] = df["staff"].astype("boolean")
    return df


def display_names(backend: Any) -> dict[str, str]:
    """``member_id → display_name`` for every member that has one (only for ``--names``)."""
    members = backend.table("members")
    df = members.filter(members.display_name.notnull()).select("member_id", "display_name").execute()
    return dict(zip(df["member_id"].astype(str), df["display_name"].astype(str), strict=True))


def build_graph(members: pd.Series | list[str], ties: pd.DataFrame,
                staff: pd.DataFrame | pd.Series | None = None) -> ig.Graph:
    """A directed, weighted igraph graph: one vertex per member (``name``), one edge per tie.

    ``members`` are the vertices (members who contributed; those without a tie are isolates);
    tie endpoints missing from it are added. ``staff`` (``member_id, staff``) sets the vertex
    attribute ``staff`` (True/False/None); it may also be given as a Series indexed by
    ``member_id`` (made once for many graphs).
    """
    names = pd.Index(pd.unique(pd.concat([pd.Series(members, dtype="object"),
                                          ties["source"].astype("object"),
                                          ties["target"].astype("object")], ignore_index=True)))
    src = names.get_indexer(pd.Index(ties["source"]))
    dst = names.get_indexer(pd.Index(ties["target"]))
    g = ig.Graph(n=len(names), edges=np.column_stack([src, dst]), directed=True)
    g.vs["name"] = names.tolist()
    g.es["weight"] = ties["weight"].to_numpy(dtype="float64")
    if g.ecount() and not g.is_simple():
        g.simplify(multiple=True, loops=True, combine_edges={"weight": "sum"})
    g.vs["staff"] = vertex_staff(names, staff)
    return g


def vertex_staff(names: pd.Index | list[str], staff: pd.DataFrame | pd.Series | None) -> list[bool | None]:
    """Each vertex's ``staff`` flag (True/False, None where the source does not say)."""
    if staff is None or not len(staff):
        return [None] * len(names)
    lookup = staff if isinstance(staff, pd.Series) else staff.set_index("member_id")["staff"]
    return [None if pd.isna(v) else bool(v) for v in lookup.reindex(names)]


def graph_from_ids(members: np.ndarray, source: np.ndarray, target: np.ndarray,
                   weight: np.ndarray) -> tuple[ig.Graph, np.ndarray]:
    """:func:`build_graph`'s graph (without names or staff flags) from integer member numbers:
    the graph and, per vertex, its member's number. The vertices come in :func:`build_graph`'s
    order (``members``, then tie ends missing from them, in order of first appearance), so when
    the numbers sort like the member ids and the ties are sorted by ``(source, target)`` (as
    :func:`reply_ties` returns them), it is the same graph, vertex for vertex and edge for edge,
    as :func:`build_graph` makes from the ids: what seeded algorithms (sampled betweenness,
    Leiden) see is the same. Building from numbers skips the names, which cost most of the time."""
    ids = pd.unique(np.concatenate([np.asarray(members, dtype=np.int64), np.asarray(source, dtype=np.int64),
                                    np.asarray(target, dtype=np.int64)]))
    index = pd.Index(ids)
    # (igraph reads a list of pairs of Python ints several times faster than a numpy array)
    edges = list(zip(index.get_indexer(source).tolist(), index.get_indexer(target).tolist(), strict=True))
    g = ig.Graph(n=len(ids), edges=edges, directed=True)
    g.es["weight"] = np.asarray(weight, dtype="float64")
    if g.ecount() and not g.is_simple():
        g.simplify(multiple=True, loops=True, combine_edges={"weight": "sum"})
    return g, np.asarray(ids, dtype=np.int64)


def window_graphs(backend: Any, windows: pd.DataFrame, opts: GraphOptions = GraphOptions(), *,
                  active: pd.DataFrame | None = None) -> dict[int, ig.Graph]:
    """One graph per window (keyed by ``window``), built from one aggregation query each for ties
    and active members (pass ``active`` when :func:`window_members` was already asked)."""
    ties = reply_ties(backend, windows, opts)
    active = window_members(backend, windows, opts) if active is None else active
    staff = staff_flags(backend, opts)
    tie_groups = dict(tuple(ties.groupby("window")))
    act_groups = dict(tuple(active.groupby("window")))
    empty_ties = ties.iloc[0:0]
    out = {}
    for w in windows["window"]:
        act = act_groups.get(w)
        members = act["member_id"] if act is not None else pd.Series([], dtype="object")
        out[int(w)] = build_graph(members, tie_groups.get(w, empty_ties), staff)
    return out


__all__ = ["GraphOptions", "build_graph", "display_names", "first_posts", "graph_from_ids", "members_query",
           "reply_query", "reply_ties", "rolling_windows", "staff_flags", "vertex_staff", "whole_history",
           "window_chunks", "window_graphs", "window_members"]
