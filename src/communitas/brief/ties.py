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

from datetime import timedelta
from typing import Any

import pandas as pd

from communitas.brief.base import BriefContext
from communitas.network.graph import GraphOptions, active_members, window_graphs
from communitas.network.roles import member_roles, trajectories

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


def _roles(ctx: BriefContext, windows: pd.DataFrame) -> pd.DataFrame:
    opts = GraphOptions(source_id=ctx.source_id)
    active = active_members(ctx.backend, windows, opts)
    graphs = window_graphs(ctx.backend, windows, opts, active=active)
    tables = []
    for key, g in graphs.items():
        t = member_roles(g)
        t.insert(0, "window", key)
        tables.append(t)
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def year_roles(ctx: BriefContext) -> pd.DataFrame:
    """``member_id, betweenness, community, coreness, position, contacts`` in the reply network
    of the year before now (members who contributed then; those without a tie are isolates)."""
    if "year_roles" not in ctx.cache:
        df = _roles(ctx, _windows(ctx, [(YEAR, 0)]))
        cols = ["member_id", "betweenness", "community", "coreness", "position", "contacts"]
        ctx.cache["year_roles"] = df[cols] if not df.empty else pd.DataFrame(columns=cols)
    out: pd.DataFrame = ctx.cache["year_roles"]
    return out


def quarter_paths(ctx: BriefContext) -> pd.DataFrame:
    """``member_id, path, periphery_to_core, last_position``: positions over the four 90-day
    windows ending now (runs collapsed, ``periphery → core``); ``periphery_to_core`` when periphery
    in an earlier window and core in a later one."""
    if "quarter_paths" not in ctx.cache:
        spans = [(QUARTER * (QUARTERS - i), QUARTER * (QUARTERS - i - 1)) for i in range(QUARTERS)]
        roles = _roles(ctx, _windows(ctx, spans))
        cols = ["member_id", "path", "periphery_to_core", "last_position"]
        if roles.empty:
            ctx.cache["quarter_paths"] = pd.DataFrame(columns=cols)
        else:
            paths = trajectories(roles)
            last = roles[roles["window"] == QUARTERS - 1].set_index("member_id")["position"]
            paths["last_position"] = paths["member_id"].map(last).fillna("absent")
            ctx.cache["quarter_paths"] = paths[cols]
    out: pd.DataFrame = ctx.cache["quarter_paths"]
    return out


def lookup(df: pd.DataFrame, column: str) -> dict[str, Any]:
    """``member_id → column`` of a table above."""
    return dict(zip(df["member_id"].astype(str), df[column], strict=True))
