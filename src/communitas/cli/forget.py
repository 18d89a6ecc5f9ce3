"""``communitas forget MEMBER_ID --yes``: erase a member's text and identity (the right to erasure)."""

from __future__ import annotations

from typing import Annotated

import typer

from communitas.cli.common import ConfirmOpt, StoreOpt, console
from communitas.errors import UsageError
from communitas.store import Workspace


def forget(
    member_id: Annotated[str, typer.Argument(help="The member id (see `communitas members`).")],
    yes: ConfirmOpt = False,
    store: StoreOpt = None,
) -> None:
    """Erase a member's text and identity; counts stay as they were, and it survives re-ingests.

    Their posts' text, the titles of threads they opened and their events' details are removed;
    their name, ids and e-mail hash are gone and their id becomes an anonymous one in every table,
    for the member and every account merged with it. See docs/security.md.

    Example: communitas forget mbox:usrp:m:3f2a... --yes
    """
    if not yes:
        raise UsageError("forget cannot be undone: add --yes to erase this member's text and identity.")
    from communitas.privacy import forget as erase

    with Workspace(store) as ws:
        new_ids = erase(ws.con, member_id, ws._salt())
    console.print(f"forgotten: {len(new_ids)} account(s); their posts now count as "
                  f"{', '.join(new_ids)}.", markup=False, emoji=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command()(forget)
