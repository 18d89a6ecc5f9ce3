"""Discourse API objects → canonical rows (see ``docs/sources/discourse.md`` for the mapping).

:class:`Collector` takes one decoded JSON object at a time (a topic, a post, a topic list, a
category list) and streams out posts, events and reactions as they come; what needs the whole
dump (threads, places, members, reply targets that appear later) is kept small — a few values
per topic, member and post number — and emitted by :meth:`Collector.finish`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from communitas.sources.base import Batch, BatchBuilder, ReadContext

# Post action types (Discourse's PostActionType ids; 100 is the Q&A plugin's vote).
ACTION_KINDS = {1: "bookmark", 2: "like", 3: "flag_off_topic", 4: "flag_inappropriate",
                6: "flag_notify_user", 7: "flag_notify_moderators", 8: "flag_spam", 100: "qa_vote"}
REGULAR, MODERATOR_ACTION, SMALL_ACTION, WHISPER = 1, 2, 3, 4
SYSTEM_USER_ID, DISCOBOT_USER_ID = -1, -2
def as_int(value: Any) -> int | None:
    """An integer id, or None for anything else (bools are not ids).

    >>> as_int(5), as_int("7"), as_int(True), as_int("x"), as_int(None)
    (5, 7, None, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.lstrip("-").isdigit() and len(value) < 20:
        value = int(value)
    if isinstance(value, int) and -(2**63) < value < 2**63:  # what the store can hold
        return value
    return None


def records(value: Any) -> list[dict[str, Any]]:
    """The objects of a list the API says holds objects (anything else in their place: none).

    >>> records([{"id": 2}, 3, "x"]), records(149), records(None)
    ([{'id': 2}], [], [])
    """
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


@dataclass
class Topic:
    """What is known of one topic; filled from topic files, post files and topic lists."""

    title: str | None = None
    category_id: int | None = None
    created_at: str | None = None
    author: int | None = None
    views: int | None = None
    closed: bool = False
    archived: bool = False
    closed_at: str | None = None
    tags: list[str] = field(default_factory=list)
    accepted_post: int | None = None  # a post id
    accepted_number: int | None = None  # a post number, resolved at the end
    has_posts: bool = False
    first_seen: str | None = None  # earliest post time, when post 1 is missing
    title_at: str | None = None  # updated_at of the post file the title came from


@dataclass
class Member:
    username: str | None
    joined_at: str | None
    last_seen_at: str | None
    staff: bool
    moderator: bool


def _tag_names(raw: Any) -> list[str]:
    """Tags as names: plain strings (older Discourse) or ``{"name": ...}`` objects (newer)."""
    out = []
    for t in raw or []:
        name = t.get("name") if isinstance(t, dict) else t
        if isinstance(name, str) and name:
            out.append(name)
    return out


class Collector:
    """Accumulates a dump, one API object at a time. See the module docstring."""

    def __init__(self, ctx: ReadContext, batch_rows: int = 5_000) -> None:
        self.ctx = ctx
        sid = ctx.source_id
        self.p_, self.t_, self.u_, self.c_ = f"{sid}:p:", f"{sid}:t:", f"{sid}:u:", f"{sid}:c:"
        self.out = BatchBuilder(batch_rows)
        self.topics: dict[int, Topic] = {}
        self.members: dict[int, Member] = {}
        self.categories: dict[int, dict[str, Any]] = {}
        self.category_names: dict[int, str] = {}
        self.numbers: dict[tuple[int, int], int] = {}  # (topic, post number) -> post id
        self.pending: list[dict[str, Any]] = []  # posts whose reply target is not seen yet
        self.seen_posts: set[int] = set()
        self.topic_files: set[int] = set()
        self.unresolved_replies = 0
        self.accepted: set[int] = set()  # posts given their 'accept' reaction

    # -- inputs ----------------------------------------------------------------------------
    def topic(self, obj: dict[str, Any], label: str) -> None:
        """A ``/t/<id>.json`` response: the topic and its post stream."""
        tid = as_int(obj.get("id"))
        posts = (obj.get("post_stream") or {}).get("posts")
        if tid is None or not isinstance(posts, list):
            self.ctx.skip(label, "topic without an id or a post stream")
            return
        if tid in self.topic_files:
            self.ctx.skip(label, "posts of a topic already read from another file",
                          max(len(posts), 1))
            return
        self.topic_files.add(tid)
        t = self.topics.setdefault(tid, Topic())
        self._topic_fields(t, obj)
        t.author = as_int(obj.get("user_id")) or t.author
        accepted = obj.get("accepted_answer")
        if isinstance(accepted, dict):
            t.accepted_number = as_int(accepted.get("post_number"))
        t.accepted_post = as_int(obj.get("accepted_answer_post_id")) or t.accepted_post
        for p in posts:
            if isinstance(p, dict):
                self.post(p, label, tid)
            else:
                self.ctx.skip(label, "post that is not a JSON object")

    def topic_list(self, topics: list[Any], label: str) -> None:
        """Topic summaries (``/latest.json``, ``/c/<slug>.json``): metadata for threads only."""
        for s in topics:
            tid = as_int(s.get("id")) if isinstance(s, dict) else None
            if tid is None:
                self.ctx.skip(label, "topic summary without an id")
                continue
            if tid in self.topic_files:
                continue  # the topic file is authoritative
            t = self.topics.setdefault(tid, Topic())
            self._topic_fields(t, s)
            if s.get("has_accepted_answer") and t.accepted_post is None:
                t.accepted_post = as_int(s.get("accepted_answer_post_id"))

    def category_list(self, categories: list[Any], label: str) -> None:
        """``/categories.json``: names, slugs, parents and topic counts of categories."""
        for c in categories:
            cid = as_int(c.get("id")) if isinstance(c, dict) else None
            if cid is None:
                self.ctx.skip(label, "category without an id")
                continue
            self.categories[cid] = c
            self.category_list(c.get("subcategory_list") or [], label)

    def _topic_fields(self, t: Topic, obj: dict[str, Any]) -> None:
        t.title = obj.get("title") or t.title
        t.category_id = as_int(obj.get("category_id")) or t.category_id
        t.created_at = obj.get("created_at") or t.created_at
        views = as_int(obj.get("views"))
        t.views = views if views is not None else t.views
        t.closed = bool(obj.get("closed")) or t.closed
        t.archived = bool(obj.get("archived")) or t.archived
        t.tags = _tag_names(obj.get("tags")) or t.tags

    # -- posts -----------------------------------------------------------------------------
    def post(self, p: dict[str, Any], label: str, topic_id: int | None = None) -> None:
        """One post object (from a topic's stream or a ``/posts/<id>.json`` file)."""
        pid, number = as_int(p.get("id")), as_int(p.get("post_number"))
        tid = topic_id if topic_id is not None else as_int(p.get("topic_id"))
        created = p.get("created_at")
        if pid is None or number is None or tid is None or not isinstance(created, str):
            self.ctx.skip(label, "post without id, topic_id, post_number or created_at")
            return
        if pid in self.seen_posts:
            self.ctx.skip(label, "same post id saved twice (first copy kept)")
            self._retitle(p, tid)
            return
        self.seen_posts.add(pid)
        ptype = as_int(p.get("post_type")) or REGULAR
        if ptype == WHISPER:
            self.ctx.skip(label, "whisper (staff-only post), excluded")
            return
        if p.get("deleted_at"):
            self.ctx.skip(label, "deleted post (visible to staff only), excluded")
            return
        uid = self._member(p, created)
        t = self.topics.setdefault(tid, Topic())
        t.has_posts = True
        if t.first_seen is None or created < t.first_seen:
            t.first_seen = created
        if ptype in (SMALL_ACTION, MODERATOR_ACTION):
            self._event(p, pid, tid, uid, created, ptype, t)
            return
        self._post_topic_fields(p, t, uid, number, pid, created)
        self.numbers[(tid, number)] = pid
        row = self._post_row(p, pid, tid, uid, created, number)
        target = as_int(p.get("reply_to_post_number")) or (1 if number > 1 else None)
        if target is None:
            self.out.add("posts", **row)
        elif (tid, target) in self.numbers:
            row["reply_to_post_id"] = self.p_ + str(self.numbers[(tid, target)])
            self.out.add("posts", **row)
        else:
            row["_target"] = (tid, target)
            self.pending.append(row)
        self._reactions(p, pid)
        if p.get("accepted_answer") is True:
            t.accepted_post = pid

    def _retitle(self, p: dict[str, Any], tid: int | None) -> None:
        """A later copy of a post file may carry the topic's newer title (topics get renamed)."""
        t = self.topics.get(tid) if tid is not None else None
        stamp = p.get("updated_at")
        if t is not None and isinstance(stamp, str) and p.get("topic_title") and tid not in self.topic_files \
                and stamp > (t.title_at or ""):
            t.title, t.title_at = p["topic_title"], stamp

    def _post_topic_fields(self, p: dict[str, Any], t: Topic, uid: int | None, number: int,
                           pid: int, created: str) -> None:
        if not t.title:
            t.title, t.title_at = p.get("topic_title"), p.get("updated_at")
        elif t.title_at is not None:
            self._retitle(p, as_int(p.get("topic_id")))
        t.category_id = t.category_id or as_int(p.get("category_id"))
        if number == 1:
            t.author = t.author if t.author is not None else uid
            t.created_at = t.created_at or created

    def _post_row(self, p: dict[str, Any], pid: int, tid: int, uid: int | None, created: str,
                  number: int) -> dict[str, Any]:
        body = p.get("raw")
        if not isinstance(body, str):
            cooked = p.get("cooked")
            body = cooked if isinstance(cooked, str) else ""
        likes = sum(as_int(a.get("count")) or 0 for a in records(p.get("actions_summary"))
                    if a.get("id") == 2)
        return {"post_id": self.p_ + str(pid), "source_id": self.ctx.source_id,
                "native_id": str(pid), "thread_id": self.t_ + str(tid),
                "author_id": None if uid is None else self.u_ + str(uid), "created_at": created,
                "reply_to_post_id": None, "kind": "topic" if number == 1 else "reply",
                "is_contribution": True, "length": len(body), "score": likes,
                "body": body if self.ctx.keep_bodies else None}

    def _event(self, p: dict[str, Any], pid: int, tid: int, uid: int | None, created: str,
               ptype: int, t: Topic) -> None:
        code = p.get("action_code")
        kind = code if isinstance(code, str) and code else (
            "moderator_action" if ptype == MODERATOR_ACTION else "small_action")
        if kind in ("closed.enabled", "autoclosed.enabled", "archived.enabled"):
            t.closed_at = t.closed_at or created
        self.out.add("events", event_id=f"{self.ctx.source_id}:e:{pid}", source_id=self.ctx.source_id,
                     category="moderation", kind=kind, created_at=created,
                     member_id=None if uid is None else self.u_ + str(uid), post_id=None,
                     thread_id=self.t_ + str(tid), place_id=None, target_id=None,
                     detail=(p.get("raw") or p.get("cooked") or None) if self.ctx.keep_bodies else None)

    def _reactions(self, p: dict[str, Any], pid: int) -> None:
        post_id, r_ = self.p_ + str(pid), f"{self.ctx.source_id}:r:{pid}:"
        for a in records(p.get("actions_summary")):
            n = as_int(a.get("count"))
            if not n or n < 0:
                continue
            kind = ACTION_KINDS.get(as_int(a.get("id")) or 0, f"action_{a.get('id')}")
            self._reaction(f"{r_}{kind}", post_id, None, kind, float(n))
        for r in records(p.get("reactions")):
            n = as_int(r.get("count"))
            if not n or n < 0 or not r.get("id"):
                continue
            kind = f"emoji:{r['id']}"
            self._reaction(f"{r_}{kind}", post_id, None, kind, float(n))
        if p.get("accepted_answer") is True:
            self._accept(pid)

    def _accept(self, pid: int) -> None:
        if pid not in self.accepted:
            self.accepted.add(pid)
            self._reaction(f"{self.ctx.source_id}:r:{pid}:accept", self.p_ + str(pid), None, "accept")

    def _reaction(self, rid: str, post_id: str, member: str | None, kind: str, n: float = 1.0) -> None:
        """One row; an anonymous count (``n`` likes) stays one row with ``value`` n: a file saying
        "count": 50000000 must not become fifty million rows."""
        self.out.add("reactions", reaction_id=rid, source_id=self.ctx.source_id, post_id=post_id,
                     member_id=member, kind=kind, created_at=None, value=n)

    def _member(self, p: dict[str, Any], created: str) -> int | None:
        uid = as_int(p.get("user_id"))
        if uid is None:
            return None
        m = self.members.get(uid)
        staff = bool(p.get("staff") or p.get("admin"))
        if m is None:
            self.members[uid] = Member(p.get("username"), p.get("user_created_at"), created,
                                       staff, bool(p.get("moderator")))
            return uid
        if m.last_seen_at is None or created >= m.last_seen_at:  # the latest post says the latest flags
            m.last_seen_at = created
            m.staff, m.moderator = staff, bool(p.get("moderator"))
            m.username = p.get("username") or m.username
        m.joined_at = m.joined_at or p.get("user_created_at")
        return uid

    # -- the end ---------------------------------------------------------------------------
    def full(self) -> Iterator[Batch]:
        return self.out.full()

    def finish(self) -> Iterator[Batch]:
        """Resolve late reply targets, then emit threads, places and members."""
        for row in self.pending:
            target = self.numbers.get(row.pop("_target"))
            if target is None:
                self.unresolved_replies += 1
            row["reply_to_post_id"] = None if target is None else self.p_ + str(target)
            self.out.add("posts", **row)
        self.pending.clear()
        if self.unresolved_replies:
            self.ctx.warn(f"{self.unresolved_replies} replies answer a post that is not in this dump "
                          "(or was a whisper/deleted); they are kept without a reply target.")
        self._threads()
        self._places()
        self._members()
        yield from self.out.drain()

    def _threads(self) -> None:
        sid = self.ctx.source_id
        listed_only = 0
        for tid, t in self.topics.items():
            if not t.has_posts:
                listed_only += 1
                continue
            if t.accepted_post is None and t.accepted_number is not None:
                t.accepted_post = self.numbers.get((tid, t.accepted_number))
            if t.accepted_post is not None and t.accepted_post in self.seen_posts:
                self._accept(t.accepted_post)
            status = "closed" if t.closed or t.archived else (
                "accepted" if t.accepted_post is not None else "open")
            place = None if t.category_id is None else self.c_ + str(t.category_id)
            self.out.add("threads", thread_id=self.t_ + str(tid), source_id=sid, native_id=str(tid),
                         place_id=place, title=t.title,
                         author_id=None if t.author is None else self.u_ + str(t.author),
                         created_at=t.created_at or t.first_seen, status=status,
                         accepted_post_id=None if t.accepted_post is None else self.p_ + str(t.accepted_post),
                         closed_at=t.closed_at, duplicate_of=None, view_count=t.views)
            names = ([place] if place else []) + [f"{sid}:tag:{g}" for g in t.tags]
            for i, pl in enumerate(names):
                self.out.add("thread_places", thread_id=self.t_ + str(tid), place_id=pl,
                             source_id=sid, position=i)
        if listed_only:
            self.ctx.warn(f"{listed_only} topics appear only in topic lists (none of their posts "
                          "are in this dump); they are not threads here.")

    def _places(self) -> None:
        sid = self.ctx.source_id
        site = f"{sid}:site"
        self.out.add("places", place_id=site, source_id=sid, native_id=self.ctx.info.name,
                     kind="site", name=self.ctx.info.name, parent_id=None, description=None,
                     item_count=None)
        used = {t.category_id for t in self.topics.values() if t.has_posts and t.category_id is not None}
        for cid in sorted(used | set(self.categories)):
            c = self.categories.get(cid, {})
            parent = as_int(c.get("parent_category_id"))
            name = c.get("name") or self.category_names.get(cid) or f"category {cid}"
            self.out.add("places", place_id=self.c_ + str(cid), source_id=sid, native_id=str(cid),
                         kind="category", name=name,
                         parent_id=site if parent is None else self.c_ + str(parent),
                         description=c.get("description_text"), item_count=as_int(c.get("topic_count")))
        tags = sorted({g for t in self.topics.values() if t.has_posts for g in t.tags})
        for g in tags:
            self.out.add("places", place_id=f"{sid}:tag:{g}", source_id=sid, native_id=g, kind="tag",
                         name=g, parent_id=site, description=None, item_count=None)

    def _members(self) -> None:
        sid = self.ctx.source_id
        for uid, m in self.members.items():
            self.out.add("members", member_id=self.u_ + str(uid), source_id=sid, native_id=str(uid),
                         display_name=m.username, joined_at=m.joined_at, last_seen_at=m.last_seen_at,
                         is_bot=uid == DISCOBOT_USER_ID or m.username == "discobot",
                         is_system=uid == SYSTEM_USER_ID or m.username == "system",
                         is_staff=m.staff, is_moderator=m.moderator,
                         score=None,  # a trust level (0-4) is a level, not a reputation
                         account_id=None, email_hash=None)
