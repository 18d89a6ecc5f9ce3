"""Zulip messages -> canonical rows, whichever export they come from (``docs/sources/zulip.md``).

:class:`ZulipRows` wraps :class:`ChatRows`. Its input is one stream message at a time, already
reduced to :class:`Message` by the reader of each export shape; it decides who the message is
really from (a system bot's notice becomes an event, a bridge bot's relayed line goes to the
relayed speaker), which topic (thread) it belongs to, and whom it replies to.

Zulip has no reply-to field, so replies are inferred within a topic, in message-id order, by
these rules (the first that applies wins):

1. **Quote** — a message that quotes another (Zulip's "Quote and reply" writes
   ``<a href="…/near/<id>">said</a>:`` before the quote) replies to the quoted message, when that
   message was read earlier in this source.
2. **Mention** — a message that @-mentions a member (not its author) replies to that member's
   latest message in the topic (or, if they have none, to the member alone).
3. **Previous speaker** — otherwise it replies to the topic's previous message when that one is
   by another member, however old (a topic is one conversation, read asynchronously); a second
   message by the same speaker in a row replies to no one.

Rules 2 and 3 are :class:`ChannelFlow`'s with no time limits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import xxhash

from communitas.sources.base import Batch, ReadContext
from communitas.sources.chat_adjacency import ChannelFlow
from communitas.sources.chat_rows import ChatRows, iso_from_epoch

NOTIFICATION_BOT, WELCOME_BOT = "Notification Bot", "Welcome Bot"
# Zulip's cross-realm system bots, by the local part of their e-mail address.
SYSTEM_BOT_EMAILS = {"notification-bot": NOTIFICATION_BOT, "welcome-bot": WELCOME_BOT,
                     "emailgateway": "Email Gateway", "nagios-receive-bot": "Nagios Receive Bot",
                     "nagios-send-bot": "Nagios Send Bot", "feedback": "Zulip Feedback Bot"}
SYSTEM_BOT_NAMES = frozenset(SYSTEM_BOT_EMAILS.values())
_BOT_NAME = re.compile(r"\bbot\b", re.IGNORECASE)
# A bridge's line: "<p><strong>nick@irc.network</strong>: text" (the IRC/Matrix bridges' format).
_RELAYED = re.compile(r"^<p><strong>([^<>]{1,100})</strong>: ")
_QUOTE = re.compile(r'href="[^"]*/near/(\d+)"[^>]*>said</a>:|\[said\]\([^)\s]*/near/(\d+)\):')
_MENTION = re.compile(
    r'<span class="user-mention[^"]*"[^>]*?data-user-id="(\d+|\*)"[^>]*>@?([^<]{1,100})</span>')
_MD_MENTION = re.compile(r"@_?\*\*([^*|]{1,100})(?:\|(\d+))?\*\*")
WILDCARDS = frozenset({"all", "everyone", "stream", "channel", "topic"})
_EMAIL_ATTR = re.compile(r'\s*data-user-email="[^"]*"')  # old renderings carry mentioned e-mails
# What a system bot's notice is, from its first words (the product-update posts of Notification
# Bot mention renames and moves too, so only the opening of a notice is looked at).
NOTICE_HEAD = 240
_NOTICES = ((re.compile(r"marked this topic as resolved"), "system", "topic_resolved"),
            (re.compile(r"marked this topic as unresolved"), "system", "topic_unresolved"),
            (re.compile(r"signed up"), "membership", "join"),
            (re.compile(r"(?:was|were) moved (?:here |to |from |by )|moved here from"), "system",
             "topic_moved"),
            (re.compile(r"created a new (?:stream|channel)|(?:Stream|Channel) created by|"
                        r"\bcreated\b.*?\b(?:stream|channel)\b"), "system", "stream_created"),
            (re.compile(r"changed the description|renamed (?:stream|channel)"), "system", "stream_changed"))


def notice_kind(sender: str, text: str) -> tuple[str, str]:
    """(category, kind) of a system bot's message.

    >>> notice_kind("Notification Bot", "<p>@_**Ann** marked this topic as unresolved.</p>")
    ('system', 'topic_unresolved')
    >>> notice_kind("Notification Bot", "<p>@_**Ann** just signed up for Zulip.</p>")
    ('membership', 'join')
    >>> notice_kind("Welcome Bot", "<p>Hello, and welcome</p>")
    ('system', 'welcome')
    """
    if sender == WELCOME_BOT:
        return "system", "welcome"
    head = text[:NOTICE_HEAD]
    for pattern, category, kind in _NOTICES:
        if pattern.search(head):
            return category, kind
    return "system", "announcement"


def topic_key(stream_id: str, topic: str) -> str:
    """The native id of a topic's thread: ``<stream id>:<64-bit hash of the case-folded topic>``
    (Zulip matches topic names case-insensitively).

    >>> topic_key("7", "Build") == topic_key("7", "build")
    True
    """
    return f"{stream_id}:{xxhash.xxh3_64_hexdigest(topic.casefold().encode('utf-8'))}"


@dataclass
class Message:
    """One stream message, in the shape every Zulip reader produces."""

    msg_id: int
    stream_id: str
    topic: str
    seconds: float
    author: str | None  # member id (declared through ZulipRows.member_by_*)
    text: str  # HTML (rendered content)
    mentions: list[str] = field(default_factory=list)  # member ids
    reactions: list[tuple[str, str | None]] = field(default_factory=list)  # (emoji, member id)


@dataclass
class _Topic:
    thread_id: str
    flow: ChannelFlow


class ZulipRows:
    """Canonical rows of one Zulip source. See the module docstring."""

    def __init__(self, ctx: ReadContext, batch_rows: int = 20_000) -> None:
        self.ctx = ctx
        self.out = ChatRows(ctx, batch_rows)
        self.topics: dict[str, _Topic] = {}
        self.streams: dict[str, str] = {}  # stream id -> place id
        self.seen: set[int] = set()  # message ids read
        self.names: dict[str, str] = {}  # case-folded display name -> member id (for mentions)
        self.counts = {"quote": 0, "relayed": 0, "system": 0}

    # -- members and places --------------------------------------------------------------
    def member_by_id(self, user_id: str, name: str | None, email: str | None = None,
                     is_bot: bool = False) -> str:
        """A member with a Zulip user id (API, organisation export); e-mails only hashed."""
        member_id = self.out.id("u", user_id)
        self._declare(member_id, name, is_bot)
        info = self.out.member(member_id)
        if email and info.email_hash is None:
            local = email.split("@", 1)[0].lower()
            info.email_hash = self.ctx.hash_identifier(email)
            if local in SYSTEM_BOT_EMAILS:
                info.is_system = info.is_bot = True
                info.display_name = info.display_name or SYSTEM_BOT_EMAILS[local]
        return member_id

    def member_by_name(self, name: str) -> str:
        """A member known only by display name (zulip-archive): ``<sid>:n:<hash of the name>``."""
        member_id = self.out.id("n", xxhash.xxh3_64_hexdigest(name.encode("utf-8")))
        self._declare(member_id, name, False)
        return member_id

    def _declare(self, member_id: str, name: str | None, is_bot: bool) -> None:
        info = self.out.member(member_id)
        if name and info.display_name is None:
            info.display_name = name
        if name and name in SYSTEM_BOT_NAMES:
            info.is_system = info.is_bot = True
        info.is_bot = info.is_bot or is_bot or bool(name and _BOT_NAME.search(name))
        if name:
            self.names.setdefault(name.casefold(), member_id)

    def stream(self, stream_id: str, name: str, description: str | None = None,
               created: float | None = None) -> str:
        """Declare a stream (a place of kind channel) once; its place id."""
        place_id = self.streams.get(stream_id)
        if place_id is None:
            place_id = self.streams[stream_id] = self.out.id("c", stream_id)
            self.out.place(place_id, stream_id, "channel", name, description=description or None,
                           created_at=None if created is None else iso_from_epoch(created))
        return place_id

    def mentions_by_name(self, text: str) -> list[str]:
        """Members mentioned in ``text``, matched by the name written (zulip-archive has no ids)."""
        found = (self.names.get(name.casefold()) for _, name in self.mention_pairs(text))
        return [m for m in found if m is not None]

    @staticmethod
    def mention_pairs(text: str) -> list[tuple[str, str]]:
        """``(user id or "", name)`` of each member mentioned in ``text``: rendered HTML
        (``<span class="user-mention" data-user-id=…>@Name</span>``) or Markdown
        (``@**Name|id**``, ``@_**Name**``); wildcards such as @all are left out.

        >>> ZulipRows.mention_pairs('<span class="user-mention" data-user-id="7">@Ann B</span> and @**Cy|9**')
        [('7', 'Ann B'), ('9', 'Cy')]
        """
        pairs = [(m.group(1), m.group(2).strip()) for m in _MENTION.finditer(text) if m.group(1) != "*"
                 ] if "user-mention" in text else []
        if "@" in text:
            pairs += [(m.group(2) or "", m.group(1).strip()) for m in _MD_MENTION.finditer(text)]
        return [(uid, name) for uid, name in pairs if name not in WILDCARDS]

    # -- messages ------------------------------------------------------------------------
    def message(self, m: Message, label: str) -> None:
        """Write one stream message (a post, or an event for a system bot's notice)."""
        if m.msg_id in self.seen:
            self.ctx.skip(label, "same message id read twice (first copy kept)")
            return
        self.seen.add(m.msg_id)
        if "data-user-email" in m.text:
            m.text = _EMAIL_ATTR.sub("", m.text)
        place_id = self.streams.get(m.stream_id) or self.stream(m.stream_id, f"stream {m.stream_id}")
        at = iso_from_epoch(m.seconds)
        info = None if m.author is None else self.out.member(m.author)
        if info is not None and info.is_system:
            category, kind = notice_kind(info.display_name or "", m.text)
            self.out.event(native=str(m.msg_id), category=category, kind=kind, at=at,
                           member_id=m.author, place_id=place_id)
            info.seen(m.seconds)
            self.counts["system"] += 1
            return
        author = self._relayed(m.author, m.text) if info is not None and info.is_bot else m.author
        self._post(m, author, place_id, at)

    def _relayed(self, bridge: str | None, text: str) -> str | None:
        match = _RELAYED.match(text)
        if bridge is None or match is None:
            return bridge
        self.counts["relayed"] += 1
        self.out.member(bridge).display_name = self.out.member(bridge).display_name or "bridge bot"
        return self.out.relayed_member(bridge, match.group(1).strip())

    def _post(self, m: Message, author: str | None, place_id: str, at: str) -> None:
        key = topic_key(m.stream_id, m.topic)
        topic = self.topics.get(key)
        if topic is None:
            thread_id = self.out.id("t", key)
            topic = self.topics[key] = _Topic(thread_id, ChannelFlow(math.inf, math.inf))
            self.out.builder.add("threads", (thread_id, f"{m.stream_id}:{m.topic}", place_id,
                                             m.topic or None, author, at))
            self.out.builder.add("thread_places", (thread_id, place_id, 0))
        post_id = self.out.id("p", str(m.msg_id))
        turn = topic.flow.step(m.seconds, author, post_id, m.mentions)
        reply_post, reply_member = turn.reply_to_post_id, turn.reply_to_member_id
        if turn.rule:
            self.out.counts[turn.rule] += 1
        match = _QUOTE.search(m.text) if "said" in m.text else None
        quoted = int(match.group(1) or match.group(2)) if match else None
        if quoted is not None and quoted in self.seen and quoted != m.msg_id:
            reply_post, reply_member = self.out.id("p", str(quoted)), None
            self.counts["quote"] += 1
            if turn.rule:
                self.out.counts[turn.rule] -= 1
        self.out.message(native=str(m.msg_id), place_id=place_id, at=at, seconds=m.seconds,
                         author=author, text=m.text, flow=None, thread_id=topic.thread_id,
                         reply_post=reply_post, reply_member=reply_member)
        for i, (emoji, who) in enumerate(m.reactions):
            self.out.reaction(native=f"{m.msg_id}:{i}", post_id=post_id, member_id=who, kind=emoji,
                              at=None)

    def full(self) -> Iterator[Batch]:
        return self.out.full()

    def finish(self) -> Iterator[Batch]:
        """Members (written once, at the end) and every buffered row."""
        self.out.member_rows()
        yield from self.out.drain()
