"""``communitas report``: one self-contained HTML file for the facilitator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from communitas.cli.common import IncludeBotsOpt, PeriodOpt, SourceOpt, StoreOpt, console, new_file
from communitas.errors import EmptyStore, UsageError
from communitas.store import Workspace


def _known_sections(value: list[str] | None) -> list[str] | None:
    from communitas.report.sections import registered_sections  # the report stack loads only when run

    known = {s.key for s in registered_sections()}
    unknown = sorted(set(value or ()) - known)
    if unknown:
        raise UsageError(f"--skip {unknown[0]!r}: no such section; choose from {', '.join(sorted(known))}.")
    return value


def report(
    output: Annotated[Path, typer.Option("-o", "--output", callback=new_file(),
                                         help="HTML file to write.")] = Path("report.html"),
    source: SourceOpt = None,
    period: PeriodOpt = "month",
    names: Annotated[bool, typer.Option(
        "--names", help="Show member display names (default: pseudonyms).")] = False,
    include_bots: IncludeBotsOpt = False,
    skip: Annotated[list[str] | None, typer.Option(
        callback=_known_sections,
        help="Leave out a section by key (repeatable), e.g. --skip topics on very large stores.")] = None,
    store: StoreOpt = None,
) -> None:
    """Write the community report: one HTML file that opens with no network at all.

    Example: communitas report -o report.html --source stackexchange:beer.stackexchange.com
    """
    from communitas.report import ReportOptions, write_report

    opts = ReportOptions(source_id=source, period=period, include_bots=include_bots, show_names=names,
                         skip=tuple(skip or ()))
    with Workspace(store, read_only=True) as ws:
        if ws.counts(source)["posts"] == 0:
            raise EmptyStore(f"{ws.path}: no posts{f' for {source}' if source else ''} to report on; "
                             "run `communitas ingest PATH` first (or check --source).")
        out = write_report(ws, output, opts)
    console.print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


def register(app: typer.Typer) -> None:
    app.command()(report)
