"""``communitas members [--bots]`` and ``communitas members bot MEMBER_ID --yes/--no``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from communitas import identities as ids
from communitas.cli.common import (
    BotsOpt,
    JsonOpt,
    LimitOpt,
    MarkOpt,
    PlaceOpt,
    SinceOpt,
    SourceOpt,
    StoreOpt,
    UntilOpt,
    check_window,
    console,
    new_typer,
    not_blank,
    print_json,
)
from communitas.store import Workspace

app = new_typer(invoke_without_command=True)


@app.callback()
def members(
    ctx: typer.Context,
    bots: BotsOpt = False,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    place: PlaceOpt = None,
    limit: LimitOpt = 50,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List members, most active first, with their bot status and person.
    With --since/--until/--place: only members who contributed then and there, counted there.

    Example: communitas members --bots
    Example: communitas members --since 2020-01-01 --place hops
    """
    if ctx.invoked_subcommand is not None:
        return
    check_window(since, until)
    with Workspace(store, read_only=True) as ws:
        rows = ids.members_table(ws.con, bots_only=bots, source_id=source, since=since, until=until,
                                 place=place)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} {'bot(s)' if bots else 'member(s)'}"
                        + (f" (first {limit})" if len(rows) > limit else ""))
    table.add_column("member", overflow="fold")
    for col in ("name", "contributions", "bot", "person"):
        table.add_column(col, overflow="fold")
    for r in rows[:limit]:
        bot = ("yes" if r["is_bot"] else "no") + (" (set by hand)" if r["overridden"] else "")
        table.add_row(*(Text(v) for v in (r["member_id"], r["display_name"] or "",
                                          f"{r['contributions']:,}", bot, r["person_id"] or "")))
    console.print(table)


@app.command()
def bot(
    member_id: Annotated[str, typer.Argument(
        callback=not_blank, help="The member id (see `communitas members`).")],
    is_bot: MarkOpt,
    store: StoreOpt = None,
) -> None:
    """Mark a member as a bot (left out of every metric) or as a person; survives re-ingests.

    Example: communitas members bot mbox:usrp:m:3f2a... --yes
    """
    with Workspace(store) as ws:
        ids.set_bot(ws.con, member_id, is_bot)
    console.print(f"{member_id} is now {'a bot' if is_bot else 'not a bot'} (manual override).",
                  markup=False, emoji=False, highlight=False)


@app.command()
def optout(
    member_id: Annotated[str, typer.Argument(help="The member id (see `communitas members`).")],
    out: MarkOpt,
    store: StoreOpt = None,
) -> None:
    """Leave a member out of every analysis (nothing is deleted); survives re-ingests.

    Example: communitas members optout mbox:usrp:m:3f2a... --yes
    """
    from communitas.privacy import opt_out

    with Workspace(store) as ws:
        opt_out(ws.con, member_id, out)
    console.print(f"{member_id} is now {'left out of' if out else 'back in'} every analysis.",
                  markup=False, emoji=False, highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="members")
