"""Telegram Desktop's JSON export (``result.json``), streamed one message at a time.

Two shapes: one chat exported on its own (``{"name", "type", "id", "messages": [...]}``), or the
whole account (``{"about", "personal_information", ..., "chats": {"list": [chat, ...]},
"left_chats": {"list": [...]}}``). Fields read from a message (everything else is ignored):
``id``, ``type`` (``message`` or ``service``), ``date_unixtime`` (else ``date``, the exporting
machine's local time, read as UTC with a warning), ``from`` / ``from_id`` (sender; ``actor`` /
``actor_id`` for service messages), ``text`` (a string, or a list of strings and entity objects
``{"type", "text"}``; a ``mention_name`` entity names a member by ``user_id``),
``reply_to_message_id``, ``action`` (service messages; ``members``, ``title``, ``message_id``
go with some actions) and ``reactions`` (``[{"type", "count", "emoji", "recent": [{"from_id"}]}]``).

Forum topics: a service message with action ``topic_created`` opens a topic (its id is the
topic's id); a message belongs to the topic its ``reply_to_message_id`` chain leads to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from communitas.sources.base import Batch
from communitas.sources.chat_json import head_fields, stream_items, stream_objects
from communitas.sources.export_file import ExportFile
from communitas.sources.telegram_rows import PRIVATE_CHATS, PRIVATE_SKIP, TelegramRows

PROGRESS_ROWS = 10_000
WHAT = "Telegram Desktop JSON export"
FIX = "Export the chat again (Telegram Desktop: Export chat history, format JSON) and ingest again."
CHAT_BASES = ("", "chats.list.item", "left_chats.list.item")
MESSAGES = {f"{b}.messages.item".lstrip(".") for b in CHAT_BASES}
HEADERS = {f"{b}.{k}".lstrip(".") for b in CHAT_BASES for k in ("name", "type", "id")} | set(CHAT_BASES)
MEMBERSHIP = {"join_group_by_link": "join", "join_group_by_request": "join", "invite_members": "add",
              "remove_members": "remove"}


@dataclass
class _Chat:
    """The chat being read and, in a forum, which topic each message went to."""

    name: str | None = None
    type: str | None = None
    native: str | None = None
    place_id: str | None = None
    topics: dict[int, int] = field(default_factory=dict)  # message id -> topic id (forums only)
    topic_places: dict[int, str] = field(default_factory=dict)  # topic id -> place id


def read_desktop(entry: ExportFile, rows: TelegramRows, index: int) -> Iterator[Batch]:
    """Every message of one Desktop export file; ``index`` numbers chats that have no id."""
    ctx, label, total = rows.ctx, entry.label, entry.size()
    chat, n, chats, local_dates = _Chat(), 0, 0, 0
    position: list[Callable[[], int]] = []
    for prefix, value in _stream(entry, position):
        if prefix in CHAT_BASES:  # the start or end of a chat object: the next chat begins
            if (chat.name, chat.type, chat.native, chat.place_id) != (None, None, None, None):
                chat, chats = _Chat(), chats + 1
            continue
        if prefix not in MESSAGES:
            key = prefix.rsplit(".", 1)[-1]
            setattr(chat, "native" if key == "id" else key, None if value is None else str(value))
            continue
        n += 1
        if chat.type in PRIVATE_CHATS:
            ctx.skip(label, PRIVATE_SKIP)
            continue
        if chat.place_id is None:
            chat.native = chat.native or f"chat{index}.{chats}"
            chat.place_id = rows.chat(chat.native, chat.name, chat.type)
        local_dates += _message(value, chat, rows, label)
        if n % PROGRESS_ROWS == 0:
            ctx.report_progress(label, position[0](), total, n)
            yield from rows.out.full()
    if local_dates:
        ctx.warn(f"{label}: {local_dates} messages have no date_unixtime; their local `date` "
                 "was read as UTC.")
    ctx.report_progress(label, total, total, n)
    yield from rows.out.full()


def _stream(entry: ExportFile, position: list[Callable[[], int]]) -> Iterator[tuple[str, Any]]:
    """(prefix, value) as :func:`stream_objects` gives them; a chat exported alone whose id comes
    before its messages (as Telegram Desktop writes it) takes the fast path (``ijson.items``)."""
    head = head_fields(entry, {"name", "type", "id", "about"}, WHAT, FIX)
    if "about" in head or "id" not in head:
        yield from stream_objects(entry, MESSAGES, HEADERS, WHAT, FIX, position)
        return
    for key in ("name", "type", "id"):
        if key in head:
            yield key, head[key]
    for msg in stream_items(entry, "messages.item", WHAT, FIX, position):
        yield "messages.item", msg


def _seconds(msg: dict[str, Any]) -> tuple[float | None, int]:
    """(epoch seconds, 1 when read from the local ``date``) of a message."""
    try:
        return float(msg["date_unixtime"]), 0
    except (KeyError, TypeError, ValueError):
        pass
    try:
        return datetime.fromisoformat(str(msg["date"])).replace(tzinfo=UTC).timestamp(), 1
    except (KeyError, TypeError, ValueError):
        return None, 0


def _message(msg: Any, chat: _Chat, rows: TelegramRows, label: str) -> int:
    ctx = rows.ctx
    if not isinstance(msg, dict) or not isinstance(msg.get("id"), int | float):
        ctx.skip(label, "message without an id")
        return 0
    seconds, local = _seconds(msg)
    if seconds is None:
        ctx.skip(label, "message without a readable date")
        return 0
    assert chat.native is not None and chat.place_id is not None
    msg_id = int(msg["id"])
    reply = msg.get("reply_to_message_id")
    reply = int(reply) if isinstance(reply, int | float) else None
    topic = chat.topics.get(reply) if reply else None
    if topic is not None:
        chat.topics[msg_id] = topic
    place_id = chat.topic_places.get(topic, chat.place_id) if topic is not None else chat.place_id
    if msg.get("type") == "service":
        _service(msg, msg_id, seconds, chat, place_id, rows)
        return local
    sender = msg.get("from_id")
    if not isinstance(sender, str) or not sender:
        ctx.skip(label, "message without from_id")
        return 0
    author = rows.sender(sender, msg.get("from") if isinstance(msg.get("from"), str) else None)
    text, mentioned = _text(msg.get("text"), rows)
    post_id = rows.post(chat=chat.native, msg=str(msg_id), place_id=place_id, seconds=seconds,
                        author=author, text=text, mentioned=mentioned,
                        reply_to=str(reply) if reply and reply not in chat.topic_places else None)
    for r in msg.get("reactions") or []:
        if isinstance(r, dict):
            who = [rows.sender(str(x["from_id"]), x.get("from"))
                   for x in r.get("recent") or [] if isinstance(x, dict) and x.get("from_id")]
            kind = str(r.get("emoji") or r.get("document_id") or r.get("type") or "?")
            rows.reaction(chat=chat.native, msg=str(msg_id), post_id=post_id, kind=kind, who=who,
                          count=int(r.get("count") or 0))
    return local


def _service(msg: dict[str, Any], msg_id: int, seconds: float, chat: _Chat, place_id: str,
             rows: TelegramRows) -> None:
    """A service message: a membership event (join, add, remove, leave) or a system event."""
    assert chat.native is not None
    action = str(msg.get("action") or "unknown")
    actor = msg.get("actor_id")
    name = msg.get("actor") if isinstance(msg.get("actor"), str) else None
    member = rows.sender(actor, name) if isinstance(actor, str) and actor else None
    if action == "topic_created":
        place_id = chat.topic_places[msg_id] = rows.topic(chat.native, str(msg_id), msg.get("title"),
                                                          None)
        chat.topics[msg_id] = msg_id
    members: list[Any] = msg["members"] if isinstance(msg.get("members"), list) else []
    kind = MEMBERSHIP.get(action)
    if kind == "remove" and members == [name]:
        kind = "leave"
    pinned = msg.get("message_id") if action == "pin_message" else None
    rows.event(chat=chat.native, msg=str(msg_id), category="membership" if kind else "system",
               kind=kind or action, seconds=seconds, member_id=member, place_id=place_id,
               post=str(pinned) if isinstance(pinned, int) else None,
               detail=str(len(members)) if kind in ("add", "remove") else None)


def _text(text: Any, rows: TelegramRows) -> tuple[str, list[str]]:
    """(plain text, mentioned member ids) of a ``text`` field: a string or a list of parts."""
    if isinstance(text, str):
        return text, []
    parts, mentioned = [], []
    for part in text if isinstance(text, list) else []:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict):
            parts.append(str(part.get("text") or ""))
            if part.get("type") == "mention_name" and part.get("user_id"):
                mentioned.append(rows.out.id("u", f"user{part['user_id']}"))
    return "".join(parts), mentioned
