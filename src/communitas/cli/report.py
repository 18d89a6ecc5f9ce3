"""``communitas report``: one self-contained HTML file for the facilitator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from communitas.cli.common import (
    IncludeBotsOpt,
    JsonOpt,
    NamesOpt,
    OutputOpt,
    PeriodOpt,
    PlaceOpt,
    SinceOpt,
    SkipOpt,
    SourceOpt,
    StoreOpt,
    UntilOpt,
    check_window,
    console,
    print_json,
)
from communitas.errors import EmptyStore
from communitas.store import Workspace

DEFAULT_OUTPUT = Path("report.html")


def report(
    output: OutputOpt = DEFAULT_OUTPUT,
    source: SourceOpt = None,
    period: PeriodOpt = "month",
    since: SinceOpt = None,
    until: UntilOpt = None,
    place: PlaceOpt = None,
    names: NamesOpt = False,
    include_bots: IncludeBotsOpt = False,
    skip: SkipOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the community report: one HTML file that opens with no network at all.

    Example: communitas report -o report.html --source stackexchange:beer.stackexchange.com
    Example: communitas report -o 2019.html --since 2019-01-01 --until 2020-01-01 --place hops
    """
    from communitas.report import ReportOptions, write_report

    check_window(since, until)
    opts = ReportOptions(source_id=source, period=period, include_bots=include_bots, show_names=names,
                         skip=tuple(skip or ()), since=since, until=until, place=place)
    shown: dict[str, str | None] = {}
    with Workspace(store, read_only=True) as ws:
        if ws.counts(source)["posts"] == 0:
            raise EmptyStore(f"{ws.path}: no posts{f' for {source}' if source else ''} to report on; "
                             "run `communitas ingest PATH` first (or check --source).")
        out = write_report(ws, output or DEFAULT_OUTPUT, opts, shown=shown)
    if as_json:
        print_json(summary(out, shown, opts.skip))
        return
    console.print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)", markup=False, highlight=False)


def summary(out: Path, shown: dict[str, str | None], skipped: tuple[str, ...]) -> dict[str, Any]:
    """Where the report went and what it holds: the sections shown, and those left out (by
    ``--skip``, or by the report itself, with its reason)."""
    left_out = {key: note for key, note in shown.items() if note is not None}
    left_out.update({key: "left out: --skip" for key in skipped})
    return {"path": str(out.resolve()), "bytes": out.stat().st_size,
            "sections": [key for key, note in shown.items() if note is None], "left_out": left_out}


def register(app: typer.Typer) -> None:
    app.command()(report)
