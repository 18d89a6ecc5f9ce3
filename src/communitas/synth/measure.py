"""How closely a synthetic community reproduces the one it was fitted to: the same quantiles
measured on both stores, with the project's own definitions.

* posts per member: contributions per posting member (bots and system accounts left out);
* hours to first response: ``thread_stats.response_hours`` (docs/metrics.md, first_response),
  over the threads that got one, and the share that got none;
* replies per thread: ``thread_stats.replies`` (comments excluded, as replies_per_thread).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


def distributions(path: Path, source_id: str | None = None) -> dict[str, Any]:
    """The three distributions' quantiles (and sizes) of the store at ``path``."""
    from communitas.metrics.base import contributions
    from communitas.metrics.interaction import thread_stats
    from communitas.store import Workspace

    with Workspace(path, read_only=True) as ws:
        backend = ws.ibis()
        posts = contributions(backend, source_id=source_id)
        posts = posts.filter(posts.author_id.notnull())
        per_member = posts.group_by("author_id").aggregate(n=posts.count()).execute()["n"].to_numpy()
        stats = thread_stats(backend, source_id=source_id).execute()
    hours = stats["response_hours"].dropna().to_numpy(dtype=np.float64)
    replies = stats["replies"].fillna(0).to_numpy(dtype=np.float64)
    return {
        "posts": int(per_member.sum()), "members": len(per_member), "threads": len(stats),
        "posts_per_member": _q(per_member), "response_hours": _q(hours),
        "no_response_share": float(1 - len(hours) / len(stats)) if len(stats) else 0.0,
        "replies_per_thread": _q(replies), "replies_mean": float(replies.mean()) if len(replies) else 0.0,
    }


def _q(values: np.ndarray) -> list[float]:
    if len(values) == 0:
        return [float("nan")] * len(QUANTILES)
    return [float(x) for x in np.quantile(values.astype(np.float64), QUANTILES)]
