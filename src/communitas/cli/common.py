"""Options and output helpers shared by every command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from communitas.store import STORE_ENV

console = Console()
err_console = Console(stderr=True)

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", envvar=STORE_ENV, show_envvar=True,
                 help="Workspace store file (default: ./communitas.duckdb)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def print_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout (plain, no colour, so it can be piped)."""
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
