"""``communitas network``: the community as a network, window by window."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich import box
from rich.table import Table

from communitas.cli.common import (
    CoParticipationOpt,
    EngineOpt,
    IncludeBotsOpt,
    JsonOpt,
    LimitOpt,
    MemberOpt,
    NamesOpt,
    PictureOpt,
    PlaceOpt,
    SinceOpt,
    SourceOpt,
    SparkConfOpt,
    SparkMemoryOpt,
    SparkRemoteOpt,
    StoreOpt,
    StrideDaysOpt,
    TablesOpt,
    TopOpt,
    UntilOpt,
    WholeOpt,
    WindowDaysOpt,
    WindowOpt,
    check_window,
    console,
    print_json,
    spark_options,
)
from communitas.errors import UsageError
from communitas.metrics.units import format_figure
from communitas.store import Workspace

if TYPE_CHECKING:  # the analysis stack (igraph, pandas) loads only when a command runs
    from communitas.network import NetworkAnalysis

# The terminal table shows these; --json carries every figure.
FIGURE_COLUMNS = ("members", "ties", "reciprocity", "transitivity", "top1_share",
                  "animator_dependency", "largest_component_share", "max_core", "communities", "stage",
                  "reading")
SHORT = {"members": "members", "ties": "ties", "reciprocity": "recip.",
         "transitivity": "clust.", "top1_share": "top-1", "animator_dependency": "staff",
         "largest_component_share": "largest", "max_core": "core", "communities": "groups",
         "stage": "stage", "reading": "reading"}
ROLE_COLUMNS = ("role", "position", "contacts", "coreness", "betweenness")


def network(
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    place: PlaceOpt = None,
    window_days: WindowDaysOpt = 90,
    stride_days: StrideDaysOpt = 30,
    whole: WholeOpt = False,
    co_participation_hours: CoParticipationOpt = None,
    include_bots: IncludeBotsOpt = False,
    limit: LimitOpt = 10,
    top: TopOpt = None,
    member: MemberOpt = None,
    picture: PictureOpt = None,
    window: WindowOpt = "last",
    names: NamesOpt = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
    engine: EngineOpt = "duckdb",
    tables: TablesOpt = None,
    spark_remote: SparkRemoteOpt = None,
    spark_memory: SparkMemoryOpt = None,
    spark_conf: SparkConfOpt = None,
) -> None:
    """Network figures per window, the network-stage timeline, member roles and a picture.
    --limit N: the trajectories of the N members with most contacts.

    Example: communitas network --window-days 90 --stride-days 30 --limit 5 --picture net.svg --json
    """
    from communitas.metrics.scope import Scope
    from communitas.network import GraphOptions, analyse
    from communitas.network.summary import summary

    check_window(since, until)
    opts = GraphOptions(window_days=window_days, stride_days=stride_days,
                        co_participation_hours=co_participation_hours,
                        scope=Scope.of(since=since, until=until, place=place, source_id=source,
                                       include_bots=include_bots)).check()
    spark = spark_options(engine, tables, spark_remote, spark_memory, spark_conf)
    with ExitStack() as stack:
        ws = None if tables is not None else stack.enter_context(Workspace(store, read_only=True))
        if engine == "spark":
            from communitas import engines

            backend = stack.enter_context(engines.store_on_spark(ws, **spark))
        else:
            backend = ws.ibis()  # type: ignore[union-attr]
        keep = None if picture is None else _window_number(window)
        result = analyse(backend, opts, whole=whole, graphs=keep)
        drawn = _draw(backend, result, picture, window, names) if picture is not None else None
    data = summary(result, top=limit if top is None else top, member=member)
    if drawn is not None:
        data["picture"] = drawn
    if as_json:
        print_json(data)
        return
    _print(data)


def _window_number(window: str) -> int | str:
    """The window to keep the graph of for ``--window``: its number, else the last."""
    try:
        return int(window)
    except ValueError:
        return "last"


def _draw(backend: Any, result: NetworkAnalysis, path: Path, window: str, names: bool) -> dict[str, Any]:
    from communitas.network.picture import picture_spec, render

    keys = sorted(int(k) for k in result.figures["window"])
    if window == "last":
        key = keys[-1]
    elif window.lstrip("-").isdigit() and int(window) in result.graphs:
        key = int(window)
    else:
        raise UsageError(f"--window {window!r}: no such window; use 'last' or one of {keys[0]}..{keys[-1]}.")
    labels = None
    if names:
        from communitas.network.graph import display_names

        labels = display_names(backend)
    row = result.figures.set_index("window").loc[key]
    title = f"{str(row['start'])[:10]} → {str(row['end'])[:10]} · {row['stage']}"
    out = render(picture_spec(result.graphs[key], names=labels, title=title), path)
    return {"path": str(out), "window": key, "bytes": out.stat().st_size}


def _fmt(v: Any, name: str = "") -> str:
    """A figure in its registered unit; text (stage, reading) as it is."""
    return format_figure(name, v)


def _print(data: dict[str, Any]) -> None:
    figs = Table(title="network per window (--json for every figure)", box=box.SIMPLE_HEAD,
                 pad_edge=False)
    figs.add_column("#", justify="right", no_wrap=True)
    figs.add_column("start", no_wrap=True)
    for col in FIGURE_COLUMNS:
        text = col in ("stage", "reading")
        figs.add_column(SHORT[col], justify="left" if text else "right", no_wrap=True,
                        min_width=len(SHORT[col]))
    for row in data["windows"]:
        figs.add_row(str(row["window"]), str(row["start"])[:10], *(_fmt(row[c], c) for c in FIGURE_COLUMNS))
    console.print(figs)
    stages = Table(title="stage timeline")
    for col in ("first window starts", "last window starts", "stage", "windows"):
        stages.add_column(col)
    for run in data["timeline"]:
        stages.add_row(str(run["first_start"])[:10], str(run["last_start"])[:10], run["stage"],
                       str(run["windows"]))
    console.print(stages)
    people = Table(title="member trajectories")
    for col in ("member", "windows", "periphery → core", "path"):
        people.add_column(col, overflow="fold")
    for m in data["members"]:
        people.add_row(m["member_id"], str(m["windows_active"]), "yes" if m["periphery_to_core"] else "",
                       m["path"])
    console.print(people)
    if "roles" in data:
        roles = Table(title=f"{data['members'][0]['member_id']} per window")
        for col in ("window", "start", *ROLE_COLUMNS):
            roles.add_column(col)
        for r in data["roles"]:
            roles.add_row(str(r["window"]), str(r["start"])[:10], *(_fmt(r[c], c) for c in ROLE_COLUMNS))
        console.print(roles)
    if "picture" in data:
        console.print(f"picture: {data['picture']['path']} ({data['picture']['bytes']:,} bytes)")


def register(app: typer.Typer) -> None:
    app.command()(network)
