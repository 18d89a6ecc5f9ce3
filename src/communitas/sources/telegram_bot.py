"""Telegram Bot API ``getUpdates`` responses (``{"ok": true, "result": [update, ...]}``), as a bot
that sits in a group collects them (Perceval's Telegram backend reads these), streamed update by
update. Fields read: ``update_id``; ``message`` / ``channel_post`` {``message_id``, ``date`` (epoch
seconds), ``chat`` {``id``, ``type``, ``title``}, ``from`` {``id``, ``is_bot``, ``first_name``,
``last_name``, ``username``}, ``sender_chat``, ``text`` / ``caption``, ``entities`` (a
``text_mention`` names a member), ``reply_to_message.message_id``, ``message_thread_id`` with
``is_topic_message`` (forum topics), ``forum_topic_created.name``, ``new_chat_members``,
``left_chat_member`` and the other service fields}. Other updates (``edited_message``,
``callback_query``, ...) are not new messages: skipped and counted by kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from communitas.sources.base import Batch
from communitas.sources.chat_json import stream_objects
from communitas.sources.export_file import ExportFile
from communitas.sources.telegram_rows import PRIVATE_CHATS, PRIVATE_SKIP, TelegramRows

WHAT = "Telegram Bot API getUpdates response"
FIX = "Fetch the updates again (getUpdates returns JSON) and ingest again."
MESSAGE_KEYS = ("message", "channel_post")
SERVICE_KEYS = ("new_chat_members", "left_chat_member", "new_chat_title", "new_chat_photo",
                "delete_chat_photo", "group_chat_created", "supergroup_chat_created",
                "channel_chat_created", "migrate_to_chat_id", "migrate_from_chat_id", "pinned_message",
                "forum_topic_created", "forum_topic_edited", "forum_topic_closed",
                "forum_topic_reopened", "general_forum_topic_hidden", "general_forum_topic_unhidden",
                "video_chat_started", "video_chat_ended", "video_chat_scheduled",
                "video_chat_participants_invited", "message_auto_delete_timer_changed",
                "users_shared", "chat_shared", "write_access_allowed", "boost_added")


def read_bot_updates(entry: ExportFile, rows: TelegramRows) -> Iterator[Batch]:
    """Every update of one getUpdates response file."""
    label, total, n = entry.label, entry.size(), 0
    position: list[Callable[[], int]] = []
    for _, update in stream_objects(entry, {"result.item"}, set(), WHAT, FIX, position):
        n += 1
        if not isinstance(update, dict):
            rows.ctx.skip(label, "update is not a JSON object")
            continue
        key = next((k for k in MESSAGE_KEYS if isinstance(update.get(k), dict)), None)
        if key is None:
            other = next((k for k in update if k != "update_id"), "empty")
            rows.ctx.skip(label, f"{other} update (not a new message)")
            continue
        _message(update[key], rows, label)
        if n % 10_000 == 0:
            rows.ctx.report_progress(label, position[0](), total, n)
            yield from rows.out.full()
    rows.ctx.report_progress(label, total, total, n)
    yield from rows.out.full()


def _user(rows: TelegramRows, user: Any) -> str | None:
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        return None
    name = " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k)) or None
    return rows.sender(f"user{user['id']}", name, bool(user.get("is_bot")))


def _message(msg: dict[str, Any], rows: TelegramRows, label: str) -> None:
    chat, msg_id, seconds = msg.get("chat"), msg.get("message_id"), msg.get("date")
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int) or not isinstance(msg_id, int):
        rows.ctx.skip(label, "message without a chat or message_id")
        return
    if not isinstance(seconds, int | float) or seconds <= 0:
        rows.ctx.skip(label, "message without a readable date")
        return
    if chat.get("type") in PRIVATE_CHATS:
        rows.ctx.skip(label, PRIVATE_SKIP)
        return
    native = str(chat["id"])
    place_id = rows.chat(native, chat.get("title"), chat.get("type"))
    thread = msg.get("message_thread_id") if msg.get("is_topic_message") else None
    if isinstance(msg.get("forum_topic_created"), dict):
        thread = msg_id
    if isinstance(thread, int):
        name = (msg.get("forum_topic_created") or {}).get("name") if thread == msg_id else None
        place_id = rows.topic(native, str(thread), name, None)
    sender_chat = msg.get("sender_chat")
    author = _user(rows, msg.get("from")) if not isinstance(sender_chat, dict) else rows.sender(
        f"channel{abs(int(sender_chat.get('id') or 0))}", sender_chat.get("title"))
    service = next((k for k in SERVICE_KEYS if k in msg), None)
    if service is not None:
        _service(msg, service, native, place_id, float(seconds), author, rows, label)
        return
    if author is None:
        rows.ctx.skip(label, "message without a sender")
        return
    text = str(msg.get("text") or msg.get("caption") or "")
    entities = msg.get("entities") or msg.get("caption_entities") or []
    mentioned = [m for e in entities if isinstance(e, dict) and e.get("type") == "text_mention"
                 and (m := _user(rows, e.get("user")))]
    reply = (msg.get("reply_to_message") or {}).get("message_id")
    rows.post(chat=native, msg=str(msg_id), place_id=place_id, seconds=float(seconds), author=author,
              text=text, mentioned=mentioned,
              reply_to=str(reply) if isinstance(reply, int) and reply != thread else None)


def _service(msg: dict[str, Any], key: str, chat: str, place_id: str, seconds: float,
             author: str | None, rows: TelegramRows, label: str) -> None:
    """Joins and leaves are membership events (one per member); any other service field a
    system event of that kind."""
    msg_id = str(msg["message_id"])
    if key in ("new_chat_members", "left_chat_member"):
        people = msg[key] if isinstance(msg[key], list) else [msg[key]]
        if not people:
            rows.ctx.skip(label, "new_chat_members without members")
        for i, person in enumerate(people):
            member = _user(rows, person)
            kind = ("join" if member == author else "add") if key == "new_chat_members" else (
                "leave" if member == author else "remove")
            rows.event(chat=chat, msg=f"{msg_id}" if i == 0 else f"{msg_id}:{i}", category="membership",
                       kind=kind, seconds=seconds, member_id=member, place_id=place_id)
        return
    pinned = (msg.get("pinned_message") or {}).get("message_id") if key == "pinned_message" else None
    rows.event(chat=chat, msg=msg_id, category="system", kind=key, seconds=seconds, member_id=author,
               place_id=place_id, post=str(pinned) if isinstance(pinned, int) else None)
