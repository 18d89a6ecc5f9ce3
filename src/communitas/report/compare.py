"""Communities side by side on the same four-component figures, normalised for size and age.

Every community is measured over its **first 24 months** (from its first contribution), so an old
site is not compared on its whole history against a young one, and counts are given **per 100
active members** of that window, so a large site is not compared on raw volume. Shares, medians and
ratios are size-free already. Figures come from :func:`communitas.metrics.profile.build_profile`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from communitas.store import Workspace

MONTHS = 24


@dataclass(frozen=True)
class Figure:
    """One comparison row: its key, the profile value it reads, how to show it."""

    key: str
    component: str
    label: str
    fmt: str  # "int", "pct", "num"


FIGURES = (
    Figure("active_members", "people", "active members (first 24 months)", "int"),
    Figure("converted_90", "people", "newcomers who posted again within 90 days", "pct"),
    Figure("contributions_per_100", "people", "contributions per 100 active members", "num"),
    Figure("top1_share", "people", "share written by the top 1%", "pct"),
    Figure("retained_3", "people", "newcomers still active 3 months on", "pct"),
    Figure("interest_overlap", "common_ties", "member pairs sharing a place", "pct"),
    Figure("evenness", "common_ties", "evenness of attention over places", "num"),
    Figure("replied_share", "social_interaction", "threads with a reply", "pct"),
    Figure("median_hours", "social_interaction", "median hours to first response", "num"),
    Figure("replies_per_thread", "social_interaction", "replies per thread", "num"),
    Figure("reciprocity", "social_interaction", "reply pairs that are mutual", "pct"),
    Figure("threads_per_100", "place", "threads per 100 active members", "num"),
    Figure("places_per_100", "place", "active places per 100 active members", "num"),
    Figure("multi_place_share", "place", "members active in several places", "pct"),
)


def add_months(t: datetime, months: int) -> datetime:
    total = t.month - 1 + months
    return t.replace(year=t.year + total // 12, month=total % 12 + 1, day=1)


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

    first = ws.con.execute("SELECT min(created_at) FROM posts WHERE source_id = ? AND is_contribution",
                           [source_id]).fetchall()[0]
    if first[0] is None:
        return {"source_id": source_id, "since": None, "until": None, "figures": {}}
    since = first[0].replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    until = add_months(since, months)
    p = build_profile(ws, source=source_id, period="month", since=since, until=until)
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


def fmt_value(v: Any, fmt: str) -> str:
    """A figure as shown in tables.

    >>> fmt_value(0.123, "pct"), fmt_value(1234, "int"), fmt_value(None, "num")
    ('12%', '1,234', '—')
    """
    if v is None:
        return "—"
    if fmt == "pct":
        return f"{v:.0%}"
    if fmt == "int":
        return f"{int(v):,}"
    return f"{v:,.1f}"


def table_rows(communities: list[dict[str, Any]]) -> list[dict[str, str]]:
    """One row per figure, one column per community (``figure``, ``component``, then source ids)."""
    rows = []
    for f in FIGURES:
        row = {"component": f.component.replace("_", " "), "figure": f.label}
        for c in communities:
            row[c["source_id"]] = fmt_value(c["figures"].get(f.key), f.fmt)
        rows.append(row)
    return rows
