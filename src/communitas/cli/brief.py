"""``communitas brief``: the animator's brief, a short ranked list of opportunities to act."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from communitas.cli.common import (
    AsOfOpt,
    JsonOpt,
    KindOpt,
    LimitOpt,
    NamesOpt,
    SourceOpt,
    StoreOpt,
    console,
    print_json,
)
from communitas.errors import EmptyStore
from communitas.store import Workspace


def brief(
    as_of: AsOfOpt = None,
    source: SourceOpt = None,
    kind: KindOpt = None,
    limit: LimitOpt = 20,
    names: NamesOpt = False,
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
