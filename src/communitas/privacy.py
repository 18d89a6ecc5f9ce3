"""A member's rights over what the store holds: erasure (``communitas forget``) and opting out.

**Forget** (:func:`forget`) removes a person's text and identity while keeping every aggregate
count as it was. For each account of the person (the member and every account merged with it in
``identities``), in one transaction:

* their text is removed: ``posts.body`` of their posts, ``threads.title`` of threads they opened,
  ``events.detail`` of their events become NULL;
* their identity is removed: the member row keeps no name, native id, account id or e-mail hash,
  and its id becomes ``<source>:forgotten:<16 hex digits>`` (a salted hash of the old id) in every
  table — posts, replies, threads, reactions, events — so the same posts still count, the same
  replies still tie the same (now anonymous) node, and the figures do not move;
* the decisions that named them (``identities``, ``member_flags``) are deleted.

The store remembers only the salted hash (``privacy_requests``), never the id: when the source is
ingested again, :func:`reapply` forgets the member again before the ingest commits, so an erasure
survives a newer dump. Text others wrote *about* the person (a quote, their name in a reply) is
not theirs and is left as it is; e-mail addresses in any text are already masked at ingest.

**Opt out** (:func:`opt_out`) leaves a member out of every analysis without deleting anything:
``communitas.metrics.base.contributions`` drops their posts and the replies addressed to them,
so every metric, the network, topics and the brief leave them out. Kept across re-ingests.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from communitas.errors import UsageError

if TYPE_CHECKING:
    import duckdb

# (table, member column) pairs that name a member.
MEMBER_COLUMNS = (("posts", "author_id"), ("posts", "reply_to_member_id"), ("threads", "author_id"),
                  ("reactions", "member_id"), ("events", "member_id"), ("members", "member_id"))


def member_hash(salt: bytes, member_id: str) -> str:
    """The salted hash the store keeps of a forgotten member's id (16 hex digits).

    >>> member_hash(b"salt", "se:x:u:1") == member_hash(b"salt", "se:x:u:1") != member_hash(b"s", "se:x:u:1")
    True
    """
    return hmac.new(salt, member_id.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def _accounts(con: duckdb.DuckDBPyConnection, member_id: str) -> list[tuple[str, str]]:
    """``(member_id, source_id)`` of the member and every account merged with it."""
    rows = con.execute("SELECT source_id FROM members WHERE member_id = ?", [member_id]).fetchall()
    if not rows:
        raise UsageError(f"{member_id}: no such member in this store; see `communitas members`.")
    merged = con.execute(
        "SELECT i.member_id, m.source_id FROM identities i JOIN members m USING (member_id) "
        "WHERE i.decision = 'merged' AND i.person_id IN (SELECT person_id FROM identities "
        "WHERE member_id = ? AND decision = 'merged')", [member_id]).fetchall()
    return sorted({(member_id, rows[0][0]), *((m, s) for m, s in merged)})


def _erase(con: duckdb.DuckDBPyConnection, member_id: str, source_id: str, salt: bytes) -> str:
    """Remove one account's text and identity (see the module docstring); its new id."""
    new_id = f"{source_id}:forgotten:{member_hash(salt, member_id)}"
    con.execute("UPDATE posts SET body = NULL WHERE author_id = ?", [member_id])
    con.execute("UPDATE threads SET title = NULL WHERE author_id = ?", [member_id])
    con.execute("UPDATE events SET detail = NULL WHERE member_id = ?", [member_id])
    con.execute("UPDATE members SET display_name = NULL, native_id = NULL, account_id = NULL, "
                "email_hash = NULL WHERE member_id = ?", [member_id])
    for table, column in MEMBER_COLUMNS:
        con.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", [new_id, member_id])
    con.execute("DELETE FROM identities WHERE member_id = ?", [member_id])
    con.execute("DELETE FROM member_flags WHERE member_id = ?", [member_id])
    return new_id


def forget(con: duckdb.DuckDBPyConnection, member_id: str, salt: bytes) -> list[str]:
    """Forget a member and every account merged with it, in one transaction; their new ids."""
    accounts = _accounts(con, member_id)
    con.execute("BEGIN TRANSACTION")
    try:
        now = datetime.now(UTC)
        new = [_erase(con, m, s, salt) for m, s in accounts]
        for m, _ in accounts:
            con.execute("INSERT INTO privacy_requests VALUES (?, 'forget', ?)", [member_hash(salt, m), now])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return new


def reapply(con: duckdb.DuckDBPyConnection, source_id: str, salt: bytes) -> int:
    """Forget again, in a freshly ingested source, every member forgotten before (inside the
    ingest's transaction); the number of accounts forgotten."""
    wanted = {r[0] for r in con.execute(
        "SELECT member_key FROM privacy_requests WHERE request = 'forget'").fetchall()}
    if not wanted:
        return 0
    ids = [r[0] for r in con.execute("SELECT member_id FROM members WHERE source_id = ?",
                                     [source_id]).fetchall()]
    again = [m for m in ids if member_hash(salt, m) in wanted]
    for m in again:
        _erase(con, m, source_id, salt)
    return len(again)


def opt_out(con: duckdb.DuckDBPyConnection, member_id: str, out: bool = True) -> None:
    """Leave a member out of every analysis (``out``), or take them back in."""
    if not con.execute("SELECT 1 FROM members WHERE member_id = ?", [member_id]).fetchall():
        raise UsageError(f"{member_id}: no such member in this store; see `communitas members`.")
    con.execute("DELETE FROM privacy_requests WHERE member_key = ? AND request = 'opt_out'", [member_id])
    if out:
        con.execute("INSERT INTO privacy_requests VALUES (?, 'opt_out', ?)", [member_id, datetime.now(UTC)])


def opted_out(backend: Any) -> Any:
    """``member_id`` of every member who opted out (an Ibis table; empty in older stores)."""
    import ibis

    try:
        requests = backend.table("privacy_requests")
    except Exception:  # a store made before the table existed
        return ibis.memtable({"member_id": []}, schema={"member_id": "string"})
    requests = requests.filter(requests.request == "opt_out")
    return requests.select(member_id=requests.member_key)
