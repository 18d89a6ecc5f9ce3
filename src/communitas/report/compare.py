"""Communities side by side on the same four-component figures, normalised for size and age.

Every community is measured over its **first 24 months** (from its first contribution), so an old
site is not compared on its whole history against a young one, and counts are given **per 100
active members** of that window, so a large site is not compared on raw volume. Shares, medians and
ratios are size-free already. Figures come from :func:`communitas.metrics.profile.build_profile`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from communitas.metrics.periods import add_months
from communitas.metrics.units import format_figure
from communitas.store import Workspace

MONTHS = 24


@dataclass(frozen=True)
class Figure:
    """One comparison row: its key (its unit is in :mod:`communitas.metrics.units`), its
    component and its label."""

    key: str
    component: str
    label: str


FIGURES = (
    Figure("active_members", "people", "active members (first 24 months)"),
    Figure("converted_90", "people", "newcomers who posted again within 90 days"),
    Figure("contributions_per_100", "people", "contributions per 100 active members"),
    Figure("top1_share", "people", "share written by the top 1%"),
    Figure("retained_3", "people", "newcomers still active 3 months on"),
    Figure("interest_overlap", "common_ties", "member pairs sharing a place"),
    Figure("evenness", "common_ties", "evenness of attention over places"),
    Figure("replied_share", "social_interaction", "threads with a reply"),
    Figure("median_hours", "social_interaction", "median hours to first response"),
    Figure("replies_per_thread", "social_interaction", "replies per thread"),
    Figure("reciprocity", "social_interaction", "reply pairs that are mutual"),
    Figure("threads_per_100", "place", "threads per 100 active members"),
    Figure("places_per_100", "place", "active places per 100 active members"),
    Figure("multi_place_share", "place", "members active in several places"),
)


def per_100(n: float | None, active: float | None) -> float | None:
    """``n`` per 100 active members (None when there are none).

    >>> per_100(30, 150)
    20.0
    >>> per_100(3, 0) is None
    True
    """
    if n is None or not active:
        return None
    return round(100.0 * n / active, 2)


def community_figures(ws: Workspace, source_id: str, *, months: int = MONTHS) -> dict[str, Any]:
    """The comparison figures of one source over its first ``months`` months."""
    from communitas.metrics.profile import build_profile
    from communitas.metrics.scope import Scope

    first = ws.con.execute("SELECT min(created_at) FROM posts WHERE source_id = ? AND is_contribution",
                           [source_id]).fetchall()[0]
    if first[0] is None:
        return {"source_id": source_id, "since": None, "until": None, "figures": {}}
    since = first[0].replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    until = add_months(since, months)
    p = build_profile(ws, Scope(since, until, source_id=source_id), period="month")
    ph, th = p["people"]["headline"], p["common_ties"]["headline"]
    ih, lh = p["social_interaction"]["headline"], p["place"]["headline"]
    active = ph.get("active_members")
    figs = {
        "active_members": active, "converted_90": ph.get("converted_90"),
        "contributions_per_100": per_100(ph.get("contributions"), active),
        "top1_share": ph.get("top1_share"), "retained_3": ph.get("retained_3"),
        "interest_overlap": th.get("interest_overlap"), "evenness": th.get("evenness"),
        "replied_share": ih.get("replied_share"), "median_hours": ih.get("median_hours"),
        "replies_per_thread": ih.get("replies_per_thread"), "reciprocity": ih.get("reciprocity"),
        "threads_per_100": per_100(ih.get("threads"), active),
        "places_per_100": per_100(lh.get("places_active"), active),
        "multi_place_share": lh.get("multi_place_share"),
    }
    return {"source_id": source_id, "since": since.date().isoformat(), "until": until.date().isoformat(),
            "figures": figs}


def compare_store(ws: Workspace, source_ids: list[str] | None = None, *, months: int = MONTHS
                  ) -> list[dict[str, Any]]:
    """Figures for every source of the store (or the given ones), in source order."""
    ids = source_ids or [str(s) for s in ws.sources()["source_id"]]
    return [community_figures(ws, sid, months=months) for sid in ids]


def table_rows(communities: list[dict[str, Any]]) -> list[dict[str, str]]:
    """One row per figure, one column per community (``figure``, ``component``, then source ids)."""
    rows = []
    for f in FIGURES:
        row = {"component": f.component.replace("_", " "), "figure": f.label}
        for c in communities:
            row[c["source_id"]] = format_figure(f.key, c["figures"].get(f.key))
        rows.append(row)
    return rows
