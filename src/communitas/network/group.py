"""A group of windows' ties and active members as integer arrays, and each window's graph from them.

The store aggregates the ties and active members of a group of windows in one query each
(:func:`~communitas.network.graph.reply_query`, :func:`~communitas.network.graph.members_query`).
They come back as Arrow, where member ids are compact strings rather than one Python string per
row, and are coded at once against the group's member ids in sorted order: what the group holds
is then integer arrays, and each window's graph is built from them (:meth:`WindowGroup.graph`).
Only a graph's own vertices get Python strings (its ``name`` attribute).

The graph is the one :func:`~communitas.network.graph.build_graph` makes from the same rows:
vertices in the same order (the window's active members in id order, then tie ends in the
order of the ties sorted by source and target), the same edges in the same order, so every
figure is the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir
import igraph as ig
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from communitas.network.graph import GraphOptions, members_query, reply_query, reply_ties, vertex_staff


@dataclass
class WindowGroup:
    """One group's rows, coded: ``ids`` the group's member ids (sorted); ties as ``tie_window,
    source, target, weight`` (sorted by window, source, target); active members as ``act_window,
    member, first_post_at`` (sorted by window, member)."""

    ids: pa.Array
    tie_window: np.ndarray
    source: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    act_window: np.ndarray
    member: np.ndarray
    first_post_at: pd.Series

    def graph(self, key: int, staff: pd.Series | None = None) -> tuple[ig.Graph, pd.Series]:
        """Window ``key``'s graph, and the first contribution of each of its vertices (NaT for a
        tie end who did not contribute in the window), in vertex order."""
        t0, t1 = np.searchsorted(self.tie_window, [key, key + 1])
        a0, a1 = np.searchsorted(self.act_window, [key, key + 1])
        src, dst = self.source[t0:t1], self.target[t0:t1]
        order = pd.unique(np.concatenate([self.member[a0:a1], src, dst]))
        index = np.empty(len(self.ids), dtype=np.int64)
        index[order] = np.arange(len(order))
        g = ig.Graph(n=len(order), edges=np.column_stack([index[src], index[dst]]), directed=True)
        names = self.ids.take(pa.array(order, type=pa.int64())).to_pylist()
        g.vs["name"] = names
        g.es["weight"] = self.weight[t0:t1]
        if g.ecount() and not g.is_simple():
            g.simplify(multiple=True, loops=True, combine_edges={"weight": "sum"})
        g.vs["staff"] = vertex_staff(names, staff)
        return g, self.first_post_at.iloc[a0:a1].reset_index(drop=True).reindex(range(len(order)))


def fetch_group(backend: Any, windows: pd.DataFrame, opts: GraphOptions = GraphOptions(),
                firsts: ir.Table | None = None) -> WindowGroup:
    """The ties and active members of ``windows`` (see the module docstring); ``firsts``: as for
    :func:`~communitas.network.graph.members_query`."""
    if opts.co_participation_hours is None:
        ties = reply_query(backend, windows, opts).to_pyarrow()
    else:  # weaker ties are merged in pandas (rare, and a smaller graph)
        ties = pa.Table.from_pandas(reply_ties(backend, windows, opts), preserve_index=False)
    act = members_query(backend, windows, opts, firsts).select("window", "member_id", "first_post_at")
    active = act.to_pyarrow()
    ids = pc.unique(pa.chunked_array([*_strings(active["member_id"]), *_strings(ties["source"]),
                                      *_strings(ties["target"])], type=pa.string()))
    ids = ids.take(pc.sort_indices(ids))
    src, dst = _codes(ties["source"], ids), _codes(ties["target"], ids)
    tw = ties["window"].to_numpy().astype(np.int64)
    order = np.lexsort((dst, src, tw))
    aw, mem = active["window"].to_numpy().astype(np.int64), _codes(active["member_id"], ids)
    a_order = np.lexsort((mem, aw))
    first = pd.Series(active["first_post_at"].to_pandas()).iloc[a_order].reset_index(drop=True)
    if first.dt.tz is None:
        first = first.dt.tz_localize("UTC")
    return WindowGroup(ids, tw[order], src[order], dst[order],
                       ties["weight"].to_numpy().astype("float64")[order], aw[a_order], mem[a_order],
                       first.dt.tz_convert("UTC").dt.as_unit("us"))


def _strings(col: pa.ChunkedArray) -> list[pa.Array]:
    return [c.cast(pa.string()) for c in col.chunks]


def _codes(col: pa.ChunkedArray, ids: pa.Array) -> np.ndarray:
    """Each value's position in ``ids``."""
    if len(col) == 0:
        return np.zeros(0, dtype=np.int64)
    return pc.index_in(col.cast(pa.string()), value_set=ids).to_numpy(zero_copy_only=False).astype(np.int64)


__all__ = ["WindowGroup", "fetch_group"]
