"""A picture of one window's network: igraph layout, Vega-Lite spec, SVG/PNG through vl-convert.

Members are points coloured by Leiden community (the 8 largest; the rest grey), sized by
contacts; staff and moderators are drawn as diamonds. Ties are thin grey rules. Labels name the
10 members with most contacts as ``member N`` (N = rank by contacts in this picture) unless
``names`` maps member ids to display names. Large windows are cut to the ``max_members``
best-connected members of the largest component, and at most ``MAX_TIES`` of their heaviest ties
are drawn, so the file stays small enough to embed (under 300 KB).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import igraph as ig
import numpy as np

from communitas.errors import UsageError
from communitas.network.figures import SEED, leiden, seeded, undirected

MAX_MEMBERS = 300
MAX_TIES = 1_000
TOP_COMMUNITIES = 8
LABELLED = 10


def _trim(u: ig.Graph, max_members: int) -> ig.Graph:
    """The largest component, cut to its ``max_members`` members with most contacts."""
    if u.vcount() <= max_members:
        return u
    giant = u.connected_components().giant()
    if giant.vcount() <= max_members:
        return giant
    keep = np.argsort(-np.asarray(giant.degree()), kind="stable")[:max_members]
    return giant.induced_subgraph(sorted(keep.tolist()))


def _nodes(u: ig.Graph, layout: list[list[float]], names: dict[str, str] | None) -> list[dict[str, Any]]:
    degree = np.asarray(u.degree())
    rank = np.empty(len(degree), dtype=int)
    rank[np.argsort(-degree, kind="stable")] = np.arange(1, len(degree) + 1)
    parts = leiden(u) if u.ecount() else None
    membership = parts.membership if parts is not None else [0] * u.vcount()
    sizes = np.bincount(membership) if len(membership) else np.zeros(0, dtype=int)
    order = {c: i + 1 for i, c in enumerate(np.argsort(-sizes, kind="stable")[:TOP_COMMUNITIES])}
    staff = u.vs["staff"] if "staff" in u.vs.attributes() else [None] * u.vcount()
    out = []
    for i, (x, y) in enumerate(layout):
        member = u.vs[i]["name"]
        label = names.get(member, f"member {rank[i]}") if names is not None else f"member {rank[i]}"
        c = order.get(membership[i])
        out.append({"x": round(x, 1), "y": round(y, 1), "contacts": int(degree[i]),
                    "community": f"community {c}" if c else "other",
                    "staff": "staff" if staff[i] else "member",
                    "label": label if rank[i] <= LABELLED else ""})
    return out


def picture_spec(g: ig.Graph, *, names: dict[str, str] | None = None, max_members: int = MAX_MEMBERS,
                 title: str = "interaction network", seed: int = SEED) -> dict[str, Any]:
    """A Vega-Lite spec drawing ``g`` (see the module docstring)."""
    u = _trim(undirected(g), max_members)
    with seeded(seed):
        layout = u.layout_fruchterman_reingold(niter=300).coords if u.vcount() else []
    nodes = _nodes(u, layout, names)
    pairs = u.get_edgelist()
    if len(pairs) > MAX_TIES:  # keep the heaviest ties (the layout used them all)
        heaviest = np.argsort(-np.asarray(u.es["weight"]), kind="stable")[:MAX_TIES]
        pairs = [pairs[i] for i in sorted(heaviest.tolist())]
    edges = [{"x": nodes[a]["x"], "y": nodes[a]["y"], "x2": nodes[b]["x"], "y2": nodes[b]["y"]}
             for a, b in pairs]
    bare = {"axis": None, "scale": {"zero": False}}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title, "width": 560, "height": 560, "background": "white",
        "config": {"view": {"stroke": None}, "aria": False},
        "layer": [
            {"data": {"values": edges}, "mark": {"type": "rule", "color": "#bbbbbb", "strokeWidth": 0.5},
             "encoding": {"x": {"field": "x", "type": "quantitative", **bare},
                          "y": {"field": "y", "type": "quantitative", **bare},
                          "x2": {"field": "x2"}, "y2": {"field": "y2"}}},
            {"data": {"values": nodes}, "mark": {"type": "point", "filled": True, "opacity": 0.85},
             "encoding": {
                 "x": {"field": "x", "type": "quantitative", **bare},
                 "y": {"field": "y", "type": "quantitative", **bare},
                 "color": {"field": "community", "type": "nominal", "legend": {"title": None}},
                 "shape": {"field": "staff", "type": "nominal", "legend": {"title": None},
                           "scale": {"domain": ["member", "staff"], "range": ["circle", "diamond"]}},
                 "size": {"field": "contacts", "type": "quantitative", "scale": {"range": [12, 300]},
                          "legend": None}}},
            {"data": {"values": [n for n in nodes if n["label"]]},
             "mark": {"type": "text", "dy": -9, "fontSize": 9},
             "encoding": {"x": {"field": "x", "type": "quantitative", **bare},
                          "y": {"field": "y", "type": "quantitative", **bare}, "text": {"field": "label"}}},
        ],
    }


def render(spec: dict[str, Any], path: str | Path) -> Path:
    """Write ``spec`` as SVG or PNG, chosen by the file suffix."""
    import vl_convert

    out = Path(path)
    suffix = out.suffix.lower()
    if suffix == ".svg":
        out.write_text(vl_convert.vegalite_to_svg(spec), encoding="utf-8")
    elif suffix == ".png":
        out.write_bytes(vl_convert.vegalite_to_png(spec, scale=1.0))
    else:
        raise UsageError(f"{out}: the picture must end in .svg or .png; rename the output file.")
    return out


__all__ = ["MAX_MEMBERS", "MAX_TIES", "picture_spec", "render"]
