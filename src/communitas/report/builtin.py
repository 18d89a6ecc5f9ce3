"""The built-in report sections, registered exactly as an extension would register its own.

Each ``build`` function turns what the metric layer returns into the data its template shows; it
does not compute community figures itself (only trends, shares and labels of returned series).
"""

from __future__ import annotations

from typing import Any

from communitas.report import charts
from communitas.report.context import ReportContext, scrub, snippet
from communitas.report.drill import threads_behind
from communitas.report.sections import SectionEmpty, section

COMPONENTS = ("people", "ties", "interaction", "place")


def trend(series: list[float], window: int = 3) -> tuple[float | None, str]:
    """Mean of the last ``window`` values against the ``window`` before: (relative change, arrow).

    >>> trend([10, 10, 10, 12, 12, 12])
    (0.2, '↑')
    >>> trend([5])
    (None, '')
    """
    if len(series) < 2 * window:
        return None, ""
    last = sum(series[-window:]) / window
    before = sum(series[-2 * window:-window]) / window
    if before == 0:
        return None, ""
    change = round((last - before) / before, 4)
    arrow = "↑" if change > 0.05 else "↓" if change < -0.05 else "→"
    return change, arrow


def _active_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = ctx.profile.get("active_members", [])
    return rows


@section("overview", "The community in figures", order=5)
def build_overview(ctx: ReportContext) -> dict[str, Any] | None:
    ov = ctx.profile["overview"]
    if not ov.get("contributors"):
        raise SectionEmpty("no contributions in the store for this selection")
    sources = ctx.ws.sources()
    if ctx.source_id is not None:
        sources = sources[sources["source_id"] == ctx.source_id]
    return {"overview": ov, "sources": [
        {"source_id": r["source_id"], "platform": r["platform"], "name": scrub(r["name"])}
        for r in sources.to_dict("records")]}


@section("glance", "At a glance", order=10)
def build_glance(ctx: ReportContext) -> dict[str, Any] | None:
    active = _active_rows(ctx)
    if not active:
        raise SectionEmpty("no activity to summarise")
    lines = [_glance_people(ctx, active), _glance_ties(ctx), _glance_interaction(active),
             _glance_place(ctx)]
    return {"lines": lines, "period": ctx.period}


def _glance_people(ctx: ReportContext, active: list[dict[str, Any]]) -> dict[str, Any]:
    series = [r["active_members"] for r in active]
    change, arrow = trend(series)
    last = series[-1]
    reading = "activity is steady" if arrow == "→" else (
        "more members are taking part than a quarter before" if arrow == "↑" else
        "fewer members are taking part than a quarter before" if arrow == "↓" else
        "too short a history to read a trend")
    return {"component": "People", "anchor": "people",
            "figure": f"{last:,} active members in the last {ctx.period}",
            "trend": _fmt_change(change, arrow), "band": ctx.profile.get("bands", {}).get("people", "—"),
            "reading": reading}


def _glance_ties(ctx: ReportContext) -> dict[str, Any]:
    return {"component": "Common ties", "anchor": "ties", "figure": "not measured yet",
            "trend": "", "band": ctx.profile.get("bands", {}).get("ties", "—"),
            "reading": "the common-ties metrics are not part of this build"}


def _glance_interaction(active: list[dict[str, Any]]) -> dict[str, Any]:
    per = [r["contributions"] / r["active_members"] for r in active if r["active_members"]]
    change, arrow = trend(per)
    reading = {"↑": "members write more each", "↓": "members write less each",
               "→": "members write about as much as before"}.get(arrow, "too short a history")
    return {"component": "Social interaction", "anchor": "interaction",
            "figure": f"{per[-1]:.1f} contributions per active member" if per else "—",
            "trend": _fmt_change(change, arrow), "band": "—", "reading": reading}


def _glance_place(ctx: ReportContext) -> dict[str, Any]:
    places = ctx.profile.get("top_places", [])
    if not places:
        return {"component": "Place", "anchor": "place", "figure": "no places recorded", "trend": "",
                "band": "—", "reading": "this source has no tags, channels or categories"}
    top = places[0]
    return {"component": "Place", "anchor": "place",
            "figure": f"busiest place: {scrub(top['name'])} ({top['threads']:,} threads)",
            "trend": "", "band": "—",
            "reading": f"conversation spreads over at least {len(places)} places"}


def _fmt_change(change: float | None, arrow: str) -> str:
    return "" if change is None else f"{arrow} {change:+.0%} vs the quarter before"


@section("people", "People", order=20, component="people")
def build_people(ctx: ReportContext) -> dict[str, Any] | None:
    active = _active_rows(ctx)
    if not active:
        raise SectionEmpty("no active members in this selection")
    chart = charts.line_over_time(
        "people-active", f"Active members per {ctx.period}", active, x="period",
        series=["active_members"],
        caption="Members who posted at least one contribution in the period (bots excluded).")
    return {"charts": [chart]}


@section("place", "Place", order=50, component="place")
def build_place(ctx: ReportContext) -> dict[str, Any] | None:
    places = ctx.profile.get("top_places", [])
    busiest = threads_behind(ctx.backend, limit=10, **ctx.kw)
    if not places and not busiest:
        raise SectionEmpty("no places or threads in this selection")
    out_charts = []
    if places:
        out_charts.append(charts.bars(
            "place-top", "Busiest places (threads)",
            [{"name": scrub(p["name"]), "threads": p["threads"]} for p in places],
            label="name", value="threads", caption="Places (tags, channels, lists) by thread count."))
    threads = [{"title": scrub(t["title"]) or "(untitled)", "snippet": snippet(t["body"]),
                "contributions": t["contributions"], "members": t["members"]} for t in busiest]
    return {"charts": out_charts, "places": places, "threads": threads}


@section("appendix", "How these numbers are computed", order=900)
def build_appendix(ctx: ReportContext) -> dict[str, Any] | None:
    from markupsafe import Markup

    from communitas.report.appendix import metric_names, metrics_markdown, render_markdown

    text = metrics_markdown()
    if text is None:
        raise SectionEmpty("docs/metrics.md is not in this build")
    return {"html": Markup(render_markdown(text)), "metrics": metric_names(text)}
