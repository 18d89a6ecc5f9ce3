"""Chart specs (Vega-Lite, written with altair) and their static SVG twins for print.

Sections describe charts as :class:`Chart` (a Vega-Lite spec as a plain dict); the renderer embeds
each spec as JSON for the live chart and also renders it to SVG with vl-convert (no browser), so
the printed or PDF report keeps its charts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt

WIDTH = 640
HEIGHT = 220
ROW_PX = 16  # a heat map row: a 10 px label and its spacing


@dataclass(frozen=True)
class Chart:
    """One chart: a key unique in the report, a title, a Vega-Lite spec and a caption."""

    key: str
    title: str
    spec: dict[str, Any]
    caption: str = ""


def _finish(chart: alt.TopLevelMixin, title: str) -> dict[str, Any]:
    spec: dict[str, Any] = chart.properties(title=title).to_dict()
    spec.pop("$schema", None)
    return spec


def line_over_time(key: str, title: str, rows: list[dict[str, Any]], *, x: str, series: list[str],
                   caption: str = "") -> Chart | None:
    """Lines of one or more numeric columns over a time column (long format built here); None
    when every value is missing (an empty chart would draw infinite axes)."""
    long = [{"period": r[x][:10], "series": s, "value": r[s]} for r in rows for s in series
            if r.get(s) is not None]
    if not long:
        return None
    chart = alt.Chart(alt.Data(values=long)).mark_line(point=len(rows) < 40).encode(
        x=alt.X("period:T", title=None),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=["period:T", "series:N", "value:Q"],
    ).properties(width=WIDTH, height=HEIGHT)
    return Chart(key, title, _finish(chart, title), caption)


def line_panels(key: str, title: str, rows: list[dict[str, Any]], *, x: str, series: dict[str, str],
                caption: str = "", height: int = 120) -> Chart | None:
    """One panel per numeric column (``series``: column → panel label) over a shared time axis,
    each with its own y scale (a median and a 90th percentile on one axis would flatten the
    median); None when every value is missing."""
    long = [{"period": r[x][:10], "series": label, "value": r[s]} for r in rows
            for s, label in series.items() if r.get(s) is not None]
    if not long:
        return None
    chart = alt.Chart(alt.Data(values=long)).mark_line(point=len(rows) < 40).encode(
        x=alt.X("period:T", title=None),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("series:N", title=None, legend=None),
        tooltip=["period:T", "series:N", "value:Q"],
    ).properties(width=WIDTH, height=height).facet(
        row=alt.Row("series:N", title=None, sort=list(series.values()),
                    header=alt.Header(labelAngle=0, labelAlign="left")),
    ).resolve_scale(y="independent")
    return Chart(key, title, _finish(chart, title), caption)


def bars(key: str, title: str, rows: list[dict[str, Any]], *, label: str, value: str,
         caption: str = "", sort_desc: bool = True) -> Chart:
    """Horizontal bars, one per row (``label`` → ``value``)."""
    values = [{"label": str(r[label]), "value": r[value]} for r in rows]
    chart = alt.Chart(alt.Data(values=values)).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort="-x" if sort_desc else None),
        x=alt.X("value:Q", title=value.replace("_", " ")),
        tooltip=["label:N", "value:Q"],
    ).properties(width=WIDTH - 160, height=max(60, 18 * len(values)))
    return Chart(key, title, _finish(chart, title), caption)


def heatmap(key: str, title: str, rows: list[dict[str, Any]], *, x: str, y: str, value: str,
            caption: str = "", x_type: str = "O", y_type: str = "O",
            x_sort: list[str] | None = None, y_sort: list[str] | None = None) -> Chart:
    """A heat map of ``value`` over two ordinal axes (cohort retention, weekday × hour); rows are at
    least 16 px high so that their labels stay readable (callers keep the rows to about 40)."""
    values = [{"x": r[x], "y": r[y], "v": r[value]} for r in rows]
    height = max(HEIGHT, ROW_PX * len({v["y"] for v in values}))
    chart = alt.Chart(alt.Data(values=values)).mark_rect().encode(
        x=alt.X(f"x:{x_type}", title=x.replace("_", " "), sort=x_sort),
        y=alt.Y(f"y:{y_type}", title=y.replace("_", " "), sort=y_sort),
        color=alt.Color("v:Q", title=value.replace("_", " ")),
        tooltip=[f"x:{x_type}", f"y:{y_type}", "v:Q"],
    ).properties(width=WIDTH - 80, height=height)
    return Chart(key, title, _finish(chart, title), caption)


def curve(key: str, title: str, rows: list[dict[str, Any]], *, x: str, y: str,
          caption: str = "", diagonal: bool = False) -> Chart:
    """A curve of ``y`` against ``x`` (e.g. a Lorenz curve, a cumulative distribution)."""
    values = [{"x": r[x], "y": r[y]} for r in rows]
    layer = alt.Chart(alt.Data(values=values)).mark_line().encode(
        x=alt.X("x:Q", title=x.replace("_", " ")), y=alt.Y("y:Q", title=y.replace("_", " ")),
        tooltip=["x:Q", "y:Q"])
    if diagonal:
        ref = alt.Chart(alt.Data(values=[{"x": 0, "y": 0}, {"x": 1, "y": 1}])).mark_line(
            strokeDash=[4, 4], color="#999").encode(x="x:Q", y="y:Q")
        layer = alt.layer(ref, layer)
    return Chart(key, title, _finish(layer.properties(width=WIDTH - 200, height=HEIGHT), title),
                 caption)


def to_svg(spec: dict[str, Any]) -> str:
    """The chart as a static SVG string (vl-convert, no browser, no network)."""
    import vl_convert as vlc

    svg: str = vlc.vegalite_to_svg(spec)
    return svg
