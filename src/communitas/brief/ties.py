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

from communitas.brief.base import BriefContext
from communitas.network.figures import leiden, undirected
from communitas.network.graph import GraphOptions, window_graphs, window_members
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


def _graphs(ctx: BriefContext, windows: pd.DataFrame) -> dict[int, ig.Graph]:
    opts = GraphOptions(source_id=ctx.source_id)
    return window_graphs(ctx.backend, windows, opts, active=window_members(ctx.backend, windows, opts))


def _positions(u: ig.Graph) -> np.ndarray:
    """Core / periphery / isolate as :func:`communitas.network.roles.member_roles` reads them
    (coreness at least 2/3 of the maximum, and at least 2), without its costlier measures."""
    if u.vcount() == 0:
        return np.zeros(0, dtype=object)
    core = np.asarray(u.coreness(), dtype=int)
    degree = np.asarray(u.degree(), dtype=int)
    cut = max(2, math.ceil(2 * int(core.max()) / 3))
    return np.where(degree == 0, "isolate", np.where(core >= cut, "core", "periphery"))


def _year(ctx: BriefContext) -> pd.DataFrame:
    g = _graphs(ctx, _windows(ctx, [(YEAR, 0)]))[0]
    u = undirected(g)
    n = u.vcount()
    parts = leiden(u).membership if u.ecount() else list(range(n))
    return pd.DataFrame({"member_id": u.vs["name"] if n else [], "betweenness": betweenness(u),
                         "community": parts, "coreness": np.asarray(u.coreness(), dtype=int) if n else [],
                         "position": _positions(u), "contacts": np.asarray(u.degree(), dtype=int)})


def year_roles(ctx: BriefContext) -> pd.DataFrame:
    """``member_id, betweenness, community, coreness, position, contacts`` in the reply network
    of the year before now (members who contributed then; those without a tie are isolates)."""
    if "year_roles" not in ctx.cache:
        ctx.cache["year_roles"] = _year(ctx)
    out: pd.DataFrame = ctx.cache["year_roles"]
    return out


def quarter_roles(ctx: BriefContext) -> pd.DataFrame:
    """``window, member_id, position`` over the four 90-day windows ending now (windows with no
    post at all are left out)."""
    if "quarter_roles" not in ctx.cache:
        spans = [(QUARTER * (QUARTERS - i), QUARTER * (QUARTERS - i - 1)) for i in range(QUARTERS)]
        tables = [pd.DataFrame({"window": key, "member_id": g.vs["name"],
                                "position": _positions(undirected(g))})
                  for key, g in _graphs(ctx, _windows(ctx, spans)).items() if g.vcount()]
        ctx.cache["quarter_roles"] = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
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
    return dict(zip(df["member_id"].astype(str), df[column], strict=True))
