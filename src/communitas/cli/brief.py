"""``communitas brief``: the animator's brief, a short ranked list of opportunities to act."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from communitas.cli.common import (
    AsOfOpt,
    BacktestOpt,
    EveryOpt,
    JsonOpt,
    KindOpt,
    LimitOpt,
    NamesOpt,
    PlaceOpt,
    SinceOpt,
    SourceOpt,
    StoreOpt,
    UntilOpt,
    check_window,
    console,
    print_json,
    words,
)
from communitas.errors import EmptyStore, UsageError
from communitas.store import Workspace, store_path


def brief(
    as_of: AsOfOpt = None,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    place: PlaceOpt = None,
    kind: KindOpt = None,
    limit: LimitOpt = 20,
    names: NamesOpt = False,
    backtest: BacktestOpt = False,
    every: EveryOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List what the person who animates the community could do now: welcome, find a responder,
    check in, share the hosting, introduce two members, tend the places — each with the figures
    that selected it and its kind's track record.

    Example: communitas brief --as-of 2020-06-01 --kind welcome --json
    Example: communitas brief --since 2020-01-01 --place hops
    Example: communitas brief --backtest --every 30d
    """
    from communitas import brief as brief_layer

    check_window(since, until)
    brief_layer.moment(as_of, until)  # --until and --as-of name one moment
    if backtest or every is not None:
        if since is not None or until is not None or place is not None:
            raise UsageError("--since, --until and --place do not go with --backtest: it replays its "
                             "own past dates over the source's whole history.")
        run_backtest(backtest, every, as_of, source, kind, store, as_json)
        return
    with Workspace(store, read_only=True) as ws:
        if ws.sources().empty:
            raise EmptyStore(f"{ws.path}: the store holds no community yet. "
                             "Run `communitas ingest PATH` first.")
        items = brief_layer.items(ws, source_id=source, as_of=as_of, kinds=kind or None,
                                  limit=limit, names=names, since=since, until=until, place=place)
    if as_json:
        print_json(items)
    else:
        print_items(items)


def run_backtest(backtest: bool, every: str | None, as_of: str | None, source: str | None,
                 kinds: list[str] | None, store: Any, as_json: bool) -> None:
    """``--backtest``: run it, store it, print each kind's figures."""
    from communitas.brief import backtest as bt
    from communitas.brief.records import PREDICTIVE

    if not backtest:
        raise UsageError("--every goes with --backtest (the step between its past dates).")
    if as_of is not None:
        raise UsageError("--as-of does not go with --backtest: the backtest replays its own past dates.")
    other = [k for k in kinds or [] if k not in PREDICTIVE]
    if other:
        raise UsageError(f"{other[0]} is not a prediction, so it has no backtest; "
                         f"choose among {words(PREDICTIVE)}.")
    if not store_path(store).exists():
        raise EmptyStore(f"{store_path(store)}: no store here yet. Run `communitas ingest PATH` first.")
    with Workspace(store) as ws:
        if ws.sources().empty:
            raise EmptyStore(f"{ws.path}: the store holds no community yet. "
                             "Run `communitas ingest PATH` first.")
        rows = bt.run(ws, source_id=source, every=every or "30d", kinds=kinds or None)
    if as_json:
        print_json(rows)
        return
    table = Table(show_lines=True)
    for col in ("kind", "measure", "value", "baseline", "lift (95% CI)", "dates", "verdict"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["kind"], r["measure"], _num(r["value"]),
                      f"{escape(r['baseline'])}: {_num(r['baseline_value'])}", _lift(r), str(r["dates"]),
                      escape(r["sentence"]))
    console.print(table)


def _num(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _lift(r: dict[str, Any]) -> str:
    if r["lift"] is None:
        return "n/a"
    ci = f" ({r['ci_low']:.2f}-{r['ci_high']:.2f})" if r["ci_low"] is not None else ""
    return f"{r['lift']:.2f}{ci}"


def print_items(items: list[dict[str, Any]]) -> None:
    if not items:
        console.print("Nothing to suggest: no kind found an opportunity in this selection.")
        return
    table = Table(show_lines=True)
    for col in ("#", "kind", "suggestion", "why"):
        table.add_column(col, overflow="fold")
    for n, i in enumerate(items, 1):
        record = i.get("track_record")
        why = i["why"] + (f"\ntrack record: {record['sentence']}" if record else "")
        table.add_row(str(n), i["kind"], escape(i["action"]), escape(why))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(brief)
