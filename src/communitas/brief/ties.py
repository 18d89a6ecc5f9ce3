"""The reply network as the brief's kinds read it (``docs/brief.md`` *The reply network*).

Built with :mod:`communitas.network` (the same graph, roles and Leiden communities as
``communitas network``) over windows that end at the brief's ``now``, so a replayed brief only
sees the ties known then. Computed once per brief and kept on the :class:`BriefContext`.

* :func:`year_roles` — the reply network of the year before now: per member ``betweenness``
  (normalised, the brokerage Check in weighs), ``community`` (Leiden, the communities Introduce
  bridges), ``coreness``, ``position``.
* :func:`quarter_paths` — four consecutive 90-day windows ending now: each member's positions
  (core / periphery / isolate) and whether they moved from periphery to core (Spotlight).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import igraph as ig
import numpy as np
import pandas as pd

from communitas.brief.asof import TIMELINE, AsOf
from communitas.brief.base import BriefContext
from communitas.brief.replies import Replies, from_backend, micros
from communitas.metrics.scope import in_window
from communitas.network.figures import leiden, undirected
from communitas.network.graph import GraphOptions, _posts
from communitas.network.roles import betweenness, trajectories

YEAR = 365
QUARTER = 90
QUARTERS = 4


def _windows(ctx: BriefContext, lengths: list[tuple[int, int]]) -> pd.DataFrame:
    """Windows ``[now - start days, now - end days)``; the last one includes ``now`` itself."""
    now = pd.Timestamp(ctx.now).tz_convert("UTC") if pd.Timestamp(ctx.now).tzinfo else \
        pd.Timestamp(ctx.now).tz_localize("UTC")
    tail = timedelta(microseconds=1)
    return pd.DataFrame({"window": list(range(len(lengths))),
                         "start": [now - timedelta(days=a) for a, _ in lengths],
                         "end": [now - timedelta(days=b) + (tail if b == 0 else timedelta(0))
                                 for _, b in lengths]})


def _replies(ctx: BriefContext, windows: pd.DataFrame) -> Replies:
    """The replies the windows are cut from: on a backtest's :class:`~communitas.brief.asof.AsOf`
    view, its timeline's (read once for all the dates), as known at the view's date; else the
    contributions of the windows' span, read from the brief's store (or replay)."""
    timeline = ctx.backend.cache.get(TIMELINE) if isinstance(ctx.backend, AsOf) else None
    if timeline is not None and timeline.source_id == ctx.source_id and isinstance(ctx.backend, AsOf):
        carried: Replies = timeline.replies.at(ctx.backend.at)
        return carried
    opts = GraphOptions(source_id=ctx.source_id)
    posts = in_window(_posts(ctx.backend, opts), "created_at", windows["start"].min(), windows["end"].max())
    return from_backend(posts, ctx.backend)


def _graphs(ctx: BriefContext, windows: pd.DataFrame) -> dict[int, tuple[ig.Graph, list[str]]]:
    """One reply graph per window, as :func:`communitas.network.graph.window_graphs` builds it
    (vertices: the members who contributed in the window, in its order; edges: the reply ties),
    without the vertices' ``staff`` flag and first-post time, which the brief does not read; with
    each vertex's member id (:mod:`communitas.brief.replies`)."""
    replies = _replies(ctx, windows)
    out = {}
    for w, start, end in zip(windows["window"], windows["start"], windows["end"], strict=True):
        g, ids = replies.graph(micros(start), micros(end))
        out[int(w)] = (g, replies.names[ids].tolist())
    return out


def _network(ctx: BriefContext) -> None:
    """The year's graph and the four quarters' graphs, cut from one read of the replies; their
    figures go to ``ctx.cache`` (``year_roles``, ``quarter_roles``)."""
    spans = [(YEAR, 0)] + [(QUARTER * (QUARTERS - i), QUARTER * (QUARTERS - i - 1)) for i in range(QUARTERS)]
    graphs = _graphs(ctx, _windows(ctx, spans))
    ctx.cache["year_roles"] = _year(*graphs.pop(0))
    tables = [pd.DataFrame({"window": key - 1, "member_id": names, "position": _positions(undirected(g))})
              for key, (g, names) in graphs.items() if g.vcount()]
    ctx.cache["quarter_roles"] = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def _positions(u: ig.Graph) -> np.ndarray:
    """Core / periphery / isolate as :func:`communitas.network.roles.member_roles` reads them
    (coreness at least 2/3 of the maximum, and at least 2), without its costlier measures."""
    if u.vcount() == 0:
        return np.zeros(0, dtype=object)
    core = np.asarray(u.coreness(), dtype=int)
    degree = np.asarray(u.degree(), dtype=int)
    cut = max(2, math.ceil(2 * int(core.max()) / 3))
    return np.where(degree == 0, "isolate", np.where(core >= cut, "core", "periphery"))


def _year(g: ig.Graph, names: list[str]) -> pd.DataFrame:
    u = undirected(g)
    n = u.vcount()
    parts = leiden(u).membership if u.ecount() else list(range(n))
    return pd.DataFrame({"member_id": names if n else [], "betweenness": betweenness(u),
                         "community": parts, "coreness": np.asarray(u.coreness(), dtype=int) if n else [],
                         "position": _positions(u), "contacts": np.asarray(u.degree(), dtype=int)})


def year_roles(ctx: BriefContext) -> pd.DataFrame:
    """``member_id, betweenness, community, coreness, position, contacts`` in the reply network
    of the year before now (members who contributed then; those without a tie are isolates)."""
    if "year_roles" not in ctx.cache:
        _network(ctx)
    out: pd.DataFrame = ctx.cache["year_roles"]
    return out


def quarter_roles(ctx: BriefContext) -> pd.DataFrame:
    """``window, member_id, position`` over the four 90-day windows ending now (windows with no
    post at all are left out)."""
    if "quarter_roles" not in ctx.cache:
        _network(ctx)
    out: pd.DataFrame = ctx.cache["quarter_roles"]
    return out


def quarter_paths(ctx: BriefContext, members: list[str]) -> pd.DataFrame:
    """For ``members``: ``member_id, path, periphery_to_core, last_position``, their positions over
    the four 90-day windows ending now (runs collapsed, ``periphery → core``); ``periphery_to_core``
    when periphery in an earlier window and core in a later one. (Only the members asked for:
    following all 50,000 members of a large community took 45 s.)"""
    roles = quarter_roles(ctx)
    cols = ["member_id", "path", "periphery_to_core", "last_position"]
    if roles.empty or not members:
        return pd.DataFrame(columns=cols)
    paths = trajectories(roles, members=members)
    last = roles[roles["window"] == roles["window"].max()].set_index("member_id")["position"]
    paths["last_position"] = paths["member_id"].map(last).fillna("absent")
    return paths[cols]


def lookup(df: pd.DataFrame, column: str) -> dict[str, Any]:
    """``member_id → column`` of a table above."""
    return dict(zip(df["member_id"].astype(str).tolist(), df[column].tolist(), strict=True))
