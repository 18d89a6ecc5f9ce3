"""PEOPLE: who takes part, who arrives, who stays, and how unequal the participation is.

Every function takes an Ibis backend holding the canonical tables and a
:class:`~communitas.metrics.scope.Scope`; its docstring is its definition (mirrored in ``docs/metrics.md``).
A *member* is a non-NULL ``author_id`` of a contribution; contributions by deleted accounts
(``author_id`` NULL) count as contributions but towards no member.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from communitas.metrics import scope as sc
from communitas.metrics.base import automated_members, period_start
from communitas.metrics.inequality import gini
from communitas.metrics.periods import month_index as _month
from communitas.metrics.periods import period_step
from communitas.metrics.reference import reputation_sources
from communitas.metrics.scope import ALL, Scope, scoped

RETENTION_OFFSETS = (1, 3, 6, 12)
CHURN_SILENCE_DAYS = 90
REGULAR_MONTHS = 3


def _members(table: ir.Table) -> ir.Table:
    return table.filter(table.author_id.notnull())


@scoped
def active_members(backend: Any, scope: Scope = ALL, *, period: str = "month") -> pd.DataFrame:
    """Members who contributed at least once in each period: ``active_members``, of whom
    ``newcomers`` made their first contribution ever (in scope) in that period and ``returning``
    had contributed before; ``contributions`` counts every contribution of the period, those of
    deleted accounts included."""
    sc.check_period(period)
    win = sc.posts(backend, scope)
    first = sc.member_firsts(backend, scope).select("member", "first_at")
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


@scoped
def cohort_retention(backend: Any, scope: Scope = ALL) -> pd.DataFrame:
    """Monthly cohorts: the members whose first contribution fell in a calendar month (in the
    window), and the share of them who contributed again in the month 1, 3, 6 and 12 months
    later (``retained_1`` ... ``retained_12``). A member counts for an offset only when that month
    is not after the last month of their (first contribution's) source; a share is NULL when no
    member of the cohort can be observed that far yet."""
    hist = sc.history(backend, scope)
    ends = sc.source_ends(hist)
    ends = ends.select("source_id", last_month=_month(ends.source_end))
    first = sc.in_window(sc.member_firsts(backend, scope), "first_at", scope.since, scope.until)
    first = first.join(ends, first.first_source == ends.source_id).select(
        "member", "last_month", first_month=_month(first.first_at))
    m = _members(hist)
    act = m.select(member=m.author_id, month=_month(m.created_at)).distinct()
    j = first.join(act, "member")
    off = j.month - j.first_month
    # one row per (member, month) and one first month per member, so counting rows counts
    # members: no DISTINCT aggregate, whose hash tables DuckDB cannot spill under the memory cap
    aggs: dict[str, Any] = {"members": (off == 0).sum()}
    for k in RETENTION_OFFSETS:
        seen = j.first_month + k <= j.last_month
        aggs[f"seen_{k}"] = ((off == 0) & seen).sum()
        aggs[f"active_{k}"] = ((off == k) & seen).sum()
    out = j.group_by("first_month").aggregate(**aggs)
    shares = {f"retained_{k}": ibis.ifelse(out[f"seen_{k}"] > 0, out[f"active_{k}"] / out[f"seen_{k}"],
                                           ibis.null()) for k in RETENTION_OFFSETS}
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


@scoped
def newcomer_conversion(backend: Any, scope: Scope = ALL) -> dict[str, Any]:
    """Newcomers (members whose first contribution falls in the window) who contributed again
    within 30 and within 90 days of their first contribution. A newcomer is only counted for a
    horizon once it has passed: those who arrived less than 30 (90) days before the last
    contribution of their source are left out of that share's denominator."""
    firsts = sc.in_window(sc.member_firsts(backend, scope), "first_at", scope.since, scope.until)
    ends = sc.source_ends(sc.history(backend, scope))
    per = firsts.join(ends, firsts.first_source == ends.source_id)
    aggs: dict[str, Any] = {"newcomers": per.count()}
    for days in (30, 90):
        horizon = ibis.interval(days=days)
        seen = per.first_at <= per.source_end - horizon
        aggs[f"observable_{days}"] = seen.sum()
        aggs[f"back_{days}"] = (seen & (per.second_at <= per.first_at + horizon)).sum()
    row = per.aggregate(**aggs).execute().iloc[0]
    out: dict[str, Any] = {"newcomers": int(row["newcomers"])}
    for days in (30, 90):
        n = int(_num(row[f"observable_{days}"]))
        out[f"observable_{days}"] = n
        out[f"converted_{days}"] = _num(row[f"back_{days}"]) / n if n else None
    return out


def _per_member(win: ir.Table) -> ir.Table:
    m = _members(win)
    return m.group_by(member=m.author_id).aggregate(n=m.count())


@scoped
def participation_inequality(backend: Any, scope: Scope = ALL) -> dict[str, Any]:
    """How unequal contributions per member are, over the members who contributed in the window:
    the Gini coefficient (0 = everyone equal, 1 = one member does everything); the share of
    contributions made by the top 1% of contributors (the ceil(1%) most active, at least one),
    the next 9% (up to ceil(10%)) and the remaining 90%; and the contributor absence factor, the
    fewest members who together made at least half of the contributions. Contributions of
    deleted accounts are left out (they belong to no member)."""
    per = _per_member(sc.posts(backend, scope))
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
        "gini": gini(agg["weighted"], n, tot),
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


@scoped
def member_tiers(backend: Any, scope: Scope = ALL, *, period: str = "month") -> pd.DataFrame:
    """Members of each period by activity tier: ranking the period's members by contributions,
    ``core`` members together produce the first 80% of them, ``regular`` the next 15%, ``casual``
    the last 5% (a member is placed by the share produced by those ranked above). ``moved``
    counts members active in this and the previous period whose tier changed."""
    sc.check_period(period)
    t = _tiers(sc.posts(backend, scope), period)
    step = period_step(period)
    prev = t.select(member=t.member, prev_period=t.period + step, prev_tier=t.tier)
    j = t.left_join(prev, (t.member == prev.member) & (t.period == prev.prev_period))
    out = j.group_by("period").aggregate(
        core=(j.tier == "core").sum(), regular=(j.tier == "regular").sum(),
        casual=(j.tier == "casual").sum(),
        moved=(j.prev_tier.notnull() & (j.prev_tier != j.tier)).sum(),
    )
    return out.order_by("period").execute()


@scoped
def churn(backend: Any, scope: Scope = ALL) -> dict[str, Any]:
    """Regular members who fell silent: a member is *regular* once they have contributed in at
    least 3 distinct calendar months; a regular member has *churned* when their last contribution
    (in the window) is 90 days or more before the end of the data (the last contribution in
    scope before ``until``, of the member's source — the latest, for a person active in several).
    Reports both counts and the churned share of regular members."""
    hist = sc.in_window(sc.history(backend, scope), "created_at", None, scope.until)
    ends = sc.source_ends(hist)
    win = _members(sc.in_window(hist, "created_at", scope.since, None))
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


@scoped
def avid_members(backend: Any, scope: Scope = ALL, *, threshold: float = 200) -> int | None:
    """Members with a reputation of at least 200 (Area 51's "avid users"), counted only over
    sources that **have reputation** — some member carries a ``members.score`` — and NULL when
    none does (whatever the platform's name: the capability is read from the data). Reputation is
    a standing, not an activity: the scope's source and bots apply, its window and place do not."""
    members = backend.table("members")
    if scope.source_id is not None:
        members = members.filter(members.source_id == scope.source_id)
    rep = reputation_sources(backend)
    if scope.source_id is not None:
        rep = rep.filter(rep.source_id == scope.source_id)
    if int(rep.count().execute()) == 0:
        return None
    m = members.semi_join(rep, "source_id")
    if not scope.include_bots:
        m = m.anti_join(automated_members(backend), "member_id")
    return int(m.filter(m.score >= threshold).count().execute())
