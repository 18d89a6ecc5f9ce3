"""Row mapping for each Stack Exchange dump file: one attribute mapping in, canonical rows out.

Each ``_<file>`` function takes the source id and the read context and returns the tables it
fills plus a per-row function (a closure, for speed: it runs once per XML row). The per-row
function returns False when it skipped the row (after counting it with ``ctx.skip``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from communitas.sources.base import Batch, ReadContext

POST_KINDS = {
    "1": "question",
    "2": "answer",
    "3": "orphaned_tag_wiki",
    "4": "tag_wiki_excerpt",
    "5": "tag_wiki",
    "6": "moderator_nomination",
    "7": "wiki_placeholder",
    "8": "privilege_wiki",
}

VOTE_KINDS = {
    "1": "accept",
    "2": "upvote",
    "3": "downvote",
    "4": "offensive",
    "5": "favorite",
    "6": "close_vote",
    "7": "reopen_vote",
    "8": "bounty_start",
    "9": "bounty_close",
    "10": "delete_vote",
    "11": "undelete_vote",
    "12": "spam",
    "15": "moderator_review",
    "16": "approve_edit",
}

# PostHistoryTypeId -> (category, kind)
HISTORY_KINDS: dict[str, tuple[str, str]] = {
    "1": ("edit", "initial_title"),
    "2": ("edit", "initial_body"),
    "3": ("edit", "initial_tags"),
    "4": ("edit", "edit_title"),
    "5": ("edit", "edit_body"),
    "6": ("edit", "edit_tags"),
    "7": ("edit", "rollback_title"),
    "8": ("edit", "rollback_body"),
    "9": ("edit", "rollback_tags"),
    "10": ("moderation", "close"),
    "11": ("moderation", "reopen"),
    "12": ("moderation", "delete"),
    "13": ("moderation", "undelete"),
    "14": ("moderation", "lock"),
    "15": ("moderation", "unlock"),
    "16": ("moderation", "community_wiki"),
    "17": ("moderation", "migrated_away"),
    "18": ("moderation", "migrated_here"),
    "19": ("moderation", "protect"),
    "20": ("moderation", "unprotect"),
    "22": ("moderation", "unmerge"),
    "24": ("edit", "suggested_edit_applied"),
    "25": ("edit", "tweeted"),
    "31": ("moderation", "comments_moved_to_chat"),
    "33": ("moderation", "notice_added"),
    "34": ("moderation", "notice_removed"),
    "35": ("moderation", "migrated_away"),
    "36": ("moderation", "migrated_here"),
    "37": ("moderation", "merge_source"),
    "38": ("moderation", "merge_destination"),
    "50": ("edit", "bumped_by_community"),
    "52": ("moderation", "hot_question"),
    "53": ("moderation", "hot_question_removed"),
}
DETAIL_KINDS = {"10", "11", "17", "18", "35", "36"}  # keep Comment (reason code / target)

BADGE_CLASSES = {"1": "gold_badge", "2": "silver_badge", "3": "bronze_badge"}
LINK_KINDS = {"1": "related", "3": "duplicate"}


RowFn = Callable[[Any], bool]
Tags = dict[str, set[str]]  # "used": tags seen on questions, "listed": tags in Tags.xml
Handler = Callable[[str, ReadContext, str, Tags], tuple[list["Rows"], RowFn]]


class Rows:
    """Row tuples for one table, turned into a column batch when asked."""

    def __init__(self, table: str, columns: tuple[str, ...], sid: str, origin: str) -> None:
        self.origin = origin
        self.table = table
        self.columns = columns
        self.sid = sid
        self.rows: list[tuple[Any, ...]] = []
        self.add = self.rows.append

    def batch(self) -> Batch:
        n = len(self.rows)
        cols = zip(*self.rows, strict=True) if n else [()] * len(self.columns)
        data: dict[str, Sequence[Any]] = dict(zip(self.columns, cols, strict=True))
        data["source_id"] = [self.sid] * n
        self.rows = []
        self.add = self.rows.append
        return Batch(self.table, data, self.origin)


def is_native_id(value: str | None) -> bool:
    """Dump ids are integers (user -1 is the system account).

    >>> is_native_id("42"), is_native_id("-1"), is_native_id("x1"), is_native_id(None)
    (True, True, False, False)
    """
    return value is not None and value.lstrip("-").isdigit()


def parse_tags(raw: str | None) -> list[str]:
    """``'<hops><history>'`` or ``'|hops|history|'`` -> ``['hops', 'history']``.

    >>> parse_tags("<hops><history>"), parse_tags("|a|b-c|"), parse_tags(None)
    (['hops', 'history'], ['a', 'b-c'], [])
    """
    if not raw:
        return []
    if raw.startswith("<"):
        return [t for t in raw[1:-1].split("><") if t]
    return [t for t in raw.split("|") if t]


def is_time(value: str | None) -> bool:
    """Dump times are ISO 8601 without offset (UTC).

    >>> is_time("2014-01-21T20:26:05.383"), is_time("2014-13-45T00:00:00"), is_time(None)
    (True, False, False)
    """
    try:
        datetime.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _bad_id(ctx: ReadContext, label: str) -> bool:
    ctx.skip(label, "missing or malformed Id")
    return False


POST_COLS = ("post_id", "native_id", "thread_id", "author_id", "created_at", "reply_to_post_id",
             "kind", "is_contribution", "length", "score", "body")
THREAD_COLS = ("thread_id", "native_id", "place_id", "title", "author_id", "created_at",
               "status", "accepted_post_id", "closed_at", "view_count")


def _posts(sid: str, ctx: ReadContext, label: str, tags: Tags) -> tuple[list[Rows], RowFn]:
    posts = Rows("posts", POST_COLS, sid, label)
    threads = Rows("threads", THREAD_COLS, sid, label)
    tplaces = Rows("thread_places", ("thread_id", "place_id", "position"), sid, label)
    p_, t_, u_, tag_ = f"{sid}:p:", f"{sid}:t:", f"{sid}:u:", f"{sid}:tag:"
    keep = ctx.keep_bodies
    used = tags["used"]

    def row(a: Any) -> bool:
        get = a.get
        pid = get("Id")
        if not (pid and pid.isdigit()):  # inline: runs once per row
            return _bad_id(ctx, label)
        created = get("CreationDate")
        if not is_time(created):  # checked here so a question's thread, post and tags go together
            ctx.skip(label, "missing or malformed CreationDate")
            return False
        ptype = get("PostTypeId")
        owner = get("OwnerUserId")
        author = u_ + owner if owner else None
        body = get("Body") or ""
        kind = POST_KINDS.get(ptype or "") or f"post_type_{ptype}"
        if ptype == "1":
            tid = t_ + pid
            names = parse_tags(get("Tags"))
            first = tag_ + names[0] if names else None
            accepted = get("AcceptedAnswerId")
            closed = get("ClosedDate")
            status = "closed" if closed else ("accepted" if accepted else "open")
            threads.add((tid, pid, first, get("Title"), author, created, status,
                         p_ + accepted if accepted else None, closed, get("ViewCount")))
            for i, tag in enumerate(names):
                tplaces.add((tid, tag_ + tag, i))
                used.add(tag)
            posts.add((p_ + pid, pid, tid, author, created, None, kind, True, len(body),
                       get("Score"), body if keep else None))
        elif ptype == "2":
            parent = get("ParentId")
            posts.add((p_ + pid, pid, t_ + parent if parent else None, author, created,
                       p_ + parent if parent else None, kind, True, len(body), get("Score"),
                       body if keep else None))
        else:
            posts.add((p_ + pid, pid, None, author, created, None, kind, False, len(body),
                       get("Score"), body if keep else None))
        return True

    return [posts, threads, tplaces], row


def _comments(sid: str, ctx: ReadContext, label: str, tags: Tags) -> tuple[list[Rows], RowFn]:
    posts = Rows("posts", POST_COLS, sid, label)
    c_, p_, u_ = f"{sid}:c:", f"{sid}:p:", f"{sid}:u:"
    keep = ctx.keep_bodies

    def row(a: Any) -> bool:
        get = a.get
        cid = get("Id")
        if not (cid and cid.isdigit()):  # inline: runs once per row
            return _bad_id(ctx, label)
        user = get("UserId")
        text = get("Text") or ""
        post = get("PostId")
        posts.add((c_ + cid, cid, None, u_ + user if user else None, get("CreationDate"),
                   p_ + post if post else None, "comment", True, len(text), get("Score"),
                   text if keep else None))
        return True

    return [posts], row


def _users(sid: str, ctx: ReadContext, label: str, tags: Tags) -> tuple[list[Rows], RowFn]:
    members = Rows("members", ("member_id", "native_id", "display_name", "joined_at",
                               "last_seen_at", "is_bot", "is_system", "score", "account_id"), sid, label)
    u_ = f"{sid}:u:"

    def row(a: Any) -> bool:
        get = a.get
        uid = get("Id")
        if not is_native_id(uid):
            return _bad_id(ctx, label)
        account = get("AccountId")
        members.add((u_ + uid, uid, get("DisplayName"), get("CreationDate"),
                     get("LastAccessDate"), False, uid.startswith("-"), get("Reputation"),
                     "stackexchange-account:" + account if account else None))
        return True

    return [members], row


def _votes(sid: str, ctx: ReadContext, label: str, tags: Tags) -> tuple[list[Rows], RowFn]:
    reactions = Rows("reactions", ("reaction_id", "post_id", "member_id", "kind", "created_at",
                                   "value"), sid, label)
    v_, p_, u_ = f"{sid}:v:", f"{sid}:p:", f"{sid}:u:"

    def row(a: Any) -> bool:
        get = a.get
        vid = get("Id")
        if not (vid and vid.isdigit()):  # inline: runs once per row
            return _bad_id(ctx, label)
        vtype = get("VoteTypeId") or ""
        user = get("UserId")
        post = get("PostId")
        reactions.add((v_ + vid, p_ + post if post else None, u_ + user if user else None,
                       VOTE_KINDS.get(vtype) or f"vote_type_{vtype}", get("CreationDate"),
                       get("BountyAmount")))
        return True

    return [reactions], row


def _tags(sid: str, ctx: ReadContext, label: str, tags: Tags) -> tuple[list[Rows], RowFn]:
    places = Rows("places", ("place_id", "native_id", "kind", "name", "parent_id",
                             "item_count"), sid, label)
    tag_, site = f"{sid}:tag:", f"{sid}:site"

    def row(a: Any) -> bool:
        name = a.get("TagName")
        if not name:
            ctx.skip(label, "missing TagName")
            return False
        places.add((tag_ + name, name, "tag", name, site, a.get("Count")))
        tags["listed"].add(name)
        return True

    return [places], row


EVENT_COLS = ("event_id", "category", "kind", "created_at", "member_id", "post_id",
              "thread_id", "target_id", "detail")


def _badges(sid: str, ctx: ReadContext, label: str, tags: Tags) -> tuple[list[Rows], RowFn]:
    events = Rows("events", EVENT_COLS, sid, label)
    b_, u_ = f"{sid}:b:", f"{sid}:u:"

    def row(a: Any) -> bool:
        get = a.get
        bid = get("Id")
        if not (bid and bid.isdigit()):  # inline: runs once per row
            return _bad_id(ctx, label)
        user = get("UserId")
        events.add((b_ + bid, "recognition", BADGE_CLASSES.get(get("Class") or "", "badge"),
                    get("Date"), u_ + user if user else None, None, None, None, get("Name")))
        return True

    return [events], row


def _posthistory(sid: str, ctx: ReadContext, label: str, tags: Tags) -> tuple[list[Rows], RowFn]:
    events = Rows("events", EVENT_COLS, sid, label)
    h_, p_, u_ = f"{sid}:h:", f"{sid}:p:", f"{sid}:u:"

    def row(a: Any) -> bool:
        get = a.get
        hid = get("Id")
        if not (hid and hid.isdigit()):  # inline: runs once per row
            return _bad_id(ctx, label)
        htype = get("PostHistoryTypeId") or ""
        category, kind = HISTORY_KINDS.get(htype) or ("edit", f"history_type_{htype}")
        user = get("UserId")
        post = get("PostId")
        events.add((h_ + hid, category, kind, get("CreationDate"), u_ + user if user else None,
                    p_ + post if post else None, None, None,
                    get("Comment") if htype in DETAIL_KINDS else None))
        return True

    return [events], row


def _postlinks(sid: str, ctx: ReadContext, label: str, tags: Tags) -> tuple[list[Rows], RowFn]:
    events = Rows("events", EVENT_COLS, sid, label)
    l_, p_, t_ = f"{sid}:l:", f"{sid}:p:", f"{sid}:t:"

    def row(a: Any) -> bool:
        get = a.get
        lid = get("Id")
        if not (lid and lid.isdigit()):  # inline: runs once per row
            return _bad_id(ctx, label)
        post, related = get("PostId"), get("RelatedPostId")
        ltype = get("LinkTypeId") or ""
        events.add((l_ + lid, "link", LINK_KINDS.get(ltype) or f"link_type_{ltype}",
                    get("CreationDate"), None, p_ + post if post else None,
                    t_ + post if post else None, t_ + related if related else None, None))
        return True

    return [events], row


HANDLERS: dict[str, Handler] = {
    "posts": _posts,
    "comments": _comments,
    "users": _users,
    "votes": _votes,
    "tags": _tags,
    "badges": _badges,
    "posthistory": _posthistory,
    "postlinks": _postlinks,
}
