"""Member roles in one window's graph, and each member's trajectory across windows.

Positions (exclusive): ``core`` (coreness at least 2/3 of the window's maximum coreness, and at
least 2), ``periphery`` (tied, not core), ``isolate`` (contributed, no tie).
Flags (may overlap): ``connector`` (among the 5% with most distinct contacts, and at least 3),
``broker`` (betweenness among the top 5% and above 0, or Burt constraint at most 0.2),
``newcomer`` (first contribution ever falls in this window).
The single ``role`` label picks, in order: newcomer (when not core: waiting at the edge),
isolate, broker, connector, then the position. Thresholds and reasons: ``docs/network.md``.
"""

from __future__ import annotations

import math
import random

import igraph as ig
import numpy as np
import pandas as pd

from communitas.network.figures import SEED, leiden, undirected

EXACT_BETWEENNESS_LIMIT = 5_000
"""Above this many members betweenness is estimated from ``BETWEENNESS_SAMPLES`` random sources."""
BETWEENNESS_SAMPLES = 100
CONSTRAINT_LIMIT = 20_000
"""Above this many members Burt constraint is not computed (igraph's is ~O(n·d²): 370 s at 200 k)."""
TOP_SHARE = 0.05
CONSTRAINT_BROKER = 0.2
MIN_CONNECTOR_DEGREE = 3


def betweenness(u: ig.Graph, seed: int = SEED) -> np.ndarray:
    """Normalised undirected betweenness: exact up to the limit, sampled (and rescaled) above it."""
    n = u.vcount()
    if n < 3 or u.ecount() == 0:
        return np.zeros(n)
    pairs = (n - 1) * (n - 2) / 2
    if n <= EXACT_BETWEENNESS_LIMIT:
        return np.asarray(u.betweenness(directed=False)) / pairs
    k = min(BETWEENNESS_SAMPLES, n)
    sources = random.Random(seed).sample(range(n), k)
    raw = np.asarray(u.betweenness(directed=False, sources=sources))
    # igraph sums the dependencies of the k sources on every vertex (halved, as for the exact
    # undirected figure, which is the same sum over all n sources): scale by n / k.
    return raw * (n / k) / pairs


def _constraint(u: ig.Graph) -> np.ndarray:
    n = u.vcount()
    if n > CONSTRAINT_LIMIT or u.ecount() == 0:
        return np.full(n, np.nan)
    c = np.asarray(u.constraint(weights="weight"), dtype=float)
    c[np.asarray(u.degree()) == 0] = np.nan
    return c


def _top(values: np.ndarray, share: float) -> np.ndarray:
    """True for the ``share`` of members with the highest value (at least one), ties included."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    k = max(1, math.ceil(share * len(values)))
    cut = np.sort(values)[::-1][k - 1]
    return values >= cut


def member_roles(g: ig.Graph, seed: int = SEED, *, u: ig.Graph | None = None,
                 parts: ig.VertexClustering | None = None) -> pd.DataFrame:
    """One row per member of ``g``: degrees, weights, coreness, betweenness, constraint,
    community, position and flags (``newcomer`` is set by the caller, who knows the window)."""
    u = undirected(g) if u is None else u
    n = g.vcount()
    core = np.asarray(u.coreness(), dtype=int) if n else np.zeros(0, dtype=int)
    degree = np.asarray(u.degree(), dtype=int)
    max_core = int(core.max()) if n else 0
    core_cut = max(2, math.ceil(2 * max_core / 3))
    position = np.where(degree == 0, "isolate", np.where(core >= core_cut, "core", "periphery"))
    btw = betweenness(u, seed)
    cons = _constraint(u)
    if parts is None and u.ecount():
        parts = leiden(u, seed)
    membership = parts.membership if parts is not None else list(range(n))
    connector = _top(degree, TOP_SHARE) & (degree >= MIN_CONNECTOR_DEGREE)
    broker = (_top(btw, TOP_SHARE) & (btw > 0)) | (np.nan_to_num(cons, nan=1.0) <= CONSTRAINT_BROKER)
    staff = g.vs["staff"] if "staff" in g.vs.attributes() else [None] * n
    return pd.DataFrame({
        "member_id": g.vs["name"] if n else [],
        "in_ties": np.asarray(g.indegree(), dtype=int), "out_ties": np.asarray(g.outdegree(), dtype=int),
        "contacts": degree,
        "replies_received": np.asarray(g.strength(mode="in", weights="weight"), dtype=float),
        "replies_sent": np.asarray(g.strength(mode="out", weights="weight"), dtype=float),
        "coreness": core, "betweenness": btw, "constraint": cons, "community": membership,
        "staff": pd.array(staff, dtype="boolean"),
        "position": position, "connector": connector, "broker": broker & (degree > 0),
    })


def label(roles: pd.DataFrame) -> pd.Series:
    """The single role label per member (see the module docstring for the order)."""
    out = roles["position"].copy()
    out = out.where(~roles["connector"], "connector")
    out = out.where(~roles["broker"], "broker")
    out = out.where(roles["position"] != "isolate", "isolate")
    edge = roles["newcomer"] & (roles["position"] != "core")
    return out.where(~edge, "newcomer")


def trajectories(roles: pd.DataFrame, members: list[str] | None = None, *,
                 windows: list[int] | None = None) -> pd.DataFrame:
    """Each member's path of positions across windows, runs collapsed (``periphery → core``).

    ``roles`` is the per-window table from :func:`communitas.network.roles_over_time`; windows
    whose network the member was not in (neither contributed nor was replied to) show as
    ``absent`` (``windows``: every window of the analysis, when ``roles`` holds only some
    members' rows). ``periphery_to_core`` is True when the member was periphery in some window and
    core in a later one: legitimate peripheral participation made visible.
    """
    df = roles if members is None else roles[roles["member_id"].isin(members)]
    windows = sorted(roles["window"].unique()) if windows is None else windows
    wide = df.pivot(index="member_id", columns="window", values="position").reindex(columns=windows)
    cols = ["member_id", "windows_active", "first_window", "first_core_window", "periphery_to_core", "path"]
    if not len(wide.index):
        return pd.DataFrame([], columns=cols)
    # members sharing a sequence of positions share their trajectory: worked out once per sequence
    cells = wide.to_numpy(dtype=object)
    known = np.array([isinstance(p, str) for p in cells.ravel()]).reshape(cells.shape)
    codes, labels = pd.factorize(np.where(known, cells, "absent").ravel())
    seqs, which = np.unique(codes.reshape(cells.shape), axis=0, return_inverse=True)
    found = [_trajectory("", [str(labels[c]) for c in seq], windows) for seq in seqs]
    rows = [{**found[k], "member_id": str(m)}
            for m, k in zip(wide.index, which.ravel().tolist(), strict=True)]
    return pd.DataFrame(rows, columns=cols)


def _trajectory(member: str, steps: list[str], windows: list[int]) -> dict[str, object]:
    present = [i for i, s in enumerate(steps) if s != "absent"]
    core = [i for i, s in enumerate(steps) if s == "core"]
    first_core = core[0] if core else None
    was_edge = first_core is not None and any(s == "periphery" for s in steps[:first_core])
    collapsed: list[str] = []
    for s in steps[present[0]:present[-1] + 1] if present else []:
        if not collapsed or collapsed[-1] != s:
            collapsed.append(s)
    return {"member_id": member, "windows_active": len(present),
            "first_window": windows[present[0]] if present else None,
            "first_core_window": windows[first_core] if first_core is not None else None,
            "periphery_to_core": was_edge, "path": " → ".join(collapsed)}


__all__ = ["BETWEENNESS_SAMPLES", "CONSTRAINT_LIMIT", "EXACT_BETWEENNESS_LIMIT", "betweenness", "label",
           "member_roles", "trajectories"]
