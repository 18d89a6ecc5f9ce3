"""The four-component profile: one JSON-ready dict with every headline figure, trend and band.

:func:`build_profile` is the one function producing it; ``communitas profile`` prints it and the
HTML report renders it. Its keys are documented in ``docs/profile-json.md`` and kept stable.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from communitas.errors import UsageError
from communitas.metrics import concurrent, interaction, people, reference, summary, ties
from communitas.metrics import place as place_metrics
from communitas.metrics import scope as sc
from communitas.metrics.registry import add_registered
from communitas.metrics.scope import ALL, Scope, scoped

SCHEMA_VERSION = 3  # 2: bands carry `applies`, `applies_to` (a capability) and `context`;
# 3: `scope.source` renamed `scope.source_id` (one name per concept, docs/profile-json.md)

# The metric functions behind each component (their names are the docs/metrics.md sections).
DEFINITIONS: dict[str, list[str]] = {
    "people": ["active_members", "cohort_retention", "newcomer_conversion",
               "participation_inequality", "member_tiers", "churn", "avid_members"],
    "common_ties": ["place_members", "tag_cooccurrence", "interest_profiles", "interest_overlap",
                    "attention_entropy", "place_trends"],
    "social_interaction": ["first_response", "replies_per_thread", "accepted_share",
                           "threads_per_day", "reciprocity", "newcomer_reception", "response_trend"],
    "place": ["activity_per_place", "place_concentration", "place_lifecycle", "rhythm", "movement",
              "place_trend"],
}

# Which metric function (docs/metrics.md section) defines each headline figure.
_FIGURES = {
    "people": {
        "active_members": ["active_members", "newcomers"],
        "participation_inequality": ["contributions", "gini", "top1_share", "next9_share",
                                     "rest90_share", "absence_factor"],
        "newcomer_conversion": ["converted_30", "converted_90"],
        "cohort_retention": ["retained_1", "retained_3", "retained_6", "retained_12"],
        "churn": ["regular_members", "churned", "churned_share"],
        "avid_members": ["avid_members"],
    },
    "common_ties": {
        "place_concentration": ["places_active"],
        "attention_entropy": ["entropy", "evenness"],
        "interest_overlap": ["interest_overlap", "sharing_pairs", "member_pairs",
                             "overlap_sampled_members"],
    },
    "social_interaction": {
        "first_response": ["threads", "responded", "answered_share", "no_response_share",
                           "median_hours", "p90_hours", "replied_share"],
        "replies_per_thread": ["replies_per_thread"],
        "accepted_share": ["accepted_share"],
        "threads_per_day": ["threads_per_day"],
        "reciprocity": ["reply_pairs", "mutual_pairs", "reciprocity"],
        "newcomer_reception": ["newcomer_starters", "newcomers_received", "reception_share",
                               "newcomer_median_hours", "return_with_response",
                               "return_without_response", "newcomers_with_response",
                               "newcomers_without_response"],
    },
    "place": {
        "place_lifecycle": ["places", "dormant_places", "small_places"],
        "place_concentration": ["places_active", "gini", "hhi"],
        "movement": ["members", "multi_place_members", "multi_place_share", "mean_places"],
    },
}
FIGURES: dict[str, str] = {f"{component}.{key}": fn for component, fns in _FIGURES.items()
                           for fn, keys in fns.items() for key in keys}


def jsonable(value: Any) -> Any:
    """Plain JSON values: times as ISO strings in UTC (naive ones are UTC), NaN/NaT as None,
    numpy scalars as Python ones."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def records(df: pd.DataFrame, limit: int | None = None) -> list[dict[str, Any]]:
    """A DataFrame as a list of JSON-ready row dicts (the first ``limit`` rows)."""
    rows = df if limit is None else df.head(limit)
    return [jsonable(r) for r in rows.to_dict("records")]


def _people(b: Any, scope: Scope, period: str) -> dict[str, Any]:
    trend = people.active_members(b, scope, period=period)
    tiers = people.member_tiers(b, scope, period=period)
    trend = trend.merge(tiers, on="period", how="left")
    cohorts = people.cohort_retention(b, scope)
    ineq = people.participation_inequality(b, scope)
    headline: dict[str, Any] = {"active_members": ineq.pop("contributors"),
                                "newcomers": int(trend["newcomers"].sum())}
    headline.update(ineq)
    conv = people.newcomer_conversion(b, scope)
    headline.update({"converted_30": conv["converted_30"], "converted_90": conv["converted_90"]})
    headline.update(people.retention_summary(cohorts))
    headline.update(people.churn(b, scope))
    headline["avid_members"] = people.avid_members(b, scope)
    return {"headline": headline, "trend": records(trend), "cohorts": records(cohorts)}


def _ties(b: Any, scope: Scope, period: str, top: int, conc: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    overlap = ties.interest_overlap(b, scope)
    trends = ties.place_trends(b, scope, period=period)
    cols = ["place_id", "name", "previous", "current", "change", "growth"]
    names = b.table("places").select("place_id", "name").execute()
    co = ties.tag_cooccurrence(b, scope, limit=top)
    lookup = dict(zip(names["place_id"], names["name"], strict=True))
    co["name_a"] = co["place_a"].map(lookup)
    co["name_b"] = co["place_b"].map(lookup)
    trend = records(ties.attention_entropy(b, scope, period=period))
    places = records(ties.place_members(b, scope), top)
    c = conc()
    headline = {"places_active": c["places"], "entropy": c["entropy"],
                "evenness": c["evenness"], "interest_overlap": overlap["share"],
                "sharing_pairs": overlap["sharing_pairs"], "member_pairs": overlap["pairs"],
                "overlap_sampled_members": overlap["sampled_members"]}
    return {
        "headline": headline,
        "trend": trend,
        "places": places,
        "cooccurrence": records(co),
        "rising": records(trends[trends["change"] > 0][cols], top),
        "falling": records(trends[trends["change"] < 0].iloc[::-1][cols], top),
    }


def _interaction(b: Any, scope: Scope, period: str) -> dict[str, Any]:
    headline = dict(interaction.first_response(b, scope))
    headline["accepted_share"] = interaction.accepted_share(b, scope)
    headline["threads_per_day"] = interaction.threads_per_day(b, scope)
    rec_pairs = interaction.reciprocity(b, scope)
    headline.update({"reply_pairs": rec_pairs["pairs"], "mutual_pairs": rec_pairs["mutual_pairs"],
                     "reciprocity": rec_pairs["reciprocity"]})
    rec = interaction.newcomer_reception(b, scope)
    rename = {"newcomers": "newcomer_starters", "received": "newcomers_received",
              "median_hours_to_response": "newcomer_median_hours", "with_response": "newcomers_with_response",
              "without_response": "newcomers_without_response"}
    headline.update({rename.get(k, k): v for k, v in rec.items()})
    return {"headline": headline, "trend": records(interaction.response_trend(b, scope, period=period))}


def _place(b: Any, scope: Scope, period: str, top: int, conc: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    life = place_metrics.place_lifecycle(b, scope)
    moves = place_metrics.movement(b, scope)
    rh = place_metrics.rhythm(b, scope)
    grid = [[0] * 24 for _ in range(7)]
    for wd, hr, n in zip(rh["weekday"], rh["hour"], rh["contributions"], strict=True):
        grid[int(wd)][int(hr)] = int(n)
    dormant = life[life["dormant"] & (life["threads"] > 0)]
    trend = records(place_metrics.place_trend(b, scope, period=period))
    places = records(place_metrics.activity_per_place(b, scope), top)
    c = conc()
    headline = {"places": len(life), "places_active": c["places"], "gini": c["gini"],
                "hhi": c["hhi"], "dormant_places": int(life["dormant"].sum()),
                "small_places": int(life["small"].sum())}
    headline.update(moves)
    return {
        "headline": headline,
        "trend": trend,
        "places": places,
        "dormant": records(dormant.sort_values(["last_at", "place_id"], ascending=[False, True]), top),
        "rhythm": grid,
    }


def _groups(scope: Scope, period: str, top: int) -> dict[str, concurrent.Task]:
    """The profile's independent groups of queries, the longest first after the concentration
    figures two of them wait for (:func:`communitas.metrics.concurrent.run`)."""
    return {
        "conc": lambda b, get: place_metrics.place_concentration(b, scope),
        "common_ties": lambda b, get: _ties(b, scope, period, top, lambda: get("conc")),
        "people": lambda b, get: _people(b, scope, period),
        "place": lambda b, get: _place(b, scope, period, top, lambda: get("conc")),
        "social_interaction": lambda b, get: _interaction(b, scope, period),
        "capable": lambda b, get: reference.capabilities(b, scope),
        "overview": lambda b, get: summary.overview(b.backend, source_id=scope.source_id,
                                                    include_bots=scope.include_bots),
    }


def _prepare(pb: sc.PreparedBackend, scope: Scope) -> None:
    """Materialise the tables several groups read before they run at once (threads read them;
    they do not make them)."""
    sc.history(pb, scope)
    sc.threads(pb, scope)
    sc.member_firsts(pb, scope)
    interaction.thread_stats(pb, scope)
    ties.placed_posts(pb, scope)


@scoped
def build_profile(ws: Any, scope: Scope = ALL, *, period: str = "month", top: int = 10,
                  source: str | None = None) -> dict[str, Any]:
    """The whole profile of the community in ``ws`` (a Workspace or an Ibis backend), for
    ``scope``. (``source`` is the former name of ``scope.source_id``, still accepted.)"""
    b = ws.ibis() if hasattr(ws, "ibis") else ws
    sc.check_period(period)
    if source is not None:
        scope = scope.but(source_id=source)
    _check_source(b, scope.source_id)
    with sc.PreparedBackend(b, source_id=scope.source_id) as pb:
        _prepare(pb, scope)
        done = concurrent.run(pb, _groups(scope, period, top))
        parts = {name: done[name] for name in DEFINITIONS}
        definitions, figures = add_registered(pb, scope, parts, DEFINITIONS, FIGURES)
    legacy = _legacy(done["overview"], parts)
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "scope": {"source_id": scope.source_id, "period": period, "since": scope.since,
                  "until": scope.until, "place": scope.place, "include_bots": scope.include_bots},
        **legacy, **parts,
        "bands": reference.compare({k: v["headline"] for k, v in parts.items()}, done["capable"]),
        "definitions": definitions,
        "figures": figures,
    }
    return jsonable(out)  # type: ignore[no-any-return]


def _check_source(b: Any, source_id: str | None) -> None:
    if source_id is not None:
        sources = b.table("sources")
        if int(sources.filter(sources.source_id == source_id).count().execute()) == 0:
            raise UsageError(f"no source {source_id!r} in the store; `communitas sources` lists them.")


def _legacy(overview: dict[str, Any], parts: dict[str, Any]) -> dict[str, Any]:
    """The first overview's keys (``overview``, ``active_members``, ``top_places``), kept stable;
    the last two now follow the window and place filter like the rest of the profile."""
    active = [{"period": r["period"], "active_members": r["active_members"],
               "contributions": r["contributions"]} for r in parts["people"]["trend"]]
    top = [{k: r[k] for k in ("place_id", "name", "threads", "contributions", "members")}
           for r in parts["place"]["places"]]
    return {"overview": overview,
            "active_members": active, "top_places": top}
