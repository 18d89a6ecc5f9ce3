"""``communitas identities suggest | merge | split``: one person across platforms."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from communitas import identities as ids
from communitas.cli.common import (
    EvidenceOpt,
    JsonOpt,
    PendingOpt,
    StoreOpt,
    console,
    new_typer,
    not_blank,
    print_json,
)
from communitas.store import Workspace

app = new_typer(help="One person across platforms: suggest, merge and split identities.\n\n"
                       "Example: communitas identities suggest --pending",
                  no_args_is_help=True)


@app.command()
def suggest(
    pending: PendingOpt = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose merges between members of different sources, with the evidence for each.

    Evidence is a shared identifier only (same e-mail hash, same platform account id), never a
    display name.

    Example: communitas identities suggest --pending
    """
    with Workspace(store, read_only=True) as ws:
        found = ids.suggest(ws.con)
    if pending:
        found = [s for s in found if s.decision is None]
    if as_json:
        print_json([s.to_dict() for s in found])
        return
    table = Table(title=f"{len(found)} suggested merge(s)")
    for col in ("member A", "name A", "member B", "name B", "evidence", "decision"):
        table.add_column(col, overflow="fold")
    for s in found:
        table.add_row(*(Text(v) for v in (s.member_a, s.name_a or "", s.member_b, s.name_b or "",
                                          s.evidence, s.decision or "pending")))
    console.print(table)
    if found:
        console.print("Accept with `communitas identities merge A B`, reject with "
                      "`communitas identities split A B`.")


@app.command()
def merge(
    member_a: Annotated[str, typer.Argument(
        callback=not_blank, help="A member id (see `identities suggest`).")],
    member_b: Annotated[str, typer.Argument(
        callback=not_blank, help="Another member id, of the same person.")],
    evidence: EvidenceOpt = "merged by hand",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record that two members are one person; metrics then count them once.

    The decision is kept in the store and survives re-ingests.

    Example: communitas identities merge mbox:usrp:m:3f2a... discourse:askci:u:42
    """
    with Workspace(store) as ws:
        person = ids.merge(ws.con, member_a, member_b, evidence=evidence or "merged by hand")
    if as_json:
        print_json({"person_id": person, "members": [member_a, member_b]})
        return
    console.print(f"{member_a} and {member_b} are now person {person}.", markup=False, emoji=False,
                  highlight=False)


@app.command()
def split(
    member_a: Annotated[str, typer.Argument(callback=not_blank, help="A member id.")],
    member_b: Annotated[str, typer.Argument(callback=not_blank, help="The member that is someone else.")],
    evidence: EvidenceOpt = None,
    store: StoreOpt = None,
) -> None:
    """Record that two members are different people (rejects a suggestion, undoes a merge).

    Example: communitas identities split mbox:usrp:m:3f2a... discourse:askci:u:42
    """
    with Workspace(store) as ws:
        ids.split(ws.con, member_a, member_b, evidence=evidence or "")
    console.print(f"{member_b} is recorded as a different person from {member_a}.", markup=False,
                  emoji=False, highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="identities")
