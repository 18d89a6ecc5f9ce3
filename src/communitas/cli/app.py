"""The typer application and the entry point that turns user errors into one line + exit 2."""

from __future__ import annotations

import sys

import duckdb
import typer

from communitas.cli import (
    brief,
    compare,
    crawl,
    forget,
    identities,
    ingest,
    members,
    network,
    profile,
    report,
    serve,
    synth,
    topics,
)
from communitas.cli.common import err_console, new_typer
from communitas.errors import CommunitasError

app = new_typer(
    name="communitas",
    help="Read the traces an online community leaves, and help the people who animate it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (ingest, profile, brief, topics, crawl, identities, members, forget, network, report,
               serve, compare, synth):
    module.register(app)


def usage_line(e: Exception) -> str:
    """A click usage error as one line: ``error: <what is wrong> (see `<command> --help`)``."""
    fmt = getattr(e, "format_message", None)
    text = " ".join(str(fmt() if callable(fmt) else e).split())
    ctx = getattr(e, "ctx", None)
    path = getattr(ctx, "command_path", None)
    return f"error: {text}" + (f" (see `{path} --help`)" if path else "")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        # In non-standalone mode typer *returns* the code of a `typer.Exit` (and turns Ctrl-C
        # into Exit(130)) instead of exiting: pass it on, or the process would exit 0.
        code = app(args=argv, standalone_mode=False, prog_name="communitas")
    except CommunitasError as e:
        err_console.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        code = 130
    except (MemoryError, duckdb.OutOfMemoryException):
        err_console.print("[bold red]error:[/] out of memory; the store is unchanged by the unfinished "
                          "command. Free memory (or raise the limit: $COMMUNITAS_INGEST_MEMORY for an "
                          "ingest) and run it again.", highlight=False)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as e:  # usage errors arrive here in non-standalone mode
        # typer >= 0.29 vendors its own click (typer._click), so match by shape, not by class
        show, code = getattr(e, "show", None), getattr(e, "exit_code", None)
        if callable(show) and isinstance(code, int):
            if type(e).__name__ == "NoArgsIsHelpError":  # a bare group: its help is the answer
                show()
            else:
                err_console.print(usage_line(e), highlight=False, soft_wrap=True, markup=False)
            sys.exit(code)
        raise
    if code == 130:
        err_console.print("interrupted; the store is unchanged by the unfinished command.")
    if isinstance(code, int) and code != 0:
        sys.exit(code)
