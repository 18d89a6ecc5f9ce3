"""Readers of Zulip's own JSON: saved ``GET /messages`` responses and the organisation export.

* ``GET /messages`` (https://zulip.com/api/get-messages): ``{"messages": [...]}`` (or a bare list
  of messages); a message has ``id``, ``sender_id``, ``sender_full_name``, ``sender_email``,
  ``timestamp``, ``content``, ``type`` (``stream`` or ``private``), ``stream_id``,
  ``display_recipient`` (the stream's name), ``subject`` (the topic) and ``reactions``
  (``emoji_name``, ``user_id``).
* The organisation export (``manage.py export``; https://zulip.com/help/export-your-organization):
  ``realm.json`` (tables ``zerver_realm``, ``zerver_userprofile`` (+ ``_mirrordummy`` and
  ``_crossrealm``: the system bots), ``zerver_stream``, ``zerver_recipient``, ``zerver_reaction``)
  and ``messages-NNNNNN.json`` (``zerver_message``: ``id``, ``sender``, ``recipient``,
  ``subject``, ``content``, ``rendered_content``, ``date_sent``).

Everything is streamed with ijson; e-mail addresses are only hashed (``ctx.hash_identifier``).
Direct messages (personal or group recipients) are skipped and counted: they are private.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import ijson

from communitas.errors import BrokenInput, InputError
from communitas.sources.base import Batch, ReadContext
from communitas.sources.export_file import ExportFile
from communitas.sources.zulip_rows import Message, ZulipRows

PROGRESS_ROWS = 10_000
STREAM_RECIPIENT = 2  # zerver_recipient.type: 1 personal, 2 stream, 3 direct-message group
STAFF_ROLES = (100, 200)  # owner, administrator
REALM_TABLES = ("zerver_userprofile", "zerver_userprofile_mirrordummy", "zerver_userprofile_crossrealm",
                "zerver_stream", "zerver_recipient", "zerver_reaction", "zerver_realm")
_JSON_ERRORS = (ijson.JSONError, ValueError, OSError, EOFError, zlib.error)
DIRECT = "direct message (private), left out"


def broken(f: ExportFile, e: Exception, what: str) -> BrokenInput:
    """The one-line error for a file that cannot be read as JSON."""
    why = " ".join(str(e).split())[:200] or type(e).__name__
    return BrokenInput(f"{f.where}: not a readable {what} ({why}); the file is "
                       "truncated, damaged or not UTF-8 JSON. Export it again and ingest again.")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _seconds(value: Any) -> float | None:
    """Epoch seconds from a number or an ISO 8601 text (older exports)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def _mentions(rows: ZulipRows, text: str) -> list[str]:
    """Mentioned members (declared as met): by user id where the HTML gives one."""
    out = []
    for uid, name in rows.mention_pairs(text):
        out.append(rows.member_by_id(uid, name) if uid else rows.names.get(name.casefold(), ""))
    return [m for m in out if m]


# -- GET /messages ----------------------------------------------------------------------------

def read_api_file(f: ExportFile, rows: ZulipRows, ctx: ReadContext) -> Iterator[Batch]:
    """Every message of one saved ``GET /messages`` response."""
    prefix = "item" if f.head(64).lstrip().startswith(b"[") else "messages.item"
    data, position = f.open()
    total, n = f.size(), 0
    try:
        for n, msg in enumerate(ijson.items(data, prefix, use_float=True), 1):
            _api_message(msg, f.label, rows, ctx)
            if n % PROGRESS_ROWS == 0:
                ctx.report_progress(f.label, position(), total, n)
                yield from rows.full()
    except _JSON_ERRORS as e:
        raise broken(f, e, "Zulip GET /messages JSON file") from None
    finally:
        data.close()
    ctx.report_progress(f.label, total, total, n)
    yield from rows.full()


def _api_message(msg: Any, label: str, rows: ZulipRows, ctx: ReadContext) -> None:
    if not isinstance(msg, dict) or _int(msg.get("id")) is None:
        ctx.skip(label, "message without an id")
        return
    if msg.get("type", "stream") != "stream":
        ctx.skip(label, DIRECT)
        return
    seconds, sender = _seconds(msg.get("timestamp")), _int(msg.get("sender_id"))
    stream, topic = msg.get("stream_id"), msg.get("subject", msg.get("topic"))
    if seconds is None or sender is None or not isinstance(topic, str) or (
            stream is None and not isinstance(msg.get("display_recipient"), str)):
        ctx.skip(label, "message without timestamp, sender_id, stream or subject")
        return
    stream_name = msg.get("display_recipient")
    stream_id = str(stream) if stream is not None else f"name-{stream_name}"
    rows.stream(stream_id, str(stream_name) if isinstance(stream_name, str) else f"stream {stream_id}")
    author = rows.member_by_id(str(sender), msg.get("sender_full_name"), msg.get("sender_email"))
    text = str(msg.get("content") or "")
    reactions = []
    for r in msg.get("reactions") or []:
        if isinstance(r, dict) and r.get("emoji_name"):
            uid = _int(r.get("user_id")) or _int((r.get("user") or {}).get("id"))
            who = None if uid is None else rows.member_by_id(str(uid), None)
            reactions.append((str(r["emoji_name"]), who))
    rows.message(Message(int(msg["id"]), stream_id, topic, seconds, author, text,
                         _mentions(rows, text), reactions), label)


# -- organisation export ------------------------------------------------------------------------

def _items(f: ExportFile, tables: tuple[str, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, row) for every row of the named top-level tables, in one streaming pass."""
    wanted = {f"{t}.item": t for t in tables}
    data, _ = f.open()
    try:
        builder: Any = None
        at = ""
        for prefix, event, value in ijson.parse(data, use_float=True):
            if builder is None:
                if event == "start_map" and prefix in wanted:
                    builder, at = ijson.ObjectBuilder(), prefix
                    builder.event(event, value)
                continue
            builder.event(event, value)
            if event == "end_map" and prefix == at:
                yield wanted[at], builder.value
                builder = None
    except _JSON_ERRORS as e:
        raise broken(f, e, "Zulip export file") from None
    finally:
        data.close()


def realm_name(f: ExportFile) -> str | None:
    """The organisation's ``string_id`` (its subdomain) or name, from realm.json."""
    try:
        for _, realm in _items(f, ("zerver_realm",)):
            name = realm.get("string_id") or realm.get("name")
            return str(name) if name else None
    except InputError:
        return None
    return None


class _Realm:
    """What realm.json says that messages need: stream recipients and reactions."""

    def __init__(self) -> None:
        self.streams: dict[int, str] = {}  # recipient id -> stream id
        self.reactions: dict[int, list[tuple[str, str | None]]] = {}


def _realm(f: ExportFile, rows: ZulipRows, ctx: ReadContext) -> _Realm:
    realm = _Realm()
    for table, row in _items(f, REALM_TABLES):
        uid = _int(row.get("id"))
        if table.startswith("zerver_userprofile") and uid is not None:
            member = rows.member_by_id(str(uid), row.get("full_name"),
                                       row.get("delivery_email") or row.get("email"),
                                       bool(row.get("is_bot")))
            rows.out.member(member).is_staff = _int(row.get("role")) in STAFF_ROLES
        elif table == "zerver_stream" and uid is not None:
            rows.stream(str(uid), str(row.get("name") or uid), row.get("description"),
                        _seconds(row.get("date_created")))
            if _int(row.get("recipient")) is not None:
                realm.streams[int(row["recipient"])] = str(uid)
        elif table == "zerver_recipient" and uid is not None and row.get("type") == STREAM_RECIPIENT:
            realm.streams[uid] = str(row.get("type_id"))
        elif table == "zerver_reaction":
            _reaction(row, realm, rows, ctx, f.label)
    return realm


def _reaction(row: dict[str, Any], realm: _Realm, rows: ZulipRows, ctx: ReadContext, label: str) -> None:
    msg, user = _int(row.get("message")), _int(row.get("user_profile"))
    if msg is None or not row.get("emoji_name"):
        ctx.skip(label, "reaction without a message or an emoji")
        return
    who = None if user is None else rows.out.id("u", str(user))
    realm.reactions.setdefault(msg, []).append((str(row["emoji_name"]), who))


def read_export(files: list[ExportFile], rows: ZulipRows, ctx: ReadContext) -> Iterator[Batch]:
    """realm.json first (members, streams, reactions), then every messages-NNNNNN.json."""
    realm = _realm(files[0], rows, ctx)
    if len(files) == 1:
        ctx.warn(f"{files[0].where}: no messages-NNNNNN.json beside realm.json; no messages read.")
    for f in files[1:]:
        total, n = f.size(), 0
        for n, (_, msg) in enumerate(_items(f, ("zerver_message",)), 1):
            _export_message(msg, realm, rows, ctx, f.label)
            if n % PROGRESS_ROWS == 0:
                yield from rows.full()
        ctx.report_progress(f.label, total, total, n)
        yield from rows.full()


def _export_message(msg: dict[str, Any], realm: _Realm, rows: ZulipRows, ctx: ReadContext,
                    label: str) -> None:
    mid, sender, recipient = _int(msg.get("id")), _int(msg.get("sender")), _int(msg.get("recipient"))
    seconds = _seconds(msg.get("date_sent", msg.get("pub_date")))
    topic = msg.get("subject", msg.get("topic"))
    if mid is None or sender is None or recipient is None or seconds is None or not isinstance(topic, str):
        ctx.skip(label, "message without id, sender, recipient, date_sent or subject")
        return
    stream_id = realm.streams.get(recipient)
    if stream_id is None:
        ctx.skip(label, DIRECT)
        return
    text = msg.get("rendered_content") or msg.get("content") or ""
    author = rows.out.id("u", str(sender))
    if author not in rows.out.members:
        rows.member_by_id(str(sender), None)
    rows.message(Message(mid, stream_id, topic, seconds, author, str(text),
                         _mentions(rows, str(text)), realm.reactions.pop(mid, [])), label)
