"""Canonical rows for Telegram, whichever export they come from (Desktop ``result.json`` or Bot API
``getUpdates`` pages): chats and forum topics as places, senders as members, messages as posts,
service messages as membership or system events (see ``docs/sources/telegram.md``).

Ids: a chat is ``c:<chat id>``, a forum topic ``c:<chat id>:<topic id>`` (the id of the service
message that created it), a message ``p:<chat id>:<message id>`` (Telegram numbers messages per
chat), a sender ``u:user<id>`` or ``u:channel<id>`` (the Desktop export's ``from_id``; the Bot
API's numeric ids are written the same way, so both exports of one group name people alike).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from communitas.sources.base import ReadContext
from communitas.sources.chat_adjacency import ChannelFlow
from communitas.sources.chat_rows import ChatRows, iso_from_epoch
from communitas.sources.discord_csv import looks_like_bot

# Chat types whose messages are private conversations, not a community's: not read, counted.
PRIVATE_CHATS = {"personal_chat", "bot_chat", "saved_messages", "private"}
CHANNEL_CHATS = {"public_channel", "private_channel", "channel"}
PRIVATE_SKIP = "message in a personal chat (private conversations are not read)"


@dataclass
class TelegramRows:
    """Places, flows and members of one Telegram source; writes through :class:`ChatRows`."""

    ctx: ReadContext
    out: ChatRows
    flows: dict[str, ChannelFlow] = field(default_factory=dict)  # place id -> its reply flow
    places: set[str] = field(default_factory=set)

    def chat(self, native: str, name: str | None, kind: str | None) -> str:
        """The place of a (non-private) chat, written on first sight."""
        place_id = self.out.id("c", native)
        if place_id not in self.places:
            self.places.add(place_id)
            kind_name = "channel" if kind in CHANNEL_CHATS else "group"
            self.out.place(place_id, native, kind_name, name or native)
        return place_id

    def topic(self, chat_native: str, topic_native: str, title: str | None, at: str | None) -> str:
        """The place of a forum topic (parent: its chat), written on first sight."""
        native = f"{chat_native}:{topic_native}"
        place_id = self.out.id("c", native)
        if place_id not in self.places:
            self.places.add(place_id)
            self.out.place(place_id, native, "topic", title or f"topic {topic_native}",
                           parent_id=self.out.id("c", chat_native), created_at=at)
        return place_id

    def sender(self, native: str, name: str | None, is_bot: bool = False) -> str:
        """The member behind a ``from_id`` (``user123``; ``channel456``: a channel posting as itself,
        which is not a person and is flagged ``is_system``). A later name wins (people rename)."""
        member_id = self.out.id("u", native)
        info = self.out.member(member_id)
        if name:
            info.display_name = name
        if is_bot or (name and looks_like_bot(name)):
            info.is_bot = True
        if native.startswith("channel"):
            info.is_system = True
        return member_id

    def post(self, *, chat: str, msg: str, place_id: str, seconds: float, author: str, text: str,
             reply_to: str | None, mentioned: list[str]) -> str:
        """A message as a post; an explicit reply (``reply_to``: a message id of the same chat)
        wins over the mention and adjacency rules of :mod:`chat_adjacency`."""
        flow = self.flows.setdefault(place_id, ChannelFlow())
        reply_post = self.out.id("p", f"{chat}:{reply_to}") if reply_to else None
        return self.out.message(native=f"{chat}:{msg}", place_id=place_id, at=iso_from_epoch(seconds),
                                seconds=seconds, author=author, text=text, flow=flow,
                                mentioned=mentioned, reply_post=reply_post)

    def event(self, *, chat: str, msg: str, category: str, kind: str, seconds: float,
              member_id: str | None, place_id: str, post: str | None = None,
              detail: str | None = None) -> None:
        self.out.event(native=f"{chat}:{msg}", category=category, kind=kind,
                       at=iso_from_epoch(seconds), member_id=member_id, place_id=place_id,
                       post_id=self.out.id("p", f"{chat}:{post}") if post else None, detail=detail)
        if member_id is not None:
            self.out.member(member_id).seen(seconds)

    def reaction(self, *, chat: str, msg: str, post_id: str, kind: str, who: list[str],
                 count: int) -> None:
        """``count`` reactions of one kind; the first ``len(who)`` by known members."""
        for i in range(1, min(max(count, len(who)), 10_000) + 1):
            member = who[i - 1] if i <= len(who) else None
            self.out.reaction(native=f"{chat}:{msg}:{kind}:{i}", post_id=post_id, member_id=member,
                              kind=kind, at=None)
