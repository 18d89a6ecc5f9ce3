"""PEOPLE: who takes part, who arrives, who stays, and how unequal the participation is.

Every function takes an Ibis backend holding the canonical tables and the scope keywords of
:mod:`communitas.metrics.scope`; its docstring is its definition (mirrored in ``docs/metrics.md``).
A *member* is a non-NULL ``author_id`` of a contribution; contributions by deleted accounts
(``author_id`` NULL) count as contributions but towards no member.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from communitas.metrics import scope
from communitas.metrics.base import automated_members, period_start
from communitas.metrics.scope import TimeArg

RETENTION_OFFSETS = (1, 3, 6, 12)
CHURN_SILENCE_DAYS = 90
REGULAR_MONTHS = 3


def _members(table: ir.Table) -> ir.Table:
    return table.filter(table.author_id.notnull())


def active_members(backend: Any, *, period: str = "month", since: TimeArg = None,
                   until: TimeArg = None, place: str | None = None, source_id: str | None = None,
                   include_bots: bool = False) -> pd.DataFrame:
    """Members who contributed at least once in each period: ``active_members``, of whom
    ``newcomers`` made their first contribution ever (in scope) in that period and ``returning``
    had contributed before; ``contributions`` counts every contribution of the period, those of
    deleted accounts included."""
    scope.check_period(period)
    kw: dict[str, Any] = {"place": place, "source_id": source_id, "include_bots": include_bots}
    win = scope.posts(backend, since=since, until=until, **kw)
    first = scope.member_firsts(backend, **kw).select("member", "first_at")
    win = win.mutate(period=period_start(win.created_at, period))
    win = win.left_join(first, win.author_id == first.member)
    is_new = period_start(win.first_at, period) == win.period
    out = win.group_by("period").aggregate(
        active_members=win.author_id.nunique(),
        newcomers=win.author_id.nunique(where=is_new),
        contributions=win.count(),
    )
    out = out.mutate(returning=out.active_members - out.newcomers)
    cols = ["period", "active_members", "newcomers", "returning", "contributions"]
    return out.select(cols).order_by("period").execute()


def cohort_retention(backend: Any, *, since: TimeArg = None, until: TimeArg = None,
                     place: str | None = None, source_id: str | None = None,
                     include_bots: bool = False) -> pd.DataFrame:
    """Monthly cohorts: the members whose first contribution fell in a calendar month (in the
    window), and the share of them who contributed again in the month 1, 3, 6 and 12 months
    later (``retained_1`` ... ``retained_12``). A share is NULL when that month lies after the
    last month of data (not yet observable)."""
    hist = _members(scope.history(backend, place=place, source_id=source_id,
                                  include_bots=include_bots))
    month = hist.created_at.year() * 12 + hist.created_at.month() - 1
    mm = hist.select(member=hist.author_id, month=month, created_at=hist.created_at)
    first = mm.group_by("member").aggregate(first_month=mm.month.min(), first_at=mm.created_at.min())
    first = scope.in_window(first, "first_at", since, until)
    last_month = mm.month.max().as_scalar()
    act = mm.select("member", "month").distinct()
    j = first.join(act, "member")
    off = j.month - j.first_month
    aggs: dict[str, Any] = {"members": j.member.nunique(where=off == 0)}
    for k in RETENTION_OFFSETS:
        aggs[f"active_{k}"] = j.member.nunique(where=off == k)
    out = j.group_by("first_month").aggregate(**aggs).mutate(last_month=last_month)
    shares = {f"retained_{k}": ibis.ifelse(out.first_month + k <= out.last_month,
                                           out[f"active_{k}"] / out.members, ibis.null())
              for k in RETENTION_OFFSETS}
    out = out.mutate(**shares).order_by("first_month").execute()
    out.insert(0, "cohort", pd.to_datetime(
        {"year": out.first_month // 12, "month": out.first_month % 12 + 1, "day": 1}, utc=True))
    keep = ["cohort", "members", *shares]
    return out[keep].astype({c: "float64" for c in shares})


def retention_summary(cohorts: pd.DataFrame) -> dict[str, float | None]:
    """Cohort-size-weighted mean of each ``retained_k`` over the cohorts where it is observable."""
    out: dict[str, float | None] = {}
    for k in RETENTION_OFFSETS:
        col = f"retained_{k}"
        seen = cohorts[cohorts[col].notna()]
        n = int(seen["members"].sum())
        out[col] = float((seen[col] * seen["members"]).sum() / n) if n else None
    return out


def newcomer_conversion(backend: Any, *, since: TimeArg = None, until: TimeArg = None,
                        place: str | None = None, source_id: str | None = None,
                        include_bots: bool = False) -> dict[str, Any]:
    """Newcomers (members whose first contribution falls in the window) who contributed again
    within 30 and within 90 days of their first contribution. A newcomer is only counted for a
    horizon once it has passed: those who arrived less than 30 (90) days before the last
    contribution in the data are left out of that share's denominator."""
    kw: dict[str, Any] = {"place": place, "source_id": source_id, "include_bots": include_bots}
    per = scope.in_window(scope.member_firsts(backend, **kw), "first_at", since, until)
    end = scope.data_end(_members(scope.history(backend, **kw)))
    out: dict[str, Any] = {"newcomers": int(per.count().execute())}
    for days in (30, 90):
        if end is None:
            out[f"observable_{days}"], out[f"converted_{days}"] = 0, None
            continue
        horizon = ibis.interval(days=days)
        seen = per.filter(per.first_at <= ibis.literal(end - timedelta(days=days)))
        agg = seen.aggregate(n=seen.count(),
                             back=(seen.second_at <= seen.first_at + horizon).sum()).execute()
        n, back = int(agg["n"][0]), agg["back"][0]
        out[f"observable_{days}"] = n
        out[f"converted_{days}"] = float(back) / n if n else None
    return out


def _per_member(win: ir.Table) -> ir.Table:
    m = _members(win)
    return m.group_by(member=m.author_id).aggregate(n=m.count())


def participation_inequality(backend: Any, *, since: TimeArg = None, until: TimeArg = None,
                             place: str | None = None, source_id: str | None = None,
                             include_bots: bool = False) -> dict[str, Any]:
    """How unequal contributions per member are, over the members who contributed in the window:
    the Gini coefficient (0 = everyone equal, 1 = one member does everything); the share of
    contributions made by the top 1% of contributors (the ceil(1%) most active, at least one),
    the next 9% (up to ceil(10%)) and the remaining 90%; and the contributor absence factor, the
    fewest members who together made at least half of the contributions. Contributions of
    deleted accounts are left out (they belong to no member)."""
    win = scope.posts(backend, since=since, until=until, place=place, source_id=source_id,
                      include_bots=include_bots)
    per = _per_member(win)
    asc = ibis.row_number().over(order_by=[per.n, per.member]) + 1
    desc = ibis.row_number().over(order_by=[per.n.desc(), per.member]) + 1
    cum = per.n.sum().over(ibis.window(order_by=[per.n.desc(), per.member], preceding=None,
                                       following=0))
    r = per.mutate(asc=asc, desc=desc, cum=cum)
    total, count = r.n.sum().as_scalar(), r.count().as_scalar()
    top1 = (count * 0.01).ceil()
    top10 = (count * 0.10).ceil()
    agg = r.aggregate(
        contributors=r.count(), contributions=r.n.sum(), weighted=(r.asc * r.n).sum(),
        top1=r.n.sum(where=r.desc <= top1), next9=r.n.sum(where=(r.desc > top1) & (r.desc <= top10)),
        absence=(r.cum - r.n < total / 2).sum(),
    ).execute().iloc[0]
    n, tot = int(agg["contributors"]), int(agg["contributions"] or 0)
    if n == 0 or tot == 0:
        return {"contributors": n, "contributions": tot, "gini": None, "top1_share": None,
                "next9_share": None, "rest90_share": None, "absence_factor": None}
    top, nxt = _num(agg["top1"]), _num(agg["next9"])
    return {
        "contributors": n, "contributions": tot,
        "gini": float(2 * agg["weighted"] / (n * tot) - (n + 1) / n),
        "top1_share": top / tot, "next9_share": nxt / tot, "rest90_share": (tot - top - nxt) / tot,
        "absence_factor": int(agg["absence"]),
    }


def _num(value: Any) -> float:
    return 0.0 if value is None or pd.isna(value) else float(value)


def _tiers(win: ir.Table, period: str) -> ir.Table:
    m = _members(win)
    m = m.mutate(period=period_start(m.created_at, period))
    per = m.group_by(["period", m.author_id.name("member")]).aggregate(n=m.count())
    w = ibis.window(group_by=per.period, order_by=[per.n.desc(), per.member], preceding=None,
                    following=0)
    before = (per.n.sum().over(w) - per.n) / per.n.sum().over(group_by=per.period)
    tier = ibis.cases((before < 0.80, "core"), (before < 0.95, "regular"), else_="casual")
    return per.mutate(tier=tier)


def member_tiers(backend: Any, *, period: str = "month", since: TimeArg = None,
                 until: TimeArg = None, place: str | None = None, source_id: str | None = None,
                 include_bots: bool = False) -> pd.DataFrame:
    """Members of each period by activity tier: ranking the period's members by contributions,
    ``core`` members together produce the first 80% of them, ``regular`` the next 15%, ``casual``
    the last 5% (a member is placed by the share produced by those ranked above). ``moved``
    counts members active in this and the previous period whose tier changed."""
    scope.check_period(period)
    win = scope.posts(backend, since=since, until=until, place=place, source_id=source_id,
                      include_bots=include_bots)
    t = _tiers(win, period)
    step = {"week": ibis.interval(weeks=1), "month": ibis.interval(months=1),
            "quarter": ibis.interval(months=3), "year": ibis.interval(years=1)}[period]
    prev = t.select(member=t.member, prev_period=t.period + step, prev_tier=t.tier)
    j = t.left_join(prev, (t.member == prev.member) & (t.period == prev.prev_period))
    out = j.group_by("period").aggregate(
        core=(j.tier == "core").sum(), regular=(j.tier == "regular").sum(),
        casual=(j.tier == "casual").sum(),
        moved=(j.prev_tier.notnull() & (j.prev_tier != j.tier)).sum(),
    )
    return out.order_by("period").execute()


def churn(backend: Any, *, since: TimeArg = None, until: TimeArg = None, place: str | None = None,
          source_id: str | None = None, include_bots: bool = False) -> dict[str, Any]:
    """Regular members who fell silent: a member is *regular* once they have contributed in at
    least 3 distinct calendar months; a regular member has *churned* when their last contribution
    (in the window) is 90 days or more before the end of the data (the last contribution in
    scope before ``until``, of the member's source — the latest, for a person active in several).
    Reports both counts and the churned share of regular members."""
    hist = scope.history(backend, place=place, source_id=source_id, include_bots=include_bots)
    hist = scope.in_window(hist, "created_at", None, until)
    ends = scope.source_ends(hist)
    win = _members(scope.in_window(hist, "created_at", since, None))
    win = win.join(ends, "source_id")
    per = win.group_by(member=win.author_id).aggregate(
        months=period_start(win.created_at, "month").nunique(), last_at=win.created_at.max(),
        end=win.source_end.max())
    regular = per.filter(per.months >= REGULAR_MONTHS)
    silent = regular.last_at <= regular.end - ibis.interval(days=CHURN_SILENCE_DAYS)
    row = regular.aggregate(n=regular.count(), churned=silent.sum()).execute().iloc[0]
    n_regular, churned = int(row["n"]), int(_num(row["churned"]))
    if n_regular == 0:
        return {"regular_members": 0, "churned": 0, "churned_share": None}
    return {"regular_members": n_regular, "churned": churned, "churned_share": churned / n_regular}


def avid_members(backend: Any, *, threshold: float = 200, source_id: str | None = None,
                 include_bots: bool = False) -> int | None:
    """Members with a reputation of at least 200 (Area 51's "avid users"), counted only for
    sources whose platform has reputation (Stack Exchange's ``members.score``); NULL otherwise."""
    members = backend.table("members")
    sources = backend.table("sources")
    rep = sources.filter(sources.platform == "stackexchange").select("source_id")
    if source_id is not None:
        rep = rep.filter(rep.source_id == source_id)
    if int(rep.count().execute()) == 0:
        return None
    m = members.semi_join(rep, "source_id")
    if not include_bots:
        m = m.anti_join(automated_members(backend), "member_id")
    return int(m.filter(m.score >= threshold).count().execute())
