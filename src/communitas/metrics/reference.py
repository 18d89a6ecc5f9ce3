"""Published reference bands, each with its citation, to show beside the figures they anchor.

The bands live in ``reference_bands.json`` (one place to read, cite and amend them). Each band
names the profile figure it anchors as ``<component>.<headline key>`` (e.g.
``social_interaction.answered_share``), its value, whether it is a target (``at_least``) or a
published observation to compare with (``reference``), where it applies, and its citation.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

BANDS_FILE = "reference_bands.json"


@cache
def _load() -> tuple[dict[str, Any], ...]:
    text = resources.files("communitas.metrics").joinpath(BANDS_FILE).read_text(encoding="utf-8")
    return tuple(json.loads(text)["bands"])


def bands() -> list[dict[str, Any]]:
    """Every reference band (copies, safe to modify).

    >>> sorted({b["id"].split("_")[0] for b in bands()})
    ['area51', 'burke', 'joyce', 'van']
    """
    return [dict(b) for b in _load()]


def bands_for(metric: str) -> list[dict[str, Any]]:
    """The bands anchoring one figure, e.g. ``bands_for("people.top1_share")``."""
    return [b for b in bands() if b["metric"] == metric]


def compare(headlines: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each band with the ``observed`` figure it anchors (from ``{component: {key: value}}``;
    None where the profile has no value) and, for targets, whether it is ``met``."""
    out = []
    for band in bands():
        component, key = band["metric"].split(".", 1)
        observed = headlines.get(component, {}).get(key)
        met = None
        if band["direction"] == "at_least" and observed is not None:
            met = bool(observed >= band["value"])
        out.append({**band, "observed": observed, "met": met})
    return out
