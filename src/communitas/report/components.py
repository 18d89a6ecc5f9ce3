"""The four component sections (people, common ties, social interaction, place) and the glance.

They render ``communitas.metrics.profile.build_profile``; figures, trends and bands come from
there. Only the glance's "trend" arrow is derived here, from the returned monthly series.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from communitas.metrics.people import RETENTION_OFFSETS, retention_summary
from communitas.metrics.periods import period_label
from communitas.metrics.units import format_figure as fig
from communitas.report import charts
from communitas.report.builtin import trend
from communitas.report.context import ReportContext, scrub, snippet
from communitas.report.drill import threads_behind
from communitas.report.sections import SectionEmpty, section

_ANCHORS = {"people": "people", "common_ties": "ties", "social_interaction": "interaction",
            "place": "place"}
_TITLES = {"people": "People", "common_ties": "Common ties", "social_interaction": "Social interaction",
           "place": "Place"}


def pct(v: Any) -> str:
    """A share as a percentage (the one format: :func:`communitas.metrics.units.format_figure`)."""
    return fig("share", v)


def bands_for(ctx: ReportContext, component: str) -> list[dict[str, Any]]:
    """The reference bands of one component that apply to the data in scope (a band measured on
    question-and-answer sites is not shown for a chat workspace)."""
    return [b for b in ctx.profile.get("bands", [])
            if str(b.get("metric", "")).startswith(component + ".") and b.get("applies", True)]


def band_text(band: dict[str, Any] | None) -> str:
    if band is None:
        return "no published reference"
    met = {True: "met", False: "not met", None: "for comparison"}[band.get("met")]
    return f"{band['label']} ({met})"


def _signed(change: float) -> str:
    """A relative change as a signed percentage; a change that rounds to zero shows as ±0%.

    >>> _signed(0.123), _signed(-0.004)
    ('+12%', '±0%')
    """
    text = f"{change:+.0%}"
    return "±0%" if text in ("+0%", "-0%") else text


def _series(rows: list[dict[str, Any]], key: str) -> list[float]:
    return [float(r[key]) for r in rows if r.get(key) is not None]


def _line(ctx: ReportContext, comp: str, metric: str, figure: str, series: list[float], band_metric: str,
          readings: dict[str, str]) -> dict[str, Any]:
    change, arrow = trend(series)
    band = next((b for b in bands_for(ctx, comp) if b["metric"] == f"{comp}.{band_metric}"), None)
    shown = "" if change is None else f"{arrow} {_signed(change)} (last 3 {ctx.period}s vs 3 before)"
    return {"component": _TITLES[comp], "anchor": _ANCHORS[comp], "figure": figure, "metric": metric,
            "trend": shown,
            "band": band_text(band), "reading": readings.get(arrow, readings.get("", ""))}


@section("glance", "At a glance", order=10)
def build_glance(ctx: ReportContext) -> dict[str, Any] | None:
    p = ctx.profile
    if not p.get("active_members"):
        raise SectionEmpty("no activity to summarise")
    ph, th = p["people"]["headline"], p["common_ties"]["headline"]
    ih, lh = p["social_interaction"]["headline"], p["place"]["headline"]
    lines = [
        _line(ctx, "people", "active_members",
              f"{fig('active_members', ph['active_members'])} active members, "
              f"top 1% write {pct(ph['top1_share'])}", _series(p["people"]["trend"], "active_members"),
              "top1_share", {"↑": "more members are taking part", "↓": "fewer members are taking part",
                             "→": "participation is steady", "": "too short a history for a trend"}),
        _line(ctx, "common_ties", "interest_overlap",
              f"{pct(th['interest_overlap'])} of member pairs share a place; "
              f"evenness {fig('evenness', th['evenness'])}",
              _series(p["common_ties"]["trend"], "evenness"), "interest_overlap",
              {"↑": "attention is spreading over more places", "↓": "attention is narrowing",
               "→": "shared interests are stable", "": "too short a history for a trend"}),
        _line(ctx, "social_interaction", "replied_share",
              f"{pct(ih['replied_share'])} of threads get a reply; median first response "
              f"{fig('median_hours', ih['median_hours'])}",
              _series(p["social_interaction"]["trend"], "median_hours"),
              "replied_share", {"↑": "responses are getting slower", "↓": "responses are getting faster",
                                "→": "response times are steady", "": "too short a history for a trend"}),
        _line(ctx, "place", "places_active", f"{fig('places_active', lh['places_active'])} active places; "
              f"{pct(lh['multi_place_share'])} of members use more than one",
              _series(p["place"]["trend"], "places"), "places_active",
              {"↑": "conversation spreads over more places", "↓": "fewer places are in use",
               "→": "places in use are steady", "": "too short a history for a trend"}),
    ]
    return {"lines": lines}


def _table(title: str, rows: list[dict[str, Any]], columns: list[str], numeric: list[str]
           ) -> dict[str, Any]:
    clean = [{c: scrub(str(r.get(c))) if isinstance(r.get(c), str) else _cell(r.get(c), c) for c in columns}
             for r in rows]
    return {"title": title, "columns": columns, "numeric": numeric, "rows": clean}


def _cell(v: Any, key: str = "") -> str:
    return fig(key, v)


def _headline(h: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    rows = [{"figure": k, "value": _cell(h.get(k), k)} for k in keys if k in h]
    return {"title": "Headline figures", "columns": ["figure", "value"], "numeric": ["value"], "rows": rows}


MONTHLY_COHORTS_SHOWN = 24  # above, the heat map shows quarters


def cohort_chart(cohorts: list[dict[str, Any]]) -> charts.Chart:
    """The cohort retention heat map: monthly cohorts up to 24, quarters above (a quarter's share is
    the newcomer-weighted mean of its months', as ``people.retention_summary``), and a caption
    that sums up every cohort."""
    after = {k: "1 month" if k == 1 else f"{k} months" for k in RETENTION_OFFSETS}  # cohorts are monthly
    frame = pd.DataFrame(cohorts)
    by = "quarter" if len(frame) > MONTHLY_COHORTS_SHOWN else "month"
    frame["row"] = [period_label(str(c), by) for c in frame["cohort"]]
    rows = [{"cohort": row, "after": after[k], "retained": share}
            for row, group in frame.groupby("row", sort=True)
            for k, share in ((k, retention_summary(group)[f"retained_{k}"]) for k in after)
            if share is not None]
    overall = retention_summary(frame)
    summary = ", ".join(f"{pct(overall[f'retained_{k}'])} after {after[k]}" for k in after
                        if overall[f"retained_{k}"] is not None)
    caption = (f"Share of each {by}'s newcomers still contributing 1, 3, 6 and 12 months after their "
               f"first month. All {len(frame)} monthly cohorts ({int(frame['members'].sum()):,} "
               f"newcomers, {frame['cohort'].iloc[0][:7]} to {frame['cohort'].iloc[-1][:7]}): {summary}.")
    return charts.heatmap("people-cohorts", "Cohort retention", rows, x="after", y="cohort",
                          value="retained", x_sort=list(after.values()), caption=caption)


@section("people", "People", order=20, component="people")
def build_people(ctx: ReportContext) -> dict[str, Any] | None:
    p = ctx.profile["people"]
    if not p["trend"]:
        raise SectionEmpty("no active members in this selection")
    h = p["headline"]
    out = [charts.line_over_time("people-active", f"Active members and newcomers per {ctx.period}",
                                 p["trend"], x="period", series=["active_members", "newcomers", "returning"],
                                 caption="Members who posted at least one contribution; newcomers posted "
                                         "for the first time.")]
    if p["cohorts"]:
        out.append(cohort_chart(p["cohorts"]))
    shares = [{"group": g, "share": h.get(k)} for g, k in
              (("top 1%", "top1_share"), ("next 9%", "next9_share"), ("other 90%", "rest90_share"))]
    cum, acc = [{"members": 0.0, "contributions": 0.0}], 0.0
    for frac, s in zip((0.01, 0.10, 1.0), (shares[0]["share"], shares[1]["share"], shares[2]["share"]),
                       strict=True):
        acc += s or 0.0
        cum.append({"members": frac, "contributions": round(acc, 4)})
    out.append(charts.curve("people-inequality", "Participation inequality", cum, x="members",
                            y="contributions", diagonal=True,
                            caption=f"Share of contributions written by the most active members "
                                    f"(Gini {fig('gini', h.get('gini'))}); "
                                    "the dashed line is perfect equality."))
    return {"charts": out, "tables": [_headline(h, ["active_members", "newcomers", "converted_90",
                                                    "retained_3", "retained_12", "churned_share",
                                                    "absence_factor"])]}


@section("ties", "Common ties", order=30, component="common_ties")
def build_ties(ctx: ReportContext) -> dict[str, Any] | None:
    t = ctx.profile["common_ties"]
    if not t["trend"] and not t["places"]:
        raise SectionEmpty("no shared places in this selection")
    out = []
    if t["trend"]:
        out.append(charts.line_over_time("ties-evenness", f"Evenness of attention per {ctx.period}",
                                         t["trend"], x="period", series=["evenness"],
                                         caption="1 = members' contributions spread evenly over places."))
    counts = ["name", "previous", "current"]
    tables = [_headline(t["headline"], ["places_active", "interest_overlap", "evenness", "entropy"]),
              _table("Tags that go together", t["cooccurrence"], ["name_a", "name_b", "threads"],
                     ["threads"]),
              _table("Rising places", t["rising"], counts, counts[1:]),
              _table("Falling places", t["falling"], counts, counts[1:])]
    return {"intro": "What members share: the places and interests that bring them together.",
            "charts": out, "tables": [x for x in tables if x["rows"]]}


@section("interaction", "Social interaction", order=40, component="social_interaction")
def build_interaction(ctx: ReportContext) -> dict[str, Any] | None:
    i = ctx.profile["social_interaction"]
    h = i["headline"]
    if not h.get("threads"):
        raise SectionEmpty("no threads in this selection")
    out = []
    if i["trend"]:
        out.append(charts.line_panels(
            "interaction-response", f"Hours to first response per {ctx.period}", i["trend"], x="period",
            series={"median_hours": "median", "p90_hours": "90th percentile"},
            caption="Median and 90th percentile of the hours from a thread's start to the first "
            "response by another member, each on its own scale (the slow tail can be ten times "
            "the median or more)."))
        out.append(charts.line_over_time(
            "interaction-unanswered", f"Share of threads with no response per {ctx.period}", i["trend"],
            x="period", series=["no_response_share"],
            caption=f"Overall {pct(h.get('no_response_share'))} of threads got no response."))
    bands = [{"reference": b["label"], "observed": _cell(b.get("observed"), b["metric"]),
              "met": band_text(b)}
             for b in bands_for(ctx, "social_interaction")]
    tables = [_headline(h, ["threads", "replied_share", "no_response_share", "median_hours", "p90_hours",
                            "replies_per_thread", "reciprocity", "reception_share"])]
    if bands:
        tables.append({"title": "Reference bands", "columns": ["reference", "observed", "met"],
                       "numeric": [], "rows": bands})
    return {"intro": "How members answer each other: response, reciprocity, newcomer reception.",
            "charts": out, "tables": tables}


@section("place", "Place", order=50, component="place")
def build_place(ctx: ReportContext) -> dict[str, Any] | None:
    pl = ctx.profile["place"]
    busiest = threads_behind(ctx.backend, ctx.scope, limit=10)
    if not pl["places"] and not busiest:
        raise SectionEmpty("no places or threads in this selection")
    out = []
    if pl["trend"]:
        out.append(charts.line_over_time("place-trend", f"Places in use per {ctx.period}", pl["trend"],
                                         x="period", series=["places"], caption="Places with at least "
                                         "one contribution in the period."))
    if pl["places"]:
        out.append(charts.bars("place-top", "Busiest places (threads)",
                               [{"name": scrub(r["name"]), "threads": r["threads"]} for r in pl["places"]],
                               label="name", value="threads", caption="Tags, channels, lists by threads."))
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    rhythm = [{"hour": h, "weekday": days[d], "contributions": n}
              for d, row in enumerate(pl.get("rhythm", [])) for h, n in enumerate(row)]
    if any(r["contributions"] for r in rhythm):
        out.append(charts.heatmap("place-rhythm", "Weekly rhythm (UTC)", rhythm, x="hour", y="weekday",
                                  value="contributions", y_sort=list(days),
                                  caption="Contributions by weekday and hour, UTC."))
    threads = [{"title": scrub(t["title"]) or "(untitled)", "snippet": snippet(t["body"]),
                "contributions": t["contributions"], "members": t["members"]} for t in busiest]
    return {"charts": out, "threads": threads,
            "tables": [_headline(pl["headline"], ["places", "places_active", "dormant_places", "hhi",
                                                  "multi_place_share", "mean_places"])]}
