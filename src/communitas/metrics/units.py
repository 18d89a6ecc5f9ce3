"""One registry of figure units, and the one way every figure is written for people.

The CLI, the HTML report, the comparison and the dashboard all print figures through
:func:`format_figure`, so a share reads as a percentage everywhere and an entropy of one place
reads 0, not ``1.78e-15``. A figure is named by its profile key (``return_with_response``), with
or without its component (``social_interaction.return_with_response``); its unit is looked up
here, never guessed from its value.

Units:

* ``share`` — a fraction of a whole, 0..1, written as a percentage with one decimal (``56.0%``);
* ``count`` — a whole number of things, with thousands separators (``1,234``);
* ``hours`` — a duration in hours, one decimal and ``h`` (``3.5 h``);
* ``rate`` — a mean or a ratio of counts (replies per thread, threads per day, per 100 members),
  two decimals (``2.50``);
* ``index`` — a dimensionless index on 0..1 that is not a share of anything (Gini, HHI,
  evenness, clustering), three decimals (``0.805``);
* ``bits`` — a Shannon entropy in bits, three decimals (``2.864``).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

# A float closer to 0 than this is written as 0: sums of logarithms leave rounding residue
# (the entropy of a single place computes as 1.78e-15 bits).
TINY = 1e-9

_BY_UNIT: dict[str, tuple[str, ...]] = {
    "share": (
        "top1_share", "next9_share", "rest90_share", "converted_30", "converted_90", "retained_1",
        "retained_3", "retained_6", "retained_12", "churned_share", "interest_overlap",
        "answered_share", "no_response_share", "replied_share", "accepted_share", "reciprocity",
        "reception_share", "return_with_response", "return_without_response", "multi_place_share",
        "busiest_share", "member_share", "share", "largest_component_share", "top5_share",
        "animator_dependency", "retained", "crossing_ties_share",
    ),
    "count": (
        "active_members", "newcomers", "returning", "contributions", "core", "regular", "casual",
        "moved", "absence_factor", "regular_members", "churned", "avid_members", "places_active",
        "sharing_pairs", "member_pairs", "overlap_sampled_members", "places", "threads", "responded",
        "reply_pairs", "mutual_pairs", "newcomer_starters", "newcomers_received",
        "newcomers_with_response", "newcomers_without_response", "dormant_places", "small_places",
        "members", "multi_place_members", "previous", "current", "change", "ties", "max_core",
        "communities", "tied_members", "windows", "components", "inner_core_size", "crossing_ties",
        "interactions", "contacts", "coreness",
    ),
    "hours": ("median_hours", "p90_hours", "newcomer_median_hours"),
    "rate": (
        "replies_per_thread", "threads_per_day", "mean_places", "contributions_per_100",
        "threads_per_100", "places_per_100", "growth", "jaccard",
    ),
    "index": ("gini", "hhi", "evenness", "transitivity", "density", "modularity", "in_centralization",
              "out_centralization", "betweenness"),
    "bits": ("entropy",),
}
UNIT_OF: dict[str, str] = {name: unit for unit, names in _BY_UNIT.items() for name in names}


def unit_of(name: str) -> str | None:
    """The unit of a figure, by its key with or without its component; None if unregistered.

    >>> unit_of("social_interaction.return_with_response"), unit_of("median_hours")
    ('share', 'hours')
    """
    return UNIT_OF.get(name.rsplit(".", 1)[-1])


def clean(value: float) -> float:
    """``value`` with rounding residue near 0 removed (``-0.0`` and ``1.78e-15`` become 0.0).

    >>> clean(1.7763568394002505e-15), clean(-0.0), clean(0.25)
    (0.0, 0.0, 0.25)
    """
    return 0.0 if abs(value) < TINY else value


def format_figure(name: str, value: Any) -> str:
    """A figure as people read it, in its registered unit (``—`` when there is no value).

    >>> format_figure("return_with_response", 0.8), format_figure("people.active_members", 1234)
    ('80.0%', '1,234')
    >>> format_figure("median_hours", 3.46), format_figure("entropy", 1.78e-15)
    ('3.5 h', '0.000')
    >>> format_figure("threads_per_day", 0.9246), format_figure("accepted_share", None)
    ('0.92', '—')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, numbers.Real):  # (numpy's numbers too)
        return str(value)
    unit = unit_of(name)
    if unit == "count" or (unit is None and isinstance(value, numbers.Integral)):
        return f"{round(value):,}"
    v = clean(float(value))
    if unit == "share":
        return f"{v:.1%}"
    if unit == "hours":
        return f"{v:,.1f} h"
    if unit in ("index", "bits"):
        return f"{v:.3f}"
    return f"{v:,.2f}"
