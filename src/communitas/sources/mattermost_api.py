"""Mattermost REST API v4 responses saved as files (what Perceval's Mattermost backend fetches):
``/channels/<id>/posts`` pages (``{"order": [...], "posts": {id: post}}``), ``/users/<id>`` and
``/channels/<id>`` objects, one response per file.

Fields read: post ``id``, ``channel_id``, ``user_id``, ``create_at`` (epoch ms), ``root_id`` (the
thread root; empty for a top-level post), ``parent_id``, ``type`` (``system_*``: an event),
``message``, ``props.from_bot`` / ``from_webhook``, ``delete_at``; user ``id``, ``username``,
``email`` (hashed), ``nickname``, ``first_name``, ``last_name``, ``roles``, ``is_bot``; channel
``id``, ``name``, ``display_name``, ``team_id``, ``purpose``, ``header``, ``create_at``.

API pages list posts newest first and may overlap; they are small (at most 200 posts each), so
the posts of all pages are gathered, de-duplicated by id and read in time order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from communitas.sources.base import Batch, ReadContext
from communitas.sources.chat_adjacency import ChannelFlow
from communitas.sources.chat_json import load_whole
from communitas.sources.chat_rows import ChatRows, iso_from_epoch
from communitas.sources.export_file import ExportFile
from communitas.sources.mattermost_bulk import mentions, system_event

WHAT = "Mattermost API response (JSON)"
FIX = "Fetch it again from the API, or remove the file, and ingest again."


@dataclass
class ApiReader:
    """Collects API responses, then writes them: users, channels, posts in time order."""

    ctx: ReadContext
    out: ChatRows
    posts: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)  # id -> (post, file)
    places: dict[str, str] = field(default_factory=dict)  # channel id -> place id
    users: dict[str, str] = field(default_factory=dict)  # lower-cased username -> member id

    def add(self, entry: ExportFile, kind: str) -> None:
        """Read one response file of ``kind`` (posts, user, channel or error)."""
        data = load_whole(entry, WHAT, FIX)
        label = entry.label
        if kind == "error" or not isinstance(data, dict):
            self.ctx.skip(label, "API error response (no data)")
        elif kind == "user":
            self._user(data)
        elif kind == "channel":
            self._place(str(data.get("id") or ""), data)
        else:
            posts: dict[str, Any] = data["posts"] if isinstance(data.get("posts"), dict) else {}
            for key, post in posts.items():
                if not isinstance(post, dict) or not post.get("id"):
                    self.ctx.skip(label, "post without an id")
                elif post["id"] in self.posts:
                    self.ctx.skip(label, "post already read from another page")
                else:
                    self.posts[str(key)] = (post, label)

    def _user(self, user: dict[str, Any]) -> None:
        if not user.get("id"):
            return
        name = str(user.get("username") or user["id"])
        full = " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k))
        email = user.get("email")
        member_id = self.users[name.lower()] = self.out.id("u", str(user["id"]))
        info = self.out.member(member_id)
        info.display_name = str(user.get("nickname") or full or name)
        info.is_bot = info.is_bot or bool(user.get("is_bot"))
        info.is_staff = "system_admin" in str(user.get("roles") or "").split()
        info.email_hash = self.ctx.hash_identifier(email) if isinstance(email, str) and email else None

    def _place(self, native: str, chan: dict[str, Any] | None) -> str:
        found = self.places.get(native)
        if found is None:
            chan = chan or {}
            created = chan.get("create_at")
            description = chan.get("purpose") or chan.get("header")
            found = self.places[native] = self.out.id("c", native)
            name = chan.get("display_name") or chan.get("name") or native
            self.out.place(found, native, "channel", str(name),
                           created_at=iso_from_epoch(created / 1000) if isinstance(created, int) else None,
                           description=str(description) if description else None)
        return found

    def write(self) -> Iterator[Batch]:
        """Every gathered post, oldest first (a thread's root before its replies)."""
        flows: dict[str, ChannelFlow] = {}
        threads: dict[str, str] = {}  # root post id -> thread id
        order = sorted(self.posts.values(), key=lambda p: _ms(p[0]) or 0.0)
        for post, label in order:
            self._post(post, label, flows, threads)
            yield from self.out.full()

    def _post(self, post: dict[str, Any], label: str, flows: dict[str, ChannelFlow],
              threads: dict[str, str]) -> None:
        ms = _ms(post)
        if ms is None or not post.get("user_id") or not post.get("channel_id"):
            self.ctx.skip(label, "post without create_at, user_id or channel_id")
            return
        if post.get("delete_at"):
            self.ctx.skip(label, "deleted post")
            return
        native, seconds, at = str(post["id"]), ms / 1000, iso_from_epoch(ms / 1000)
        place_id = self._place(str(post["channel_id"]), None)
        author = self.out.id("u", str(post["user_id"]))
        props: dict[str, Any] = post["props"] if isinstance(post.get("props"), dict) else {}
        if str(props.get("from_bot")) == "true" or str(props.get("from_webhook")) == "true":
            self.out.member(author).is_bot = True
        system = system_event(str(post.get("type") or ""))
        if system is not None:
            self.out.event(native=native, category=system[0], kind=system[1], at=at, member_id=author,
                           place_id=place_id)
            self.out.member(author).seen(seconds)
            return
        text, root = str(post.get("message") or ""), str(post.get("root_id") or "")
        if not root:
            flow = flows.setdefault(place_id, ChannelFlow())
            self.out.message(native=native, place_id=place_id, at=at, seconds=seconds, author=author,
                             text=text, flow=flow, mentioned=mentions(text, self.users))
            threads[native] = self.out.threads[place_id]
            return
        thread_id = threads.get(root)
        if thread_id is None:  # the root is not in the files read: the thread starts here
            thread_id = threads[root] = self.out.id("t", root)
            self.out.thread(thread_id, root, place_id, at, None, None)
        parent = str(post.get("parent_id") or root)
        self.out.message(native=native, place_id=place_id, at=at, seconds=seconds, author=author,
                         text=text, flow=None, thread_id=thread_id, reply_post=self.out.id("p", parent))


def _ms(post: dict[str, Any]) -> float | None:
    value = post.get("create_at")
    return float(value) if isinstance(value, int | float) and value > 0 else None
