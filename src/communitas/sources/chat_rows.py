"""Canonical rows for chat platforms (Slack, Discord): one writer that both sources share.

A :class:`ChatRows` wraps a :class:`BatchBuilder` and knows the id scheme
``<platform>:<name>:<letter>:<native>`` with letters ``u`` member, ``b`` bot integration,
``c`` channel, ``g`` category, ``p`` post, ``t`` thread, ``r`` reaction, ``e`` event. It turns a
chat message into a ``posts`` row (kind ``message``), opening a new ``threads`` row (plus its
``thread_places`` row) when :class:`ChannelFlow` says a new conversation starts, and keeps
per-member first/last activity so members can be written at the end with ``joined_at`` /
``last_seen_at`` filled.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from communitas.sources.base import Batch, BatchBuilder, ReadContext
from communitas.sources.chat_adjacency import ChannelFlow, Turn

TITLE_CHARS = 80


def iso_from_epoch(seconds: float) -> str:
    """Epoch seconds -> ISO 8601 UTC string."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()


@dataclass
class MemberInfo:
    """What a source knows about one member; written once, at the end."""

    display_name: str | None = None
    is_bot: bool = False
    is_system: bool = False
    is_staff: bool = False
    email_hash: str | None = None
    first_at: float | None = None
    last_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def seen(self, seconds: float) -> None:
        if self.first_at is None or seconds < self.first_at:
            self.first_at = seconds
        if self.last_at is None or seconds > self.last_at:
            self.last_at = seconds


class ChatRows:
    """Builds the canonical rows of one chat source. See the module docstring."""

    def __init__(self, ctx: ReadContext, batch_rows: int = 20_000) -> None:
        self.ctx = ctx
        self.sid = ctx.source_id
        self.builder = BatchBuilder(batch_rows)
        self.members: dict[str, MemberInfo] = {}  # member id -> info
        self.threads: dict[str, str] = {}  # channel id -> current conversation thread id
        self.counts = {"posts": 0, "events": 0, "mention": 0, "adjacency": 0}

    def id(self, letter: str, native: str) -> str:
        return f"{self.sid}:{letter}:{native}"

    def member(self, member_id: str, **info: Any) -> MemberInfo:
        """The info of ``member_id``, created (with ``info``) on first sight."""
        found = self.members.get(member_id)
        if found is None:
            found = self.members[member_id] = MemberInfo(**info)
        return found

    def place(self, place_id: str, native: str, kind: str, name: str | None,
              parent_id: str | None = None, created_at: str | None = None,
              description: str | None = None) -> None:
        self.builder.add("places", place_id=place_id, source_id=self.sid, native_id=native,
                         kind=kind, name=name, created_at=created_at, parent_id=parent_id,
                         description=description)

    def thread(self, thread_id: str, native: str, place_id: str, at: str, author: str | None,
               text: str | None) -> None:
        title = None
        if text and self.ctx.keep_bodies:
            title = " ".join(text.split())[:TITLE_CHARS] or None
        self.builder.add("threads", thread_id=thread_id, source_id=self.sid, native_id=native,
                         place_id=place_id, title=title, author_id=author, created_at=at)
        self.builder.add("thread_places", thread_id=thread_id, place_id=place_id,
                         source_id=self.sid, position=0)

    def message(self, *, native: str, place_id: str, at: str, seconds: float,
                author: str | None, text: str, flow: ChannelFlow | None,
                mentioned: list[str] | None = None, thread_id: str | None = None,
                reply_post: str | None = None, reply_member: str | None = None) -> str:
        """Write one chat message as a post; returns its post id.

        With a ``flow``, the conversation (thread) and the derived reply come from the
        :class:`ChannelFlow` rules; an explicit ``reply_post``/``reply_member`` wins over them.
        Without one, ``thread_id`` must be given (a platform thread).
        """
        post_id = self.id("p", native)
        if flow is not None:
            turn = flow.step(seconds, author, post_id, mentioned)
            thread_id = self._conversation(turn, native, place_id, at, author, text)
            if reply_post is None and reply_member is None and turn.rule:
                reply_post, reply_member = turn.reply_to_post_id, turn.reply_to_member_id
                self.counts[turn.rule] += 1
        self.builder.add("posts", post_id=post_id, source_id=self.sid, native_id=native,
                         thread_id=thread_id, author_id=author, created_at=at,
                         reply_to_post_id=reply_post, reply_to_member_id=reply_member,
                         kind="message", is_contribution=True, length=len(text),
                         body=text if self.ctx.keep_bodies else None)
        if author is not None:
            self.member(author).seen(seconds)
        self.counts["posts"] += 1
        return post_id

    def _conversation(self, turn: Turn, native: str, place_id: str, at: str,
                      author: str | None, text: str) -> str:
        current = self.threads.get(place_id)
        if current is None or turn.new_conversation:
            current = self.threads[place_id] = self.id("t", native)
            self.thread(current, native, place_id, at, author, text)
        return current

    def event(self, *, native: str, category: str, kind: str, at: str | None,
              member_id: str | None, place_id: str | None, post_id: str | None = None,
              target_id: str | None = None, detail: str | None = None) -> None:
        self.builder.add("events", event_id=self.id("e", native), source_id=self.sid,
                         category=category, kind=kind, created_at=at, member_id=member_id,
                         post_id=post_id, thread_id=None, place_id=place_id,
                         target_id=target_id, detail=detail)
        self.counts["events"] += 1

    def reaction(self, *, native: str, post_id: str, member_id: str | None, kind: str,
                 at: str | None) -> None:
        self.builder.add("reactions", reaction_id=self.id("r", native), source_id=self.sid,
                         post_id=post_id, member_id=member_id, kind=kind, created_at=at,
                         value=1.0)

    def full(self) -> Iterator[Batch]:
        return self.builder.full()

    def member_rows(self) -> None:
        """Queue every member seen or declared (call once, at the end)."""
        for member_id, m in self.members.items():
            self.builder.add(
                "members", member_id=member_id, source_id=self.sid,
                native_id=member_id.rsplit(":", 1)[-1], display_name=m.display_name,
                joined_at=None if m.first_at is None else iso_from_epoch(m.first_at),
                last_seen_at=None if m.last_at is None else iso_from_epoch(m.last_at),
                is_bot=m.is_bot, is_system=m.is_system, is_staff=m.is_staff,
                email_hash=m.email_hash)

    def drain(self) -> Iterator[Batch]:
        return self.builder.drain()
