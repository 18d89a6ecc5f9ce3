"""``communitas compare``: several communities side by side, normalised for size and age."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from communitas.cli.common import JsonOpt, MonthsOpt, OutputOpt, StoreOpt, console, err_console, print_json
from communitas.errors import UsageError
from communitas.store import Workspace, store_path


def _is_store(path: Path) -> bool:
    return path.is_file() and path.suffix == ".duckdb"


MONTHS = 24  # the report's default window too (communitas.report.compare.MONTHS; a test checks)


def gather(items: list[str], store: Path | None, months: int) -> list[dict[str, Any]]:
    """Comparison figures for each argument: a store file (all its sources), an export to read
    (into a temporary store), or a source id of ``--store``."""
    from communitas.report.compare import compare_store  # the report stack loads only when run

    out: list[dict[str, Any]] = []
    ids = [i for i in items if not Path(i).exists()]
    for item in items:
        path = Path(item)
        if _is_store(path):
            with Workspace(path, read_only=True) as ws:
                out.extend(compare_store(ws, months=months))
        elif path.exists():
            with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "c.duckdb") as ws:
                err_console.print(f"reading {path} …", highlight=False)
                report = ws.ingest(path)
                out.extend(compare_store(ws, [report.source_id], months=months))
    if ids:
        with Workspace(store_path(store), read_only=True) as ws:
            known = set(ws.sources()["source_id"])
            missing = [i for i in ids if i not in known]
            if missing:
                raise UsageError(f"{missing[0]!r} is neither a file nor a source of {ws.path}; pass a "
                                 "store (.duckdb), an export, or a source id from `communitas sources`.")
            out.extend(compare_store(ws, ids, months=months))
    return out


def compare(
    items: Annotated[list[str], typer.Argument(help="Stores (.duckdb), exports to read, or source ids.")],
    months: MonthsOpt = MONTHS,
    output: OutputOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put communities side by side on the four-component figures (first 24 months, per 100 members).

    Example: communitas compare beer.duckdb ../shared/data/stackexchange-french-meta
    """
    communities = gather(items, store, months)
    if output is not None:
        _write_html(communities, output)
    if as_json:
        print_json(communities)
        return
    table = Table(title=f"communities over their first {months} months (counts per 100 active members)")
    table.add_column("figure")
    for c in communities:
        table.add_column(f"{c['source_id']}\n{c['since']} → {c['until']}", justify="right")
    from communitas.report.compare import table_rows

    for row in table_rows(communities):
        table.add_row(row["figure"], *[row[c["source_id"]] for c in communities])
    console.print(table)
    if output is not None:
        console.print(f"wrote {output}")


def _write_html(communities: list[dict[str, Any]], output: Path) -> None:
    from communitas.report.build import build_report
    from communitas.report.sections import registered_sections

    sections = [s for s in registered_sections() if s.key == "compare"]
    with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "empty.duckdb") as ws:
        html = build_report(ws, _opts(communities), sections=sections)
    output.write_text(html, encoding="utf-8")


def _opts(communities: list[dict[str, Any]]) -> Any:
    from communitas.report.build import ReportOptions

    return ReportOptions(extras={"compare": communities}, static_svg=False)


def register(app: typer.Typer) -> None:
    app.command()(compare)
