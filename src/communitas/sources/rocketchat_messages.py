"""One Rocket.Chat message, room or user document -> canonical rows.

Every message ends in exactly one place (see ``docs/sources/rocketchat.md``): a ``posts`` row, an
``events`` row (``t`` set: a system message; joins, leaves, additions and removals are
membership), or a counted skip (no ``_id``/``rid``/``ts``/``u``, an ``_hidden`` earlier version of
an edited message, a message in a direct or livechat room, a duplicate ``_id``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from communitas.sources.base import ReadContext
from communitas.sources.chat_adjacency import ChannelFlow
from communitas.sources.chat_rows import ChatRows, iso_from_epoch

MEMBERSHIP = {"uj": "join", "ul": "leave", "au": "add", "ru": "remove", "ujt": "join", "ult": "leave",
              "ut": "join"}
PRIVATE_ROOMS = {"d": "direct", "l": "livechat"}
NOT_PEOPLE = {"all", "here"}


def seconds(value: Any) -> float | None:
    """Epoch seconds of a Rocket.Chat time: ISO text (REST), ``{"$date": ISO or ms}`` or
    ``{"$date": {"$numberLong": ms}}`` (mongoexport), or epoch ms.

    >>> seconds("2020-05-02T07:30:42.993Z"), seconds({"$date": {"$numberLong": "1588404642993"}})
    (1588404642.993, 1588404642.993)
    """
    if isinstance(value, dict):
        value = value.get("$date")
        if isinstance(value, dict):
            value = value.get("$numberLong")
    try:
        if isinstance(value, str) and not value.lstrip("-").isdigit():
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        return float(value) / 1000 if value is not None else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@dataclass
class _Room:
    place_id: str
    flow: ChannelFlow = field(default_factory=ChannelFlow)
    last: float = 0.0


@dataclass
class RocketRows:
    """Rooms, users and messages of one Rocket.Chat source."""

    ctx: ReadContext
    out: ChatRows
    rooms: dict[str, _Room] = field(default_factory=dict)
    private: dict[str, str] = field(default_factory=dict)  # room id -> its private kind
    usernames: dict[str, str] = field(default_factory=dict)  # username -> member id
    threads: dict[str, str] = field(default_factory=dict)  # message id -> its thread id
    seen: set[str] = field(default_factory=set)  # message ids (REST pages only: they overlap)
    out_of_order: int = 0

    def room(self, doc: Any, label: str) -> None:
        """A room document (``rocketchat_room`` line or a ``channels.info`` ``channel``)."""
        if not isinstance(doc, dict) or not doc.get("_id"):
            self.ctx.skip(label, "room without an _id")
            return
        rid, kind = str(doc["_id"]), str(doc.get("t") or "c")
        if kind in PRIVATE_ROOMS:
            self.private[rid] = PRIVATE_ROOMS[kind]
            return
        self._place(rid, doc)

    def _place(self, rid: str, doc: dict[str, Any] | None) -> _Room:
        found = self.rooms.get(rid)
        if found is None:
            doc = doc or {}
            created = seconds(doc.get("ts"))
            text = doc.get("description") or doc.get("topic")
            found = self.rooms[rid] = _Room(self.out.id("c", rid))
            self.out.place(found.place_id, rid, "channel", str(doc.get("fname") or doc.get("name") or rid),
                           created_at=iso_from_epoch(created) if created else None,
                           description=str(text) if text else None)
        return found

    def user(self, doc: Any, label: str) -> None:
        """A ``users`` document: display name, e-mail (hashed), bot and admin roles."""
        if not isinstance(doc, dict) or not doc.get("_id"):
            self.ctx.skip(label, "user without an _id")
            return
        member_id = self.out.id("u", str(doc["_id"]))
        roles: list[Any] = doc["roles"] if isinstance(doc.get("roles"), list) else []
        emails: list[Any] = doc["emails"] if isinstance(doc.get("emails"), list) else []
        address = next((e.get("address") for e in emails if isinstance(e, dict) and e.get("address")), None)
        info = self.out.member(member_id)
        info.display_name = str(doc.get("name") or doc.get("username") or "") or info.display_name
        info.is_bot = info.is_bot or doc.get("type") in ("bot", "app") or "bot" in roles
        info.is_staff = "admin" in roles
        info.email_hash = self.ctx.hash_identifier(str(address)) if address else info.email_hash
        if doc.get("username"):
            self.usernames[str(doc["username"])] = member_id

    def learn(self, u: Any) -> None:
        """Remember the member id behind a ``u`` {``_id``, ``username``} (reactions name usernames)."""
        if isinstance(u, dict) and u.get("_id") and u.get("username"):
            self.usernames.setdefault(str(u["username"]), self.out.id("u", str(u["_id"])))

    def _author(self, u: Any, is_bot: bool) -> str | None:
        if not isinstance(u, dict) or not u.get("_id"):
            return None
        member_id = self.out.id("u", str(u["_id"]))
        info = self.out.member(member_id)
        if info.display_name is None and (u.get("name") or u.get("username")):
            info.display_name = str(u.get("name") or u.get("username"))
        info.is_bot = info.is_bot or is_bot
        self.learn(u)
        return member_id

    def message(self, msg: Any, label: str, dedupe: bool = False) -> None:
        if not isinstance(msg, dict) or not msg.get("_id") or not msg.get("rid"):
            self.ctx.skip(label, "message without an _id or rid")
            return
        at = seconds(msg.get("ts"))
        native, rid = str(msg["_id"]), str(msg["rid"])
        if at is None:
            self.ctx.skip(label, "message without a readable ts")
        elif msg.get("_hidden"):
            self.ctx.skip(label, "earlier version of an edited message (_hidden)")
        elif rid in self.private:
            self.ctx.skip(label, f"message in a {self.private[rid]} room (private conversations are "
                                 "not read)")
        elif dedupe and native in self.seen:
            self.ctx.skip(label, "message already read from another page")
        else:
            if dedupe:
                self.seen.add(native)
            author = self._author(msg.get("u"), bool(msg.get("bot")))
            if author is None:
                self.ctx.skip(label, "message without a user (u._id)")
            else:
                self._write(msg, native, self._place(rid, None), at, author, label)

    def _write(self, msg: dict[str, Any], native: str, room: _Room, at: float, author: str,
               label: str) -> None:
        kind = msg.get("t")
        kind = kind if isinstance(kind, str) else None  # a system type is a name; anything else: none
        if kind:
            reacted = sum(len(r["usernames"]) for r in (msg.get("reactions") or {}).values()
                          if isinstance(r, dict) and isinstance(r.get("usernames"), list)
                          ) if isinstance(msg.get("reactions"), dict) else 0
            if reacted:
                self.ctx.skip(label, "reaction on a system message (not a post)", reacted)
            category = "membership" if kind in MEMBERSHIP else "system"
            self.out.event(native=native, category=category, kind=MEMBERSHIP.get(kind, kind),
                           at=iso_from_epoch(at), member_id=author, place_id=room.place_id)
            self.out.member(author).seen(at)
            return
        text, parent = str(msg.get("msg") or ""), msg.get("tmid")
        if isinstance(parent, str) and parent:
            thread_id = self.threads.get(parent)
            if thread_id is None:  # its parent is not (yet) read: the thread starts here
                thread_id = self.threads[parent] = self.out.id("t", parent)
                self.out.thread(thread_id, parent, room.place_id, iso_from_epoch(at), None, None)
            post_id = self.out.message(native=native, place_id=room.place_id, at=iso_from_epoch(at),
                                       seconds=at, author=author, text=text, flow=None,
                                       thread_id=thread_id, reply_post=self.out.id("p", parent))
        else:
            self.out_of_order += at < room.last
            room.last = max(room.last, at)
            mentions = msg.get("mentions")
            mentions = mentions if isinstance(mentions, list) else []
            mentioned = [self.out.id("u", str(m["_id"])) for m in mentions
                         if isinstance(m, dict) and m.get("_id") and m.get("username") not in NOT_PEOPLE]
            post_id = self.out.message(native=native, place_id=room.place_id, at=iso_from_epoch(at),
                                       seconds=at, author=author, text=text, flow=room.flow,
                                       mentioned=mentioned)
            self.threads[native] = self.out.threads[room.place_id]
        self._reactions(msg.get("reactions"), native, post_id)

    def _reactions(self, reactions: Any, native: str, post_id: str) -> None:
        for emoji, r in (reactions.items() if isinstance(reactions, dict) else []):
            names = r.get("usernames") if isinstance(r, dict) else None
            for i, name in enumerate(names if isinstance(names, list) else [], 1):
                member = self.usernames.get(str(name))
                self.out.reaction(native=f"{native}:{emoji}:{i}", post_id=post_id, member_id=member,
                                  kind=str(emoji).strip(":"), at=None)
