"""The built-in report sections, registered exactly as an extension would register its own.

Each ``build`` function turns what the metric layer returns into the data its template shows; it
does not compute community figures itself (only trends, shares and labels of returned series).
"""

from __future__ import annotations

from typing import Any

from communitas.report.context import ReportContext, scrub
from communitas.report.sections import SectionEmpty, section


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


@section("appendix", "How these numbers are computed", order=900)
def build_appendix(ctx: ReportContext) -> dict[str, Any] | None:
    from markupsafe import Markup

    from communitas.report.appendix import metric_names, metrics_markdown, render_markdown

    text = metrics_markdown()
    if text is None:
        raise SectionEmpty("docs/metrics.md is not in this build")
    return {"html": Markup(render_markdown(text)), "metrics": metric_names(text)}
