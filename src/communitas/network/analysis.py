"""Figures, stages and roles for every window of a community: the tables the CLI and report show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import igraph as ig
import pandas as pd

from communitas.network.figures import SEED, figures, leiden, undirected
from communitas.network.graph import (
    GraphOptions,
    rolling_windows,
    whole_history,
    window_graphs,
    window_members,
)
from communitas.network.roles import label, member_roles
from communitas.network.stages import classify_stage, network_or_team, settle_stages


@dataclass
class NetworkAnalysis:
    """``figures``: one row per window (with ``stage``, settled across windows, ``window_stage``,
    the window's own reading, and ``reading``); ``roles``: one row per
    member per window; ``graphs``: the igraph graph of each window (for pictures)."""

    figures: pd.DataFrame
    roles: pd.DataFrame
    graphs: dict[int, ig.Graph]


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
            roles: bool = True, seed: int = SEED) -> NetworkAnalysis:
    """Build every window's graph (or the whole history's) and compute figures, stage and roles."""
    windows = whole_history(backend, opts) if whole else rolling_windows(backend, opts)
    active = window_members(backend, windows, opts)
    graphs = window_graphs(backend, windows, opts, active=active)
    fig_rows, role_tables = [], []
    for key, start, end in zip(windows["window"].tolist(), windows["start"], windows["end"], strict=True):
        fig, table = analyse_graph(graphs[int(key)], seed, roles=roles)
        fig_rows.append({"window": int(key), "start": start, "end": end, **fig})
        if table is not None:
            table.insert(0, "window", int(key))
            table.insert(1, "start", [start] * len(table))
            role_tables.append(table)
    fig_df = pd.DataFrame(fig_rows)
    if not fig_df.empty:  # the per-window rule's reading, then the stage with hysteresis
        fig_df.insert(list(fig_df.columns).index("stage") + 1, "window_stage", fig_df["stage"])
        fig_df["stage"] = settle_stages(fig_df)
    if not roles or not role_tables:
        return NetworkAnalysis(fig_df, pd.DataFrame(), graphs)
    firsts = active[["window", "member_id", "first_post_at"]]
    role_df = pd.concat(role_tables, ignore_index=True).merge(firsts, on=["window", "member_id"], how="left")
    bounds = windows.set_index("window")
    start = role_df["window"].map(bounds["start"])
    end = role_df["window"].map(bounds["end"])
    role_df["newcomer"] = (role_df["first_post_at"] >= start) & (role_df["first_post_at"] < end)
    role_df["role"] = label(role_df)
    return NetworkAnalysis(fig_df, role_df, graphs)


def network_figures(backend: Any, opts: GraphOptions = GraphOptions(), *, whole: bool = False,
                    seed: int = SEED) -> pd.DataFrame:
    """One row per window: every whole-network figure, ``stage`` and ``reading``."""
    return analyse(backend, opts, whole=whole, roles=False, seed=seed).figures


def roles_over_time(backend: Any, opts: GraphOptions = GraphOptions(), *, whole: bool = False,
                    seed: int = SEED) -> pd.DataFrame:
    """One row per member per window: measures, ``position``, flags and ``role``."""
    return analyse(backend, opts, whole=whole, seed=seed).roles


__all__ = ["NetworkAnalysis", "analyse", "analyse_graph", "network_figures", "roles_over_time"]
