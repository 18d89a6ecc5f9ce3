"""Whole-network figures of one interaction graph (see ``docs/network.md`` for each definition).

Directed figures (density, reciprocity, centralization, top-member shares) use the directed
graph of distinct ties; clustering, k-cores, components and communities use its undirected
shadow (a tie either way joins two members; weights summed).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import igraph as ig
import numpy as np

SEED = 42
"""Seed of every randomised step (Leiden, sampled betweenness, layout): same input, same output."""
LEIDEN_STABLE_LIMIT = 10_000
"""Up to this many members Leiden iterates until stable; above it, ``LEIDEN_ITERATIONS`` passes
(iterating to stability took 53 s on a 40 k-member graph without community structure; 2 passes: 1 s)."""
LEIDEN_ITERATIONS = 2


@contextmanager
def seeded(seed: int = SEED) -> Iterator[None]:
    """Run igraph's randomised algorithms from a fixed seed, restoring its generator afterwards."""
    ig.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)


def undirected(g: ig.Graph) -> ig.Graph:
    """The undirected shadow of ``g``: one edge per connected pair, weights summed."""
    u = g.as_undirected(mode="collapse", combine_edges={"weight": "sum"})
    return u


def leiden(u: ig.Graph, seed: int = SEED, resolution: float = 1.0) -> ig.VertexClustering:
    """Leiden communities maximising (weighted) modularity from a fixed seed: iterated until
    stable up to ``LEIDEN_STABLE_LIMIT`` members, ``LEIDEN_ITERATIONS`` passes above."""
    passes = -1 if u.vcount() <= LEIDEN_STABLE_LIMIT else LEIDEN_ITERATIONS
    with seeded(seed):
        return u.community_leiden(objective_function="modularity", weights="weight" if u.ecount() else None,
                                  resolution=resolution, n_iterations=passes)


def centralization(degrees: np.ndarray, n: int) -> float | None:
    """Freeman degree centralization of a simple directed graph: 1 for a perfect star, 0 if equal."""
    if n < 3:
        return None
    return float((degrees.max() - degrees).sum() / ((n - 1) ** 2))


def top_share(g: ig.Graph, k: int) -> float | None:
    """Share of distinct ties with at least one end among the ``k`` members with most ties."""
    if g.ecount() == 0:
        return None
    deg = np.asarray(g.degree(mode="all"))
    top = np.argsort(-deg, kind="stable")[:k].tolist()
    # ties touching the top members: their degrees summed count a tie between two of them twice
    # (no loops: the graph is simple)
    touching = int(deg[top].sum()) - g.subgraph(top).ecount()
    return float(np.float64(touching) / g.ecount())


def animator_dependency(g: ig.Graph) -> float | None:
    """Share of interactions (tie weight) with a staff member or moderator at either end.

    None where the source does not record staff (every vertex's ``staff`` is None), not 0.
    """
    staff = g.vs["staff"] if "staff" in g.vs.attributes() else []
    if g.ecount() == 0 or all(s is None for s in staff):
        return None
    flag = np.array([bool(s) for s in staff])
    edges = np.array(g.get_edgelist())
    w = np.asarray(g.es["weight"], dtype=float)
    touching = flag[edges[:, 0]] | flag[edges[:, 1]]
    return float(w[touching].sum() / w.sum())


def _structure(u: ig.Graph) -> dict[str, Any]:
    n = u.vcount()
    comps = u.connected_components()
    core = np.asarray(u.coreness()) if n else np.zeros(0, dtype=int)
    max_core = int(core.max()) if n else 0
    trans = u.transitivity_undirected()
    return {
        "transitivity": None if math.isnan(trans) else float(trans),
        "components": len(comps),
        "largest_component_share": max(comps.sizes()) / n if n else None,
        "max_core": max_core,
        "inner_core_size": int((core == max_core).sum()) if n else 0,
    }


def _communities(u: ig.Graph, parts: ig.VertexClustering | None) -> dict[str, Any]:
    if u.ecount() == 0 or parts is None:
        return {"communities": 0, "modularity": None, "community_sizes": [], "crossing_ties": 0,
                "crossing_ties_share": None}
    sizes = sorted((s for s in parts.sizes() if s > 1), reverse=True)
    member = np.asarray(parts.membership)
    edges = np.array(u.get_edgelist())
    crossing = member[edges[:, 0]] != member[edges[:, 1]]
    return {"communities": len(sizes), "modularity": float(parts.modularity),
            "community_sizes": sizes[:10], "crossing_ties": int(crossing.sum()),
            "crossing_ties_share": float(crossing.mean())}


def figures(g: ig.Graph, seed: int = SEED, *, u: ig.Graph | None = None,
            parts: ig.VertexClustering | None = None) -> dict[str, Any]:
    """Every whole-network figure of a directed interaction graph, as a flat dict.

    ``u`` (the undirected shadow) and ``parts`` (its Leiden communities) are computed when not
    given; pass them to share the work with :func:`communitas.network.roles.member_roles`.
    """
    n, m = g.vcount(), g.ecount()
    weights = np.asarray(g.es["weight"], dtype=float) if m else np.zeros(0)
    indeg, outdeg = np.asarray(g.indegree()), np.asarray(g.outdegree())
    u = undirected(g) if u is None else u
    if parts is None and u.ecount():
        parts = leiden(u, seed)
    out: dict[str, Any] = {
        "members": n,
        "tied_members": int(((indeg + outdeg) > 0).sum()),
        "ties": m,
        "interactions": float(weights.sum()),
        "density": g.density(loops=False) if n > 1 else None,
        "reciprocity": g.reciprocity() if m else None,
        "in_centralization": centralization(indeg, n),
        "out_centralization": centralization(outdeg, n),
        "top1_share": top_share(g, 1),
        "top5_share": top_share(g, 5),
        "animator_dependency": animator_dependency(g),
    }
    out.update(_structure(u))
    out.update(_communities(u, parts))
    return out


__all__ = ["SEED", "animator_dependency", "centralization", "figures", "leiden", "seeded", "top_share",
           "undirected"]
