"""The report's response-time and cohort charts stay readable on the beer site's real history:
median and 90th percentile on separate scales, cohorts by quarter above 24 months, with a summary."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import vl_convert

from communitas.metrics.profile import build_profile
from communitas.report import charts
from communitas.report.components import cohort_chart
from communitas.store import Workspace


@pytest.fixture(scope="module")
def profile(beer_store: Path) -> dict[str, Any]:
    with Workspace(beer_store, read_only=True) as ws:
        return build_profile(ws)


def _quarter(cohort: str) -> str:
    return f"{cohort[:4]}-Q{(int(cohort[5:7]) - 1) // 3 + 1}"


def test_cohorts_by_quarter_weighted_by_newcomers(profile: dict[str, Any]) -> None:
    cohorts = profile["people"]["cohorts"]
    assert len(cohorts) == 77  # monthly cohorts, January 2014 to May 2020
    chart = cohort_chart(cohorts)
    values = chart.spec["data"]["values"]
    # expected by hand: each quarter's share is sum(share x newcomers) / sum(newcomers) over its
    # months where the share is known
    num: dict[tuple[str, int], float] = defaultdict(float)
    den: dict[tuple[str, int], int] = defaultdict(int)
    for c in cohorts:
        for k in (1, 3, 6, 12):
            if c[f"retained_{k}"] is not None:
                num[_quarter(c["cohort"]), k] += c[f"retained_{k}"] * c["members"]
                den[_quarter(c["cohort"]), k] += c["members"]
    label = {1: "1 month", 3: "3 months", 6: "6 months", 12: "12 months"}
    expected = {(q, label[k]): num[q, k] / den[q, k] for q, k in den}
    got = {(v["y"], v["x"]): v["v"] for v in values}
    assert got.keys() == expected.keys()
    assert got == pytest.approx(expected)
    rows = sorted({v["y"] for v in values})
    assert len(rows) == 26 and rows[0] == "2014-Q1" and rows[-1] == "2020-Q2"
    assert chart.spec["height"] >= 16 * len(rows)
    newcomers = sum(c["members"] for c in cohorts)
    assert f"All 77 monthly cohorts ({newcomers:,} newcomers, 2014-01 to 2020-05)" in chart.caption
    # a short history keeps its months (those with a share known: May 2020 has none yet)
    recent = cohort_chart(cohorts[-24:])
    known = [c["cohort"][:7] for c in cohorts[-24:] if any(c[f"retained_{k}"] is not None for k in label)]
    assert len(known) == 23 and sorted({v["y"] for v in recent.spec["data"]["values"]}) == known


def test_response_median_and_p90_get_their_own_scales(profile: dict[str, Any]) -> None:
    trend = profile["social_interaction"]["trend"]
    medians = [r["median_hours"] for r in trend if r["median_hours"] is not None]
    p90s = [r["p90_hours"] for r in trend if r["p90_hours"] is not None]
    assert max(p90s) > 10 * max(medians)  # on one axis the median would be a flat line near 0
    chart = charts.line_panels("r", "Hours to first response", trend, x="period",
                               series={"median_hours": "median", "p90_hours": "90th percentile"})
    assert chart is not None
    spec = chart.spec
    assert spec["facet"]["row"]["field"] == "series" and spec["resolve"]["scale"]["y"] == "independent"
    by_panel: dict[str, list[float]] = defaultdict(list)
    for v in spec["data"]["values"]:
        by_panel[v["series"]].append(v["value"])
    assert by_panel == {"median": medians, "90th percentile": p90s}
    svg = vl_convert.vegalite_to_svg(spec)
    assert ">median</text>" in svg and ">90th percentile</text>" in svg  # one labelled panel each
