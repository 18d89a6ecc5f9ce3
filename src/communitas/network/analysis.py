"""Figures, stages and roles for every window of a community: the tables the CLI and report show."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir
import igraph as ig
import pandas as pd

from communitas.network.figures import SEED, figures, leiden, undirected
from communitas.network.graph import (
    GraphOptions,
    first_posts,
    rolling_windows,
    staff_flags,
    whole_history,
    window_chunks,
)
from communitas.network.group import fetch_group
from communitas.network.role_table import RoleTable
from communitas.network.roles import label, member_roles
from communitas.network.stages import classify_stage, network_or_team, settle_stages
from communitas.staging import release_memory


@dataclass
class NetworkAnalysis:
    """``figures``: one row per window (with ``stage``, settled across windows, ``window_stage``,
    the window's own reading, and ``reading``); ``roles``: one row per member per window (kept
    in a :class:`RoleTable`, ``role_table``, which spills to disk on large networks); ``graphs``:
    the igraph graph of the windows asked for (every window by default), for pictures."""

    figures: pd.DataFrame
    role_table: RoleTable
    graphs: dict[int, ig.Graph]

    @property
    def roles(self) -> pd.DataFrame:
        return self.role_table.frame()


def analyse_graph(g: ig.Graph, seed: int = SEED, *, roles: bool = True
                  ) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Figures and (unless ``roles=False``) member roles of one graph, sharing its undirected
    shadow and communities."""
    u = undirected(g)
    parts = leiden(u, seed) if u.ecount() else None
    fig = figures(g, seed, u=u, parts=parts)
    fig["stage"] = classify_stage(fig)
    fig["reading"] = network_or_team(fig)
    return fig, member_roles(g, seed, u=u, parts=parts) if roles else None


def analyse(backend: Any, opts: GraphOptions = GraphOptions(), *, whole: bool = False,
            roles: bool = True, seed: int = SEED, graphs: str | int | None = "all") -> NetworkAnalysis:
    """Build every window's graph (or the whole history's) and compute figures, stage and roles.

    Windows are taken a few at a time (:func:`window_chunks`) and each graph is dropped once
    analysed, unless ``graphs`` keeps it: ``"all"``, ``"last"``, one window's number (and the
    last), or None. Memory then holds one chunk's ties and one graph at a time."""
    windows = whole_history(backend, opts) if whole else rolling_windows(backend, opts)
    last = int(windows["window"].iloc[-1])
    staff = staff_flags(backend, opts).set_index("member_id")["staff"]
    kept: dict[int, ig.Graph] = {}
    fig_rows: list[dict[str, Any]] = []
    table = RoleTable()
    chunks = window_chunks(backend, windows, opts)
    with _first_posts(backend, opts, len(chunks)) as firsts:
        for chunk in chunks:
            group = fetch_group(backend, chunk, opts, firsts)
            for key, start, end in zip(chunk["window"].tolist(), chunk["start"], chunk["end"], strict=True):
                g, first = group.graph(int(key), staff)
                fig, roles_w = analyse_graph(g, seed, roles=roles)
                fig_rows.append({"window": int(key), "start": start, "end": end, **fig})
                if roles_w is not None:
                    table.append(_with_window(roles_w, int(key), start, end, first))
                if graphs == "all" or (graphs is not None and key in (last, graphs)):
                    kept[int(key)] = g
                del g
            del group
            release_memory()
    fig_df = pd.DataFrame(fig_rows)
    if not fig_df.empty:  # the per-window rule's reading, then the stage with hysteresis
        fig_df.insert(list(fig_df.columns).index("stage") + 1, "window_stage", fig_df["stage"])
        fig_df["stage"] = settle_stages(fig_df)
    return NetworkAnalysis(fig_df, table, kept)


@contextmanager
def _first_posts(backend: Any, opts: GraphOptions, groups: int) -> Iterator[ir.Table | None]:
    """Every member's first contribution, made once for many groups of windows (in the engine's
    scratch space, :func:`communitas.engines.scratch_for`: a compressed in-memory DuckDB
    database, or a cached Spark view; dropped afterwards); None for a single group, which looks
    its own members up. (Looked up per group, it read the whole history once per group: a cost
    that grew with the square of the community's size.)"""
    if groups <= 1:
        yield None
        return
    from communitas.engines import scratch_for

    scratch = scratch_for(backend)
    try:
        yield scratch.put(f"_communitas_firsts_{uuid.uuid4().hex}", first_posts(backend, opts))
    finally:
        scratch.close()


def _with_window(table: pd.DataFrame, key: int, start: Any, end: Any, first: pd.Series) -> pd.DataFrame:
    """One window's role rows with its number and start, each member's first contribution ever
    (``first``, in vertex order), ``newcomer`` (that first contribution falls in the window) and
    the ``role`` label."""
    table.insert(0, "window", key)
    table.insert(1, "start", [start] * len(table))
    table["member_id"] = table["member_id"].astype("object")  # an empty graph's is float64
    out = table.reset_index(drop=True)
    out["first_post_at"] = first.array
    out["newcomer"] = (out["first_post_at"] >= start) & (out["first_post_at"] < end)
    out["role"] = label(out)
    return out


def network_figures(backend: Any, opts: GraphOptions = GraphOptions(), *, whole: bool = False,
                    seed: int = SEED) -> pd.DataFrame:
    """One row per window: every whole-network figure, ``stage`` and ``reading``."""
    return analyse(backend, opts, whole=whole, roles=False, seed=seed).figures


def roles_over_time(backend: Any, opts: GraphOptions = GraphOptions(), *, whole: bool = False,
                    seed: int = SEED) -> pd.DataFrame:
    """One row per member per window: measures, ``position``, flags and ``role``."""
    return analyse(backend, opts, whole=whole, seed=seed).roles


__all__ = ["NetworkAnalysis", "RoleTable", "analyse", "analyse_graph", "network_figures", "roles_over_time"]
