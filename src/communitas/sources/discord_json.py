"""DiscordChatExporter JSON: one file per channel, streamed with ijson (plain or .gz).

Fields read (the exporter's documented JSON; everything else is ignored):

* ``guild.id``, ``guild.name`` — the server (becomes the source's name when none is given);
* ``channel.id``, ``channel.name``, ``channel.categoryId``, ``channel.category``,
  ``channel.topic`` — the channel place and its category place;
* ``messages[]``: ``id`` (snowflake, the post's native id), ``type`` (see :data:`CONTRIBUTION_TYPES`,
  :data:`MEMBERSHIP_TYPES`; any other type is a system event), ``timestamp`` (ISO 8601 with
  offset), ``content``, ``author`` {``id``, ``name``, ``discriminator``, ``nickname``,
  ``isBot``} (a bot with discriminator ``0000`` is a webhook: its message is the named relayed
  sender's), ``mentions[]`` (user objects, for the mention rule), ``reactions[]``
  {``emoji.name``, ``count``, ``users[]`` when the export has them}, ``reference``
  {``messageId``} (an explicit reply, or the message a pin points at).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import ijson

from communitas.errors import BrokenInput, InputError
from communitas.sources.base import Batch, ReadContext
from communitas.sources.chat_adjacency import ChannelFlow
from communitas.sources.chat_rows import ChatRows, whole_count
from communitas.sources.discord_csv import DateParser, looks_like_bot
from communitas.sources.export_file import ExportFile

PROGRESS_ROWS = 10_000
CONTRIBUTION_TYPES = {"Default", "Reply", "ChatInputCommand", "ContextMenuCommand",
                      "ThreadStarterMessage"}
MEMBERSHIP_TYPES = {"GuildMemberJoin": "join", "RecipientAdd": "add", "RecipientRemove": "remove"}


def _broken(entry: ExportFile, e: Exception) -> BrokenInput:
    return BrokenInput(f"{entry.where}: not a readable DiscordChatExporter JSON file "
                       f"({e or type(e).__name__}). Export the channel again (JSON format) and "
                       "ingest again.")


def read_head(entry: ExportFile) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(guild, channel) objects when ``entry`` is an exporter JSON file; None otherwise."""
    peek = entry.head()
    if not peek.lstrip().startswith(b"{") or b'"guild"' not in peek:
        return None
    out = []
    for key in ("guild", "channel"):
        try:
            data, _ = entry.open()
        except (OSError, InputError):
            return None
        try:
            found = next(ijson.items(data, key, use_float=True), None)
        except (ijson.JSONError, ValueError, OSError, EOFError, zlib.error, InputError):
            found = None
        finally:
            data.close()
        if not isinstance(found, dict) or "id" not in found:
            return None
        out.append(found)
    return out[0], out[1]


def user_id(out: ChatRows, user: Any) -> str | None:
    """Declare the member behind an exporter user object; its member id."""
    if not isinstance(user, dict) or not str(user.get("id") or "").isdigit():
        return None
    member_id = out.id("u", str(user["id"]))
    name = str(user.get("nickname") or user.get("name") or "") or None
    info = out.member(member_id)
    if name and info.display_name is None:
        info.display_name = name
    if user.get("isBot") or (name and looks_like_bot(name)):
        info.is_bot = True
    return member_id


def _author(out: ChatRows, user: Any) -> str | None:
    """The member id of a message's author. A webhook (``isBot`` with discriminator ``0000``: it
    posts under whatever name the message carries, e.g. a bridge relaying another chat) stands
    for the named sender: its message goes to that relayed member (see ``docs/sources/discord.md``)."""
    member_id = user_id(out, user)
    if member_id is None or not (user.get("isBot") and str(user.get("discriminator")) == "0000"):
        return member_id
    name = str(user.get("name") or user.get("nickname") or "")
    webhook = out.member(member_id)
    webhook.display_name = "relay webhook"
    return out.relayed_member(member_id, name, looks_like_bot(name)) if name else member_id


def read_json_channel(entry: ExportFile, place_id: str, flow: ChannelFlow, ctx: ReadContext,
                      out: ChatRows, parse_date: DateParser) -> Iterator[Batch]:
    """Every message of one exporter JSON file (``flow``: the channel's, shared by its parts)."""
    label = entry.label
    data, position = entry.open()
    total = entry.size()
    n = 0
    try:
        for n, msg in enumerate(ijson.items(data, "messages.item", use_float=True), 1):
            _message(msg, label, place_id, ctx, out, flow, parse_date)
            if n % PROGRESS_ROWS == 0:
                ctx.report_progress(label, position(), total, n)
                yield from out.full()
    except (ijson.JSONError, ValueError, OSError, EOFError, zlib.error) as e:
        raise _broken(entry, e) from None
    finally:
        data.close()
    ctx.report_progress(label, total, total, n)
    yield from out.full()


def _message(msg: Any, label: str, place_id: str, ctx: ReadContext, out: ChatRows,
             flow: ChannelFlow, parse_date: DateParser) -> None:
    if not isinstance(msg, dict) or not str(msg.get("id") or "").isdigit():
        ctx.skip(label, "message without an id")
        return
    when = parse_date(str(msg.get("timestamp") or ""))
    if when is None:
        ctx.skip(label, "message without a readable timestamp")
        return
    at, seconds = when
    native, kind = str(msg["id"]), str(msg.get("type") or "Default")
    author = _author(out, msg.get("author"))
    ref = msg.get("reference")
    ref = ref if isinstance(ref, dict) else {}
    ref_post = out.id("p", str(ref["messageId"])) if ref.get("messageId") else None
    if kind not in CONTRIBUTION_TYPES:
        category, ev_kind = ("membership", MEMBERSHIP_TYPES[kind]) if kind in MEMBERSHIP_TYPES else (
            "system", _snake(kind))
        out.event(native=native, category=category, kind=ev_kind, at=at, member_id=author,
                  place_id=place_id, post_id=ref_post)
        if author is not None:
            out.member(author).seen(seconds)
        return
    mentioned = [m for u in msg.get("mentions") or [] if (m := user_id(out, u))]
    text = str(msg.get("content") or "")
    post_id = out.message(native=native, place_id=place_id, at=at, seconds=seconds, author=author,
                          text=text, flow=flow, mentioned=mentioned, reply_post=ref_post)
    for reaction in msg.get("reactions") or []:
        _reaction(reaction, native, post_id, out)


def _reaction(reaction: Any, native: str, post_id: str, out: ChatRows) -> None:
    if not isinstance(reaction, dict):
        return
    emoji = reaction.get("emoji")
    emoji = emoji if isinstance(emoji, dict) else {}
    kind = str(emoji.get("name") or emoji.get("id") or "?")
    users = [u for u in (user_id(out, x) for x in reaction.get("users") or []) if u]
    for i, who in enumerate(users, 1):
        out.reaction(native=f"{native}:{kind}:{i}", post_id=post_id, member_id=who, kind=kind, at=None)
    rest = whole_count(reaction.get("count")) - len(users)  # counted, not named: one row for them all
    if rest > 0:
        out.reaction(native=f"{native}:{kind}:+", post_id=post_id, member_id=None, kind=kind, at=None,
                     count=float(rest))


def _snake(name: str) -> str:
    """``ChannelPinnedMessage`` -> ``channel_pinned_message``."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
