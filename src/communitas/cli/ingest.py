"""``communitas ingest``, ``communitas sources`` and ``communitas export``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from communitas.cli.common import (
    ForceOpt,
    FormatOpt,
    JsonOpt,
    NameOpt,
    NoTextOpt,
    PlatformOpt,
    StoreOpt,
    console,
    err_console,
    new_folder,
    print_json,
)
from communitas.errors import InputNotFound
from communitas.store import IngestReport, Workspace


class _Bars:
    """One progress bar per input file, showing bytes and rows per second."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.rows: dict[str, int] = {}

    def __call__(self, label: str, done: int, total: int, rows: int) -> None:
        task = self.tasks.get(label)
        if task is None:
            task = self.tasks[label] = self.progress.add_task(label, total=total or None, rows=0)
        elapsed = self.progress.tasks[task].elapsed or 0.0
        rate = f"{rows / elapsed:,.0f} rows/s" if elapsed > 0 else ""
        self.progress.update(task, completed=done, rows=f"{rows:,} rows {rate}")


def _existing(path: Path) -> Path:
    if not path.exists():  # the store's own message, before the store is opened (or created)
        raise InputNotFound(f"{path}: no such file or folder. Check the path and try again.")
    return path


def ingest(
    path: Annotated[Path, typer.Argument(callback=_existing, help="Export folder, archive or file to read.")],
    platform: PlatformOpt = None,
    name: NameOpt = None,
    no_text: NoTextOpt = False,
    force: ForceOpt = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Read a community export into the store, in one transaction.

    \b
    Platforms (auto-detected; docs/sources/ says how to get each export):
      stackexchange       data dump folder (Posts.xml, ...) or its .7z
      mbox                mbox files or folder, pipermail, Groups.io
      discourse           saved API JSON (communitas crawl) or .tar.gz
      slack               workspace export, .zip or folder
      discord             DiscordChatExporter CSV or JSON, folder or .zip
      zulip               zulip-archive, organisation export, GET /messages
      github-discussions  gh api graphql JSON of discussions
      telegram            Telegram Desktop result.json, or Bot API getUpdates
      mattermost          bulk export (mmctl export create) .zip or import.jsonl
      rocketchat          mongoexport of rocketchat_message (JSON Lines), or REST channels.messages pages
      reddit              Pushshift / Arctic Shift NDJSON RC_/RS_ dumps, plain or .zst
      irc                 channel logs: Limnoria/Supybot, [hh:mm] <nick> text, irssi, WeeChat

    Example: communitas ingest ../shared/data/stackexchange-beer-7z/beer.stackexchange.com.7z
    """
    with Workspace(store) as ws:
        progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                            TextColumn("{task.fields[rows]}"), TimeElapsedColumn(),
                            console=err_console, transient=as_json, disable=as_json)
        with progress:
            report = ws.ingest(path, platform=platform, name=name, keep_bodies=not no_text,
                               force=force, progress=_Bars(progress))
    if as_json:
        print_json(report.to_dict())
        return
    _print_report(report)


def _print_report(report: IngestReport) -> None:
    for warning in report.warnings:
        # the warning is plain text (it may quote member names or "[deleted]"): never markup
        line = Text.assemble(("warning:", "yellow"), " ", warning)
        err_console.print(line, highlight=False, soft_wrap=True)
    if report.unchanged:
        console.print(f"{report.source_id}: unchanged since the last ingest (same input); "
                      "nothing to do. Use --force to read it again.")
        return
    verb = "replaced" if report.replaced else "ingested"
    console.print(f"{report.source_id} {verb} in {report.elapsed_s:.1f} s", soft_wrap=True,
                  highlight=False)
    console.print(_row_counts("rows per table", "table", report.counts))
    if report.skipped:
        console.print(_row_counts("skipped or repaired rows", "file: reason", report.skipped))
    else:
        console.print("no rows skipped.")


def _row_counts(title: str, key: str, counts: dict[str, int]) -> Table:
    """A two-column table: ``key`` and a right-aligned row count."""
    table = Table(title=title)
    table.add_column(key)
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    return table


def sources(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """List what the store holds: one line per ingested source.

    Example: communitas sources --json
    """
    with Workspace(store, read_only=True) as ws:
        df = ws.sources()
    rows = []
    for rec in df.to_dict("records"):
        rows.append({
            "source_id": rec["source_id"], "platform": rec["platform"], "name": rec["name"],
            "origin": rec["origin"], "fingerprint": rec["fingerprint"],
            "ingested_at": str(rec["ingested_at"]), "first_activity_at": str(rec["first_activity_at"]),
            "last_activity_at": str(rec["last_activity_at"]),
            "counts": json.loads(rec["counts"]), "skipped": json.loads(rec["skipped"]),
            "warnings": json.loads(rec["warnings"]),
        })
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} source(s)")
    for col in ("source", "span", "members", "posts", "skipped", "ingested"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["source_id"], f"{r['first_activity_at'][:10]} → {r['last_activity_at'][:10]}",
                      f"{r['counts'].get('members', 0):,}", f"{r['counts'].get('posts', 0):,}",
                      f"{sum(r['skipped'].values()):,}", r["ingested_at"][:19])
    console.print(table)


def export(
    directory: Annotated[Path, typer.Argument(
        callback=new_folder, help="Folder to write one file per table into.")],
    fmt: FormatOpt = "parquet",
    store: StoreOpt = None,
) -> None:
    """Write every table of the store to DIRECTORY (Parquet by default).

    Example: communitas export --format parquet out/
    """
    with Workspace(store, read_only=True) as ws:
        written = ws.export(directory, fmt)
    for p in written:
        console.print(str(p))


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(sources)
    app.command()(export)
