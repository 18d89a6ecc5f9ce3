"""The typer application and the entry point that turns user errors into one line + exit 2."""

from __future__ import annotations

import sys

import typer

from communitas.cli import (
    brief,
    compare,
    crawl,
    identities,
    ingest,
    members,
    network,
    profile,
    report,
    serve,
    topics,
)
from communitas.cli.common import err_console
from communitas.errors import CommunitasError

app = typer.Typer(
    name="communitas",
    help="Read the traces an online community leaves, and help the people who animate it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (ingest, profile, brief, topics, crawl, identities, members, network, report, serve, compare):
    module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        # In non-standalone mode typer *returns* the code of a `typer.Exit` (and turns Ctrl-C
        # into Exit(130)) instead of exiting: pass it on, or the process would exit 0.
        code = app(args=argv, standalone_mode=False)
    except CommunitasError as e:
        err_console.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        code = 130
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as e:  # usage errors arrive here in non-standalone mode
        # typer >= 0.29 vendors its own click (typer._click), so match by shape, not by class
        show, code = getattr(e, "show", None), getattr(e, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise
    if code == 130:
        err_console.print("interrupted; the store is unchanged by the unfinished command.")
    if isinstance(code, int) and code != 0:
        sys.exit(code)
