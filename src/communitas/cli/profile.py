"""``communitas profile``: the community along Hillery's four components, with reference bands."""

from __future__ import annotations

import csv
import sys
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from communitas.cli.common import (
    CsvOpt,
    EngineOpt,
    IncludeBotsOpt,
    JsonOpt,
    LimitOpt,
    PeriodOpt,
    PlaceOpt,
    SinceOpt,
    SourceOpt,
    SparkConfOpt,
    SparkMemoryOpt,
    SparkRemoteOpt,
    StoreOpt,
    TablesOpt,
    TopOpt,
    UntilOpt,
    check_window,
    console,
    print_json,
    spark_options,
)
from communitas.errors import EmptyStore, UsageError
from communitas.metrics.periods import PERIOD_WIDTH, period_label
from communitas.metrics.units import format_figure
from communitas.store import Workspace

__all__ = ["profile", "register"]

COMPONENTS = (("people", "PEOPLE"), ("common_ties", "COMMON TIES"),
              ("social_interaction", "SOCIAL INTERACTION"), ("place", "PLACE"))
TREND_ROWS = 12
SHORT = {"active_members": "active", "newcomers": "new", "returning": "back",
         "contributions": "posts", "no_response_share": "no reply", "median_hours": "median",
         "p90_hours": "p90", "replies_per_thread": "replies/thread", "busiest_share": "busiest"}


def profile(
    source: SourceOpt = None,
    period: PeriodOpt = "month",
    since: SinceOpt = None,
    until: UntilOpt = None,
    place: PlaceOpt = None,
    include_bots: IncludeBotsOpt = False,
    limit: LimitOpt = 10,
    top: TopOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    engine: EngineOpt = "duckdb",
    tables: TablesOpt = None,
    spark_remote: SparkRemoteOpt = None,
    spark_memory: SparkMemoryOpt = None,
    spark_conf: SparkConfOpt = None,
) -> None:
    """Profile the community: people, common ties, social interaction and place.
    --limit N: rows in the per-place lists.

    Example: communitas profile --period quarter --since 2016-01-01 --json
    """
    check_window(since, until)
    if as_json and as_csv:
        raise UsageError("--json and --csv: choose one output.")
    spark = spark_options(engine, tables, spark_remote, spark_memory, spark_conf)
    kw: dict[str, Any] = {"source": source, "period": period, "since": since, "until": until,
                          "place": place, "include_bots": include_bots,
                          "top": limit if top is None else top}
    if engine == "spark" and tables is not None:
        data = _on_spark(None, spark, kw)
    else:
        with Workspace(store, read_only=True) as ws:
            ws.con.execute("SET enable_progress_bar = false")  # DuckDB's own bar would mix into --json
            if ws.sources().empty:
                raise EmptyStore(f"{ws.path}: the store holds no community yet. "
                                 "Run `communitas ingest PATH` first.")
            data = _on_spark(ws, spark, kw) if engine == "spark" else _build(ws, kw)
    if as_json:
        print_json(data)
    elif as_csv:
        write_csv(data)
    else:
        print_profile(data)


def _build(backend: Any, kw: dict[str, Any]) -> dict[str, Any]:
    from communitas.metrics.profile import build_profile

    return build_profile(backend, **kw)


def _on_spark(ws: Workspace | None, spark: dict[str, Any], kw: dict[str, Any]) -> dict[str, Any]:
    """The profile computed by Spark: over ``spark["tables"]`` (Parquet) or the store's fresh
    export; ``spark``: :func:`communitas.cli.common.spark_options`."""
    from communitas import engines

    with engines.store_on_spark(ws, **spark) as backend:
        return _build(backend, kw)


def csv_rows(data: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """The profile as ``(component, metric, period, value)`` rows: headline figures (no period)
    then every numeric column of each component's trend."""
    rows: list[tuple[str, str, str, Any]] = []
    for key, _ in COMPONENTS:
        part = data[key]
        for metric, value in part["headline"].items():
            rows.append((key, metric, "", value))
        for row in part["trend"]:
            for metric, value in row.items():
                if metric != "period":
                    rows.append((key, metric, str(row["period"]), value))
    return rows


def write_csv(data: dict[str, Any]) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(("component", "metric", "period", "value"))
    out.writerows(("" if v is None else v for v in r) for r in csv_rows(data))


def fmt(metric: str, value: Any) -> str:
    """A figure for the terminal, in its registered unit (:func:`communitas.metrics.units.format_figure`)."""
    return format_figure(metric, value)


def _bands_by_metric(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The bands that apply to the data in scope, by the figure they anchor."""
    out: dict[str, list[dict[str, Any]]] = {}
    for band in data["bands"]:
        if band.get("applies", True):
            out.setdefault(band["metric"], []).append(band)
    return out


def _headline_table(key: str, title: str, data: dict[str, Any]) -> Table:
    bands = _bands_by_metric(data)
    table = Table(title=title, title_justify="left", show_header=True)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("reference")
    for metric, value in data[key]["headline"].items():
        ref = "; ".join(f"{b['label']} ({b['citation'].split('(')[0].strip()})"
                        for b in bands.get(f"{key}.{metric}", []))
        table.add_row(metric.replace("_", " "), fmt(metric, value), ref)
    return table


def _trend_table(key: str, data: dict[str, Any]) -> Table | None:
    trend = data[key]["trend"]
    if not trend:
        return None
    period = data["scope"]["period"]
    shown = trend[-TREND_ROWS:]
    table = Table(title=f"per {period} (last {len(shown)} of {len(trend)})", title_justify="left")
    cols = list(shown[0])
    for col in cols:
        if col == "period":
            table.add_column(col, justify="left", no_wrap=True, min_width=PERIOD_WIDTH[period])
        else:
            table.add_column(SHORT.get(col, col.replace("_", " ")), justify="right")
    for row in shown:
        table.add_row(*(period_label(str(row[c]), period) if c == "period" else fmt(c, row[c])
                        for c in cols))
    return table


def print_profile(data: dict[str, Any]) -> None:
    sc = data["scope"]
    ov = data["overview"]
    window = f"{sc['since'] or ov['first'] or '…'} → {sc['until'] or ov['last'] or '…'}"
    console.print(f"[bold]{escape(sc['source_id'] or 'all sources')}[/] · {window}"
                  + (f" · place {escape(sc['place'])}" if sc["place"] else "")
                  + (" · bots included" if sc["include_bots"] else ""), highlight=False)
    for key, title in COMPONENTS:
        console.print(_headline_table(key, title, data))
        trend = _trend_table(key, data)
        if trend is not None:
            console.print(trend)
    places = Table(title="most active places", title_justify="left")
    for col in ("place", "threads", "contributions", "members", "share"):
        places.add_column(col, justify="left" if col == "place" else "right")
    for row in data["place"]["places"]:
        places.add_row(Text(str(row["name"] or row["place_id"])), fmt("threads", row["threads"]),
                       fmt("contributions", row["contributions"]), fmt("members", row["members"]),
                       fmt("share", row["share"]))
    console.print(places)
    console.print("Definitions: docs/metrics.md. Reference bands: metrics/reference_bands.json.")


def register(app: typer.Typer) -> None:
    app.command()(profile)
