"""Mattermost's bulk export (``mmctl export create``: JSON Lines, ``import.jsonl`` in the zip),
streamed line by line.

Lines read (``type`` field; everything else is ignored): ``team`` {``name``, ``display_name``,
``description``}, ``channel`` {``team``, ``name``, ``display_name``, ``type``, ``purpose``,
``header``}, ``user`` {``username``, ``email``, ``nickname``, ``first_name``, ``last_name``,
``roles``}, ``post`` {``team``, ``channel``, ``user``, ``message``, ``create_at`` (epoch ms),
``type`` (``system_*`` posts are events), ``props.from_bot`` / ``props.from_webhook``,
``reactions[]`` {``user``, ``emoji_name``, ``create_at``}, ``replies[]`` (the thread, each with
``user``, ``message``, ``create_at``, ``reactions``)}. ``direct_channel`` and ``direct_post``
lines are private conversations: not read, counted. The export has no post ids: a post's native
id is ``<team>/<channel>:<create_at>:<user>`` (``:2``, ``:3`` ... for a second post by the same
user in the same millisecond).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from communitas.sources.base import Batch, ReadContext
from communitas.sources.chat_adjacency import ChannelFlow
from communitas.sources.chat_json import json_lines
from communitas.sources.chat_rows import ChatRows, iso_from_epoch
from communitas.sources.export_file import ExportFile

WHAT = "Mattermost bulk export (JSON Lines)"
FIX = "Export again (mmctl export create) and ingest the zip again."
MEMBERSHIP = {"join_channel": "join", "join_team": "join", "leave_channel": "leave",
              "leave_team": "leave", "add_to_channel": "add", "add_to_team": "add",
              "remove_from_channel": "remove", "remove_from_team": "remove"}
PRIVATE_SKIP = "direct message (private conversations are not read)"
_MENTION = re.compile(r"(?<![\w@.])@([a-z0-9][a-z0-9._-]*[a-z0-9]|[a-z0-9])", re.IGNORECASE)


def system_event(post_type: str) -> tuple[str, str] | None:
    """(category, kind) of a ``system_*`` post type; None for a conversation post.

    >>> system_event("system_join_channel"), system_event(""), system_event("system_header_change")
    (('membership', 'join'), None, ('system', 'header_change'))
    """
    if not post_type.startswith("system_"):
        return None
    kind = post_type[len("system_"):]
    return ("membership", MEMBERSHIP[kind]) if kind in MEMBERSHIP else ("system", kind)


def mentions(text: str, known: dict[str, str]) -> list[str]:
    """Member ids of the ``@username`` s in ``text`` that name a known user (lower-cased)."""
    return [known[m] for name in _MENTION.findall(text) if (m := name.lower()) in known]


@dataclass
class _Channel:
    place_id: str
    flow: ChannelFlow = field(default_factory=ChannelFlow)
    last_key: str = ""
    repeats: int = 0
    last_ms: float = 0.0


@dataclass
class BulkReader:
    """Reads bulk-export files into ``out``; channels and users carry over between files."""

    ctx: ReadContext
    out: ChatRows
    channels: dict[tuple[str, str], _Channel] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # lower-cased username -> member id
    teams: set[str] = field(default_factory=set)
    out_of_order: int = 0

    def read(self, entry: ExportFile) -> Iterator[Batch]:
        label, total, n = entry.label, entry.size(), 0
        position: list[Callable[[], int]] = []
        lines = json_lines(entry, WHAT, FIX, lambda r: self.ctx.skip(label, r), position)
        for n, line in enumerate(lines, 1):
            kind = line.get("type") if isinstance(line, dict) else None
            body = line.get(kind) if isinstance(kind, str) else None
            if kind == "version":
                continue
            if not isinstance(body, dict):
                self.ctx.skip(label, "line without a type and its object")
            elif kind in ("post", "direct_post", "team", "channel", "user"):
                getattr(self, f"_{kind}")(body, label)
            elif kind != "direct_channel":
                self.ctx.skip(label, f"{kind} line (not read)")
            if n % 10_000 == 0:
                self.ctx.report_progress(label, position[0](), total, n)
                yield from self.out.full()
        if self.out_of_order:
            self.ctx.warn(f"{label}: {self.out_of_order} posts are older than the post before them in "
                          "their channel; the reply rules read them in file order.")
        self.ctx.report_progress(label, total, total, n)
        yield from self.out.full()

    def _team(self, team: dict[str, Any], label: str) -> None:
        if not team.get("name"):
            self.ctx.skip(label, "team without a name")
            return
        self._team_place(str(team["name"]), team.get("display_name"), team.get("description"))

    def _team_place(self, name: str, display: Any = None, description: Any = None) -> str:
        place_id = self.out.id("g", name)
        if name not in self.teams:
            self.teams.add(name)
            self.out.place(place_id, name, "team", str(display or name),
                           description=str(description) if description else None)
        return place_id

    def _channel(self, chan: dict[str, Any], label: str) -> None:
        if not chan.get("team") or not chan.get("name"):
            self.ctx.skip(label, "channel without a team or name")
            return
        self._channel_state(str(chan["team"]), str(chan["name"]), chan)

    def _channel_state(self, team: str, name: str, chan: dict[str, Any] | None = None) -> _Channel:
        found = self.channels.get((team, name))
        if found is None:
            chan = chan or {}
            native = f"{team}/{name}"
            place_id = self.out.id("c", native)
            description = chan.get("purpose") or chan.get("header")
            self.out.place(place_id, native, "channel", str(chan.get("display_name") or name),
                           parent_id=self._team_place(team),
                           description=str(description) if description else None)
            found = self.channels[(team, name)] = _Channel(place_id)
        return found

    def _user(self, user: dict[str, Any], label: str) -> None:
        if not user.get("username"):
            self.ctx.skip(label, "user without a username")
            return
        name = str(user["username"])
        full = " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k))
        email = user.get("email")
        member_id = self.users[name.lower()] = self.out.id("u", name)
        self.out.member(member_id, display_name=str(user.get("nickname") or full or name),
                        is_staff="system_admin" in str(user.get("roles") or "").split(),
                        email_hash=self.ctx.hash_identifier(email) if isinstance(email, str) and email
                        else None)

    def _direct_post(self, post: dict[str, Any], label: str) -> None:
        replies = post.get("replies")
        self.ctx.skip(label, PRIVATE_SKIP, 1 + (len(replies) if isinstance(replies, list) else 0))

    def _post(self, post: dict[str, Any], label: str) -> None:
        if not post.get("team") or not post.get("channel"):
            self.ctx.skip(label, "post without a team or channel", _thread_size(post))
            return
        chan = self._channel_state(str(post["team"]), str(post["channel"]))
        root = self._one(post, chan, label, None)
        replies = post.get("replies")
        for reply in replies if isinstance(replies, list) else []:
            if not isinstance(reply, dict):
                self.ctx.skip(label, "reply is not a JSON object")
            elif root is None:
                self.ctx.skip(label, "reply whose thread root was skipped")
            else:
                self._one(reply, chan, label, root)

    def _one(self, post: Any, chan: _Channel, label: str, root: tuple[str, str] | None
             ) -> tuple[str, str] | None:
        """Write one post (or reply to ``root``: (post id, thread id)); its (post id, thread id)."""
        if not isinstance(post, dict) or not post.get("user"):
            self.ctx.skip(label, "post without a user")
            return None
        try:
            ms = float(post["create_at"])
        except (KeyError, TypeError, ValueError):
            self.ctx.skip(label, "post without a readable create_at")
            return None
        user = str(post["user"])
        author = self.users.get(user.lower()) or self.out.id("u", user)
        props: dict[str, Any] = post["props"] if isinstance(post.get("props"), dict) else {}
        if str(props.get("from_bot")) == "true" or str(props.get("from_webhook")) == "true":
            self.out.member(author).is_bot = True
        native, seconds = self._native(chan, f"{chan.place_id.split(':c:', 1)[1]}:{int(ms)}:{user}", ms,
                                       root is None)
        system = system_event(str(post.get("type") or ""))
        if system is not None:
            self.out.event(native=native, category=system[0], kind=system[1], at=iso_from_epoch(seconds),
                           member_id=author, place_id=chan.place_id)
            self.out.member(author).seen(seconds)
            return None
        text = str(post.get("message") or "")
        if root is None:
            post_id = self.out.message(native=native, place_id=chan.place_id, at=iso_from_epoch(seconds),
                                       seconds=seconds, author=author, text=text, flow=chan.flow,
                                       mentioned=mentions(text, self.users))
            found = (post_id, self.out.threads[chan.place_id])
        else:
            post_id = self.out.message(native=native, place_id=chan.place_id, at=iso_from_epoch(seconds),
                                       seconds=seconds, author=author, text=text, flow=None,
                                       thread_id=root[1], reply_post=root[0])
            found = root
        self._reactions(post.get("reactions"), native, post_id)
        return found

    def _native(self, chan: _Channel, key: str, ms: float, top: bool) -> tuple[str, float]:
        """The post's native id (unique in its channel) and its time in seconds; counts top-level
        posts older than the one before them in their channel."""
        if top:
            self.out_of_order += ms < chan.last_ms
            chan.last_ms = max(ms, chan.last_ms)
        chan.repeats = chan.repeats + 1 if key == chan.last_key else 1
        chan.last_key = key
        return (key if chan.repeats == 1 else f"{key}:{chan.repeats}"), ms / 1000

    def _reactions(self, reactions: Any, native: str, post_id: str) -> None:
        for i, r in enumerate(reactions if isinstance(reactions, list) else [], 1):
            if not isinstance(r, dict) or not r.get("user"):
                continue
            user = str(r["user"])
            member = self.users.get(user.lower()) or self.out.id("u", user)
            self.out.member(member)
            try:
                at = iso_from_epoch(float(r["create_at"]) / 1000)
            except (KeyError, TypeError, ValueError):
                at = None
            kind = str(r.get("emoji_name") or "?")
            self.out.reaction(native=f"{native}:{kind}:{i}", post_id=post_id, member_id=member, kind=kind,
                              at=at)


def _thread_size(post: dict[str, Any]) -> int:
    replies = post.get("replies")
    return 1 + (len(replies) if isinstance(replies, list) else 0)
