"""PLACE: where the community meets — activity per place, its concentration, life cycle, rhythm
and movement between places.

Places are what the platform offers to gather in: Stack Exchange tags, Slack/Discord channels,
mailing lists, Discourse categories. As in :mod:`communitas.metrics.ties`, a contribution is in
every place its thread is in, so per-place shares can sum to more than 100%.
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import pandas as pd

from communitas.metrics import scope as sc
from communitas.metrics.base import period_start
from communitas.metrics.inequality import gini
from communitas.metrics.scope import ALL, Scope, scoped
from communitas.metrics.ties import placed_posts

DORMANT_DAYS = 90
SMALL_THREADS = 5


@scoped
def activity_per_place(backend: Any, scope: Scope = ALL) -> pd.DataFrame:
    """Activity per place in the window: ``threads`` with a contribution there, ``contributions``,
    ``members`` and ``share`` — the place's contributions over all contributions in the window
    (overlapping when threads have several places)."""
    pp = placed_posts(backend, scope)
    total = sc.posts(backend, scope).count().as_scalar()
    out = pp.group_by("place_id").aggregate(threads=pp.thread_id.nunique(), contributions=pp.count(),
                                            members=pp.author_id.nunique())
    out = out.mutate(share=out.contributions / total)
    places = backend.table("places").select("place_id", "name", "kind")
    out = out.left_join(places, "place_id").drop("place_id_right")
    return out.order_by([out.contributions.desc(), out.place_id]).execute()


@scoped
def place_concentration(backend: Any, scope: Scope = ALL) -> dict[str, Any]:
    """How concentrated activity is across the places active in the window: the Gini coefficient
    of contributions per place and the Herfindahl-Hirschman index (sum of squared shares of the
    placed contributions; 1/places when even, 1 when all activity is in one place). Also the
    Shannon ``entropy`` (bits) of that distribution and its ``evenness`` (entropy / log2 places)."""
    pp = placed_posts(backend, scope)
    per = pp.group_by("place_id").aggregate(n=pp.count())
    asc = ibis.row_number().over(order_by=[per.n, per.place_id]) + 1
    r = per.mutate(asc=asc)
    row = r.aggregate(places=r.count(), total=r.n.sum(), weighted=(r.asc * r.n).sum(),
                      squares=(r.n * r.n).sum()).execute().iloc[0]
    n, tot = int(row["places"]), int(row["total"] or 0)
    if n == 0 or tot == 0:
        return {"places": n, "gini": None, "hhi": None, "entropy": None, "evenness": None}
    # The logarithms and their sum are taken here (math.fsum: exactly rounded in any order), so
    # every engine gives the same bits. One place: exactly 0 (no rounding residue).
    nlogn = math.fsum(int(c) * math.log2(int(c)) for c in per.n.to_pyarrow().to_pylist())
    entropy = 0.0 if n == 1 else max(0.0, math.log2(tot) - nlogn / tot)
    return {"places": n, "gini": gini(row["weighted"], n, tot),
            "hhi": float(row["squares"]) / tot / tot, "entropy": entropy,
            "evenness": entropy / math.log2(n) if n > 1 else None}


@scoped
def place_lifecycle(backend: Any, scope: Scope = ALL) -> pd.DataFrame:
    """Life cycle of every place of the source(s): ``created_at`` where the platform records it,
    first and last contribution, ``threads`` ever, and two flags: ``dormant`` (no contribution in
    the 90 days before the end of the data, or none at all) and ``small`` (5 threads or fewer
    ever). The end of the data is the last contribution of the place's source before ``until``.
    Of the scope, the source, bots and ``until`` apply (every place is listed, whatever ``place``
    and ``since`` say)."""
    source_id = scope.source_id
    hist = sc.in_window(sc.history(backend, scope.but(place=None)), "created_at", None, scope.until)
    pp = hist.join(sc.thread_place(backend, source_id), "thread_id")
    per = pp.group_by("place_id").aggregate(first_at=pp.created_at.min(), last_at=pp.created_at.max(),
                                            threads=pp.thread_id.nunique())
    places = backend.table("places")
    if source_id is not None:
        places = places.filter(places.source_id == source_id)
    out = places.select("place_id", "source_id", "name", "kind", "created_at").left_join(per, "place_id")
    out = out.drop("place_id_right").mutate(threads=ibis.coalesce(per.threads, 0))
    ends = sc.source_ends(hist)
    out = out.left_join(ends, "source_id").drop("source_id_right")
    quiet = out.last_at < out.source_end - ibis.interval(days=DORMANT_DAYS)
    out = out.mutate(dormant=out.last_at.isnull() | quiet.fill_null(True),
                     small=out.threads <= SMALL_THREADS).drop("source_end")
    return out.order_by([out.threads.desc(), out.place_id]).execute()


@scoped
def rhythm(backend: Any, scope: Scope = ALL) -> pd.DataFrame:
    """When the community is active: contributions in the window by ``weekday`` (0 = Monday) and
    ``hour`` (0-23), both in UTC. Only the cells with activity are returned."""
    win = sc.posts(backend, scope)
    win = win.mutate(weekday=win.created_at.day_of_week.index(), hour=win.created_at.hour())
    out = win.group_by(["weekday", "hour"]).aggregate(contributions=win.count())
    return out.order_by(["weekday", "hour"]).execute()


@scoped
def movement(backend: Any, scope: Scope = ALL) -> dict[str, Any]:
    """Members who move between places: of the members with a placed contribution in the window,
    how many contributed in more than one place (``multi_place_members``, ``multi_place_share``)
    and the mean number of places per member."""
    pp = placed_posts(backend, scope)
    pp = pp.filter(pp.author_id.notnull())
    per = pp.group_by("author_id").aggregate(places=pp.place_id.nunique())
    row = per.aggregate(members=per.count(), multi=(per.places > 1).sum(),
                        mean=per.places.mean()).execute().iloc[0]
    n = int(row["members"])
    return {"members": n, "multi_place_members": int(row["multi"] or 0),
            "multi_place_share": int(row["multi"] or 0) / n if n else None,
            "mean_places": float(row["mean"]) if n else None}


@scoped
def place_trend(backend: Any, scope: Scope = ALL, *, period: str = "month") -> pd.DataFrame:
    """Per period: the ``places`` with activity, the ``busiest_share`` (the busiest place's share of
    the period's placed contributions) and the ``hhi`` of those contributions across places."""
    sc.check_period(period)
    pp = placed_posts(backend, scope)
    pp = pp.mutate(period=period_start(pp.created_at, period))
    per = pp.group_by(["period", "place_id"]).aggregate(n=pp.count())
    out = per.group_by("period").aggregate(places=per.count(), total=per.n.sum(), top=per.n.max(),
                                           squares=(per.n * per.n).sum())
    out = out.mutate(busiest_share=out.top / out.total,
                     hhi=out.squares / (out.total * out.total).cast("float64"))
    return out.select("period", "places", "busiest_share", "hhi").order_by("period").execute()
