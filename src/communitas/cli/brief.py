"""``communitas brief``: the animator's brief, a short ranked list of opportunities to act."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from communitas.cli.common import JsonOpt, StoreOpt, console, print_json
from communitas.errors import EmptyStore, UsageError
from communitas.store import Workspace


def brief(
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Replay the brief as of this date, YYYY-MM-DD (UTC), from what was known then.")
    ] = None,
    source: Annotated[str | None, typer.Option(
        help="Only this source id (see `communitas sources`).")] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help="Only this kind (repeatable): welcome, unanswered, checkin, dependency, "
                       "introduce, spotlight, place, nugget.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Items to show (0: all).")] = 20,
    names: Annotated[bool, typer.Option(
        "--names", help="Show members' display names instead of pseudonyms.")] = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List what the person who animates the community could do now: welcome, find a responder,
    check in, share the hosting, introduce two members, tend the places — each with the figures
    that selected it.

    Example: communitas brief --as-of 2020-06-01 --kind welcome --json
    """
    from communitas import brief as brief_layer

    if limit < 0:
        raise UsageError(f"--limit {limit}: give 0 (all) or a positive number.")
    with Workspace(store, read_only=True) as ws:
        if ws.sources().empty:
            raise EmptyStore(f"{ws.path}: the store holds no community yet. "
                             "Run `communitas ingest PATH` first.")
        items = brief_layer.items(ws, source_id=source, as_of=as_of, kinds=kind or None,
                                  limit=limit or None, names=names)
    if as_json:
        print_json(items)
    else:
        print_items(items)


def print_items(items: list[dict[str, Any]]) -> None:
    if not items:
        console.print("Nothing to suggest: no kind found an opportunity in this selection.")
        return
    table = Table(show_lines=True)
    for col in ("#", "kind", "suggestion", "why"):
        table.add_column(col, overflow="fold")
    for n, i in enumerate(items, 1):
        table.add_row(str(n), i["kind"], escape(i["action"]), escape(i["why"]))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(brief)
