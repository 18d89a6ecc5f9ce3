"""``communitas brief``: the animator's brief, a short ranked list of opportunities to act."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from communitas.cli.common import (
    JsonOpt,
    SourceOpt,
    StoreOpt,
    at_least,
    check_date,
    console,
    print_json,
    words,
)
from communitas.errors import EmptyStore
from communitas.store import Workspace

BRIEF_KINDS = ("welcome", "unanswered", "checkin", "dependency", "introduce", "spotlight", "place", "nugget")


def _kinds(values: list[str] | None) -> list[str] | None:
    """Each ``--kind`` must name a kind the brief has (built-in or registered)."""
    if not values:
        return values
    from communitas.brief import KINDS  # importing the package registers every kind

    known = tuple(KINDS)
    unknown = [v for v in values if v not in known]
    if unknown:
        raise typer.BadParameter(f"{unknown[0]!r} is not one of {words(known)}.")
    return values


def brief(
    as_of: Annotated[str | None, typer.Option(
        "--as-of", callback=check_date,
        help="Replay the brief as of this date, YYYY-MM-DD (UTC), from what was known then.")
    ] = None,
    source: SourceOpt = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", callback=_kinds, help=f"Only this kind (repeatable): {', '.join(BRIEF_KINDS)}.")
    ] = None,
    limit: Annotated[int, typer.Option(callback=at_least(1), help="Items to show.")] = 20,
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

    with Workspace(store, read_only=True) as ws:
        if ws.sources().empty:
            raise EmptyStore(f"{ws.path}: the store holds no community yet. "
                             "Run `communitas ingest PATH` first.")
        items = brief_layer.items(ws, source_id=source, as_of=as_of, kinds=kind or None,
                                  limit=limit, names=names)
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
