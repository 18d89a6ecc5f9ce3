"""``communitas profile``: the community at a glance."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from communitas.cli.common import JsonOpt, StoreOpt, console, print_json
from communitas.metrics import summary
from communitas.store import Workspace


def profile(
    source: Annotated[str | None, typer.Option(
        help="Only this source id (see `communitas sources`).")] = None,
    period: Annotated[str, typer.Option(help="week, month, quarter or year.")] = "month",
    include_bots: Annotated[bool, typer.Option(help="Count bots and system accounts too.")] = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Profile the community in the store.

    Example: communitas profile --period quarter --json
    """
    with Workspace(store, read_only=True) as ws:
        data = build_profile(ws, source=source, period=period, include_bots=include_bots)
    if as_json:
        print_json(data)
        return
    ov = data["overview"]
    head = Table(title="overview", show_header=False)
    head.add_row("members", f"{ov['members']:,}")
    head.add_row("contributors", f"{ov['contributors']:,}")
    for kind, n in sorted(ov["posts_by_kind"].items()):
        head.add_row(f"{kind}s", f"{n:,}")
    head.add_row("first contribution", str(ov["first"]))
    head.add_row("last contribution", str(ov["last"]))
    console.print(head)
    act = Table(title=f"active members per {period}")
    for col in ("period", "active members", "contributions"):
        act.add_column(col, justify="right")
    for row in data["active_members"]:
        act.add_row(row["period"][:10], f"{row['active_members']:,}", f"{row['contributions']:,}")
    console.print(act)
    top = Table(title="top places")
    for col in ("place", "threads", "contributions", "members"):
        top.add_column(col)
    for row in data["top_places"]:
        top.add_row(row["name"], f"{row['threads']:,}", f"{row['contributions']:,}", f"{row['members']:,}")
    console.print(top)


def build_profile(ws: Workspace, *, source: str | None, period: str, include_bots: bool
                  ) -> dict[str, Any]:
    backend = ws.ibis()
    kw: dict[str, Any] = {"source_id": source, "include_bots": include_bots}
    active = summary.active_members(backend, period=period, **kw)
    places = summary.top_places(backend, **kw)
    return {
        "overview": summary.overview(backend, **kw),
        "active_members": [
            {"period": p.isoformat(), "active_members": int(a), "contributions": int(c)}
            for p, a, c in zip(active["period"], active["active_members"], active["contributions"],
                               strict=True)
        ],
        "top_places": [
            {"place_id": r["place_id"], "name": r["name"], "threads": int(r["threads"]),
             "contributions": int(r["contributions"]), "members": int(r["members"])}
            for r in places.to_dict("records")
        ],
    }


def register(app: typer.Typer) -> None:
    app.command()(profile)
