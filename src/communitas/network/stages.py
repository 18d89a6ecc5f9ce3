"""Network stage (after June Holley's network-weaving stages) and the network-vs-team reading.

The rule, applied in order to one window's figures (thresholds and reasons in ``docs/network.md``):

1. ``too small`` — fewer than 10 tied members or 10 ties: no shape can be read.
2. ``scattered fragments`` — the largest connected group holds under half the members.
3. ``hub-and-spoke`` — one member touches at least 35% of all ties, or in- or out-degree
   centralization is at least 0.5.
4. ``core/periphery`` — a 3-core exists (a group in which everyone has at least 3 contacts
   inside the group).
5. ``multi-hub`` — otherwise: connected, no single dominant hub, no interwoven core.

That is one window's reading (``window_stage``). Across rolling windows the ``stage`` changes
only on clear evidence (:func:`settle_stages`): a new stage is taken up when it holds in a run of
consecutive windows whose first and last windows share no day (with 90-day windows every 30
days: 4 windows); shorter runs keep the stage in force. ``too small`` windows stay too small and
neither confirm nor break a run.

>>> classify_stage({"tied_members": 40, "ties": 60, "largest_component_share": 0.9,
...                 "top1_share": 0.2, "in_centralization": 0.1, "out_centralization": 0.2,
...                 "max_core": 2})
'multi-hub'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

MIN_TIED_MEMBERS = 10
MIN_TIES = 10
FRAGMENTED_BELOW = 0.5
HUB_TOP1_SHARE = 0.35
HUB_CENTRALIZATION = 0.5
CORE_K = 3

NETWORK_RECIPROCITY = 0.25
NETWORK_TRANSITIVITY = 0.1
DECENTRALISED_BELOW = 0.25

STAGES = ("scattered fragments", "hub-and-spoke", "multi-hub", "core/periphery")


def _num(fig: Mapping[str, Any], key: str) -> float:
    value = fig.get(key)
    return 0.0 if value is None or value != value else float(value)


def classify_stage(fig: Mapping[str, Any]) -> str:
    """The stage of one window from its figures (a row of :func:`communitas.network.figures`)."""
    if _num(fig, "tied_members") < MIN_TIED_MEMBERS or _num(fig, "ties") < MIN_TIES:
        return "too small"
    if _num(fig, "largest_component_share") < FRAGMENTED_BELOW:
        return "scattered fragments"
    centralization = max(_num(fig, "in_centralization"), _num(fig, "out_centralization"))
    if _num(fig, "top1_share") >= HUB_TOP1_SHARE or centralization >= HUB_CENTRALIZATION:
        return "hub-and-spoke"
    if _num(fig, "max_core") >= CORE_K:
        return "core/periphery"
    return "multi-hub"


def network_or_team(fig: Mapping[str, Any]) -> str:
    """``network`` (decentralised, reciprocal, clustered), ``team`` (directed, centralised) or
    ``in between``.

    Three traits: decentralised (both centralizations under 0.25 and no member on 35% of ties),
    reciprocal (reciprocity ≥ 0.25), clustered (transitivity ≥ 0.1). Network: decentralised plus
    at least one other trait. Team: centralised with at most one other trait. Otherwise in between
    (e.g. a hub whose spokes answer back and know each other).

    >>> network_or_team({"tied_members": 30, "ties": 40, "in_centralization": 0.6,
    ...                  "out_centralization": 0.1, "reciprocity": 0.05, "transitivity": 0.02,
    ...                  "top1_share": 0.5})
    'team'
    """
    if _num(fig, "tied_members") < MIN_TIED_MEMBERS or _num(fig, "ties") < MIN_TIES:
        return "too small"
    centralization = max(_num(fig, "in_centralization"), _num(fig, "out_centralization"))
    decentralised = centralization < DECENTRALISED_BELOW and _num(fig, "top1_share") < HUB_TOP1_SHARE
    others = (int(_num(fig, "reciprocity") >= NETWORK_RECIPROCITY)
              + int(_num(fig, "transitivity") >= NETWORK_TRANSITIVITY))
    if decentralised and others >= 1:
        return "network"
    if not decentralised and others <= 1:
        return "team"
    return "in between"


def _clear(run: pd.DataFrame) -> bool:
    """A run is clear evidence when its first and last windows share no day: the new stage was
    read on two disjoint stretches of posts, not on one burst seen through overlapping windows."""
    return bool(run["end"].iloc[0] <= run["start"].iloc[-1])


def settle_stages(figures: pd.DataFrame) -> pd.Series:
    """The ``stage`` of each window with hysteresis, from the per-window rule's ``window_stage``
    (or ``stage``) and each window's ``start`` and ``end``; indexed like ``figures``.

    The first readable run sets the stage; a later run of another stage replaces it only when it
    is clear (:func:`_clear`); otherwise its windows keep the stage in force. ``too small``
    windows keep their label and are skipped, so a gap does not break a run.

    >>> days = pd.to_timedelta([0, 30, 60, 90, 120, 150, 180], unit="D")
    >>> figs = pd.DataFrame({"start": days, "end": days + pd.Timedelta(days=90), "window_stage": [
    ...     "multi-hub", "core/periphery", "multi-hub", "core/periphery", "core/periphery",
    ...     "core/periphery", "core/periphery"]})
    >>> settle_stages(figs).tolist()[1:]
    ['multi-hub', 'multi-hub', 'core/periphery', 'core/periphery', 'core/periphery', 'core/periphery']
    """
    column = "window_stage" if "window_stage" in figures else "stage"
    out = figures[column].astype(object).copy()
    ordered = figures.sort_values("start", kind="stable")
    readable = ordered[ordered[column] != "too small"]
    run_ids = (readable[column] != readable[column].shift()).cumsum()
    current: str | None = None
    for _, run in readable.groupby(run_ids, sort=True):
        stage = str(run[column].iloc[0])
        if current is None or (stage != current and _clear(run)):
            current = stage
        out.loc[run.index] = current
    return out


def stage_changes(figures: pd.DataFrame, column: str = "stage") -> int:
    """How many times ``column`` changes between consecutive readable windows."""
    stages = figures.sort_values("start", kind="stable")[column]
    stages = stages[stages != "too small"]
    return int((stages != stages.shift()).iloc[1:].sum())


def timeline(figures: pd.DataFrame) -> pd.DataFrame:
    """Runs of consecutive windows in the same stage: ``stage, first_start, last_start, last_end,
    windows`` (windows overlap, so a run's span is from its first window's start to its last's end)."""
    rows: list[dict[str, Any]] = []
    for fig in figures.sort_values("window").itertuples(index=False):
        if rows and rows[-1]["stage"] == fig.stage:
            rows[-1].update(last_start=fig.start, last_end=fig.end, windows=rows[-1]["windows"] + 1)
        else:
            rows.append({"stage": fig.stage, "first_start": fig.start, "last_start": fig.start,
                         "last_end": fig.end, "windows": 1})
    return pd.DataFrame(rows, columns=["stage", "first_start", "last_start", "last_end", "windows"])


__all__ = ["STAGES", "classify_stage", "network_or_team", "settle_stages", "stage_changes", "timeline"]
