"""JSON-ready summaries of a network analysis, and a stage-timeline chart, for the CLI and report."""

from __future__ import annotations

from typing import Any

import pandas as pd

from communitas.errors import UsageError
from communitas.network.analysis import NetworkAnalysis
from communitas.network.roles import trajectories
from communitas.network.stages import STAGES, timeline

ROLE_COLUMNS = ["window", "start", "role", "position", "contacts", "coreness", "betweenness", "constraint",
                "connector", "broker", "newcomer"]


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts: timestamps as ISO strings, missing values as None (never NaN)."""
    clean = df.astype(object).where(df.notna(), None)
    return [{str(k): (v.isoformat() if isinstance(v, pd.Timestamp) else v) for k, v in r.items()}
            for r in clean.to_dict("records")]


def summary(result: NetworkAnalysis, *, top: int = 10, member: str | None = None) -> dict[str, Any]:
    """``windows`` (figures per window), ``timeline`` (stage runs), ``members`` (trajectories of
    the ``top`` members with most contacts summed over windows, or of ``member``), and for a
    ``member`` their ``roles`` in every window."""
    figs = result.figures
    out: dict[str, Any] = {"windows": records(figs), "timeline": records(timeline(figs))}
    table = result.role_table
    if table.empty:
        out["members"] = []
        return out
    if member is not None and not table.has(member):
        raise UsageError(f"--member {member!r}: not in this store's network; see `communitas members`.")
    chosen = [member] if member is not None else table.most_contacts(top)
    roles = table.frame(chosen)
    paths = trajectories(roles, chosen, windows=table.windows())
    out["members"] = records(paths.set_index("member_id").loc[chosen].reset_index())
    if member is not None:
        out["roles"] = records(roles[roles["member_id"] == member][ROLE_COLUMNS])
    return out


def stage_chart_spec(figures: pd.DataFrame, title: str = "network stage per window") -> dict[str, Any]:
    """A Vega-Lite spec: one bar per window (its start, height = ties), coloured by stage (with
    hysteresis); the tooltip also gives the window's own reading (``window_stage``) when known."""
    own = ["window_stage"] if "window_stage" in figures else []
    data = records(figures[["window", "start", "end", "members", "ties", "stage", *own]])
    order = [*STAGES, "too small"]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title, "width": 560, "height": 160, "background": "white",
        "data": {"values": data},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "start", "type": "temporal", "title": "window start"},
            "y": {"field": "ties", "type": "quantitative", "title": "ties"},
            "color": {"field": "stage", "type": "nominal", "scale": {"domain": order}},
            "tooltip": [{"field": "start", "type": "temporal"}, {"field": "stage"},
                        *[{"field": c, "title": "this window alone"} for c in own],
                        {"field": "members"}, {"field": "ties"}],
        },
    }


__all__ = ["records", "stage_chart_spec", "summary"]
