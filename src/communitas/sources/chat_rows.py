"""Canonical rows for chat platforms (Slack, Discord): one writer that both sources share.

A :class:`ChatRows` wraps a :class:`BatchBuilder` and knows the id scheme
``<platform>:<name>:<letter>:<native>`` with letters ``u`` member, ``b`` bot integration,
``w`` a sender relayed by a webhook (``w:<webhook id>:<hash of the name>``, see
:meth:`ChatRows.relayed_member`), ``c`` channel, ``g`` category, ``p`` post, ``t`` thread,
``r`` reaction, ``e`` event. It turns a chat message into a ``posts`` row (kind ``message``),
opening a new ``threads`` row (plus its ``thread_places`` row) when :class:`ChannelFlow` says a
new conversation starts, and keeps per-member first/last activity so members can be written at
the end with ``joined_at`` / ``last_seen_at`` filled.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from communitas.sources.base import Batch, ReadContext
from communitas.sources.chat_adjacency import ChannelFlow, Turn

TITLE_CHARS = 80

# Column order of the tuples each table receives (source_id is added when a batch is cut).
COLUMNS: dict[str, tuple[str, ...]] = {
    "places": ("place_id", "native_id", "kind", "name", "created_at", "parent_id", "description"),
    "threads": ("thread_id", "native_id", "place_id", "title", "author_id", "created_at"),
    "thread_places": ("thread_id", "place_id", "position"),
    "posts": ("post_id", "native_id", "thread_id", "author_id", "created_at", "reply_to_post_id",
              "reply_to_member_id", "kind", "is_contribution", "length", "body"),
    "events": ("event_id", "category", "kind", "created_at", "member_id", "post_id", "place_id",
               "target_id", "detail"),
    "reactions": ("reaction_id", "post_id", "member_id", "kind", "created_at", "value"),
    "members": ("member_id", "native_id", "display_name", "joined_at", "last_seen_at", "is_bot",
                "is_system", "is_staff", "email_hash"),
}


class TupleBuilder:
    """Rows as tuples per table (cheap to append), turned into column batches when cut.

    >>> b = TupleBuilder("s", batch_rows=2)
    >>> b.add("thread_places", ("t1", "c1", 0)); b.add("thread_places", ("t2", "c1", 0))
    >>> [(x.table, x.columns["thread_id"], x.columns["source_id"]) for x in b.full()]
    [('thread_places', ['t1', 't2'], ['s', 's'])]
    """

    def __init__(self, source_id: str, batch_rows: int = 20_000) -> None:
        self.source_id = source_id
        self.batch_rows = batch_rows
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in COLUMNS}

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows[table].append(row)

    def full(self) -> Iterator[Batch]:
        """Batches of tables that reached ``batch_rows``; the rest stay buffered."""
        for table, rows in self.rows.items():
            if len(rows) >= self.batch_rows:
                yield self._take(table)

    def drain(self) -> Iterator[Batch]:
        for table, rows in self.rows.items():
            if rows:
                yield self._take(table)

    def _take(self, table: str) -> Batch:
        rows, self.rows[table] = self.rows[table], []
        cols = {c: list(v) for c, v in zip(COLUMNS[table], zip(*rows, strict=True), strict=True)}
        cols["source_id"] = [self.source_id] * len(rows)
        return Batch(table, cols)


def iso_from_epoch(seconds: float) -> str:
    """Epoch seconds -> ISO 8601 UTC string. A time no calendar holds (a broken export) comes back
    as text no time parses, so staging skips the row and counts it as a malformed time.

    >>> iso_from_epoch(0), iso_from_epoch(1e300)
    ('1970-01-01T00:00:00+00:00', 'epoch 1e+300 (out of range)')
    """
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return f"epoch {seconds} (out of range)"


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
        self.builder = TupleBuilder(self.sid, batch_rows)
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

    def relayed_member(self, webhook_id: str, name: str, is_bot: bool = False) -> str:
        """The member standing for ``name`` as relayed by the webhook member ``webhook_id`` (a bridge
        posting another chat's messages under each sender's name): ``<sid>:w:<webhook native
        id>:<salted hash of the case-folded name>``, display name ``name``.

        It has no account id and no e-mail hash, so identity suggestions (which use identifiers
        only) never merge it with anyone; the ``w`` letter marks it as relayed.
        """
        native = webhook_id.rsplit(":", 1)[-1]
        member_id = self.id("w", f"{native}:{self.ctx.hash_identifier(name.casefold())[:16]}")
        info = self.member(member_id, display_name=name)
        info.is_bot = info.is_bot or is_bot
        return member_id

    def place(self, place_id: str, native: str, kind: str, name: str | None,
              parent_id: str | None = None, created_at: str | None = None,
              description: str | None = None) -> None:
        self.builder.add("places", (place_id, native, kind, name, created_at, parent_id, description))

    def thread(self, thread_id: str, native: str, place_id: str, at: str, author: str | None,
               text: str | None) -> None:
        # kept with --no-text, as every platform's thread titles are (docs/data-model.md)
        title = (" ".join(text.split())[:TITLE_CHARS] or None) if text else None
        self.builder.add("threads", (thread_id, native, place_id, title, author, at))
        self.builder.add("thread_places", (thread_id, place_id, 0))

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
        self.builder.add("posts", (post_id, native, thread_id, author, at, reply_post, reply_member,
                                   "message", True, len(text), text if self.ctx.keep_bodies else None))
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
        self.builder.add("events", (self.id("e", native), category, kind, at, member_id, post_id,
                                    place_id, target_id, detail))
        self.counts["events"] += 1

    def reaction(self, *, native: str, post_id: str, member_id: str | None, kind: str,
                 at: str | None, count: float = 1.0) -> None:
        """One reaction row; ``count`` > 1 for reactions the export only counts (who made them is
        not known): one row standing for them all, never that many rows."""
        self.builder.add("reactions", (self.id("r", native), post_id, member_id, kind, at, count))

    def full(self) -> Iterator[Batch]:
        return self.builder.full()

    def member_rows(self) -> None:
        """Queue every member seen or declared (call once, at the end)."""
        relayed = f"{self.sid}:w:"
        for member_id, m in self.members.items():
            native = (member_id[len(relayed):] if member_id.startswith(relayed)
                      else member_id.rsplit(":", 1)[-1])
            self.builder.add("members", (
                member_id, native, m.display_name,
                None if m.first_at is None else iso_from_epoch(m.first_at),
                None if m.last_at is None else iso_from_epoch(m.last_at),
                m.is_bot, m.is_system, m.is_staff, m.email_hash))

    def drain(self) -> Iterator[Batch]:
        return self.builder.drain()


def whole_count(value: Any) -> int:
    """A reaction count as the export wrote it; anything that is not a whole number counts 0.

    >>> whole_count(3), whole_count("7"), whole_count("many"), whole_count(None), whole_count(2.5)
    (3, 7, 0, 0, 0)
    """
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else 0
