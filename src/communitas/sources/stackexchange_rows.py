"""Column mapping for each Stack Exchange dump file: attribute columns in, canonical batches out.

The XML reader (:func:`communitas.sources.xml_rows.iter_row_columns`) hands each file's wanted
attributes as Arrow string columns, a batch of rows at a time; each ``_<file>`` function here
turns one such batch into canonical :class:`~communitas.sources.base.Batch` es with Arrow compute
kernels (no Python work per row, except for the tags of questions and the rare malformed date).
Rows it cannot use are counted with ``ctx.skip`` and left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from communitas.sources.base import Batch, ReadContext
from communitas.sources.columns import repeated, typed

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



Cols = dict[str, pa.Array]
Tags = dict[str, set[str]]  # "used": tags seen on questions, "listed": tags in Tags.xml
_NULL = pa.scalar(None, pa.string())


@dataclass
class FileContext:
    """One dump file being mapped: the source, where to count skips, the tags seen so far."""

    sid: str
    ctx: ReadContext
    label: str  # the file name, for skip counts
    tags: Tags

    def prefix(self, letter: str) -> str:
        return f"{self.sid}:{letter}:"

    def keep(self, cols: Cols, mask: pa.BooleanArray, reason: str) -> Cols:
        """The rows where ``mask`` is true; the others are counted as skipped for ``reason``."""
        bad = len(mask) - (pc.sum(mask).as_py() or 0)
        if not bad:
            return cols
        self.ctx.skip(self.label, reason, bad)
        return {k: v.filter(mask) for k, v in cols.items()}

    def batch(self, table: str, columns: Cols) -> Batch:
        n = len(next(iter(columns.values())))
        columns["source_id"] = constant(self.sid, n)
        return Batch(table, columns, self.label)


def present(values: pa.Array) -> pa.Array:
    """Empty strings as null (an attribute written ``Attr=""`` is as good as missing)."""
    if values.null_count == len(values) or pc.min(pc.binary_length(values)).as_py() > 0:
        return values  # the usual case, found without copying the strings
    return pc.if_else(pc.equal(values, ""), _NULL, values)


def has(values: pa.Array) -> pa.BooleanArray:
    """True where the value is there and not empty."""
    return pc.fill_null(pc.not_equal(values, ""), False)


def prefixed(prefix: str, values: pa.Array) -> pa.Array:
    """``prefix + value``; a missing or empty value stays null.

    >>> prefixed("s:u:", pa.array(["7", "", None])).to_pylist()
    ['s:u:7', None, None]
    """
    return pc.binary_join_element_wise(prefix, present(values), "")


def constant(value: str | bool, n: int) -> pa.Array:
    """``n`` copies of ``value`` (a string is stored once: :func:`~.columns.repeated`)."""
    if isinstance(value, bool):
        return pa.array(np.full(n, value))
    return repeated(value, n)


def mapped(values: pa.Array, names: dict[str, str], fallback: str, prefix: bool = True,
           missing: str = "") -> pa.Array:
    """``names[value]``; otherwise ``fallback + value`` (``fallback`` alone if not ``prefix``).

    A missing value reads as ``missing``.

    >>> mapped(pa.array(["1", "9", None]), {"1": "accept"}, "vote_type_").to_pylist()
    ['accept', 'vote_type_9', 'vote_type_']
    >>> mapped(pa.array(["1", "9"]), {"1": "gold"}, "badge", prefix=False).to_pylist()
    ['gold', 'badge']
    """
    hit = pc.take(pa.array(list(names.values())), pc.index_in(values, value_set=pa.array(list(names))))
    other = pc.binary_join_element_wise(fallback, pc.fill_null(values, missing), "") if prefix else fallback
    return pc.coalesce(hit, other)


def valid_ids(values: pa.Array, signed: bool = False) -> pa.BooleanArray:
    """Dump ids are integers (``signed``: user -1 is the system account); as ``str.isdigit``.

    >>> valid_ids(pa.array(["42", "-1", "x1", None, ""]), signed=True).to_pylist()
    [True, True, False, False, False]
    """
    return pc.fill_null(pc.utf8_is_digit(pc.utf8_ltrim(values, "-") if signed else values), False)


def parsed_times(values: pa.Array) -> tuple[pa.Array, pa.BooleanArray]:
    """The times parsed, and which are valid as :func:`is_time` decides.

    In the usual case (every time in plain shape) Arrow parses them, and staging then keeps them
    as they are; otherwise the text is returned and each value is checked in Python.

    >>> times, ok = parsed_times(pa.array(["2014-01-21T20:26:05.383", None]))
    >>> times.type, ok.to_pylist()
    (TimestampType(timestamp[us, tz=UTC]), [True, False])
    >>> parsed_times(pa.array(["2014-01-21T20:26:05", "2019-02-30T10:00:00"]))[1].to_pylist()
    [True, False]
    """
    times = typed(values, "TIMESTAMPTZ")
    if times is not values:
        return times, pc.is_valid(times)
    return values, pa.array([is_time(v) for v in values.to_pylist()], pa.bool_())


POST_FIELDS = ("Id", "PostTypeId", "ParentId", "AcceptedAnswerId", "CreationDate", "Score",
               "ViewCount", "Body", "OwnerUserId", "Title", "Tags", "ClosedDate")


def _posts(fc: FileContext, c: Cols) -> list[Batch]:
    c = fc.keep(c, valid_ids(c["Id"]), "missing or malformed Id")
    # checked here so a question's thread, post and tags go (or stay) together
    created, ok = parsed_times(c["CreationDate"])
    c = fc.keep({**c, "CreationDate": created}, ok, "missing or malformed CreationDate")
    pid, ptype, parent = c["Id"], c["PostTypeId"], c["ParentId"]
    is_q = pc.fill_null(pc.equal(ptype, "1"), False)
    is_a = pc.fill_null(pc.equal(ptype, "2"), False)
    t_, p_ = fc.prefix("t"), fc.prefix("p")
    body = pc.fill_null(c["Body"], "")
    author = prefixed(fc.prefix("u"), c["OwnerUserId"])
    posts = {
        "post_id": prefixed(p_, pid), "native_id": pid,
        "thread_id": pc.if_else(is_q, prefixed(t_, pid), pc.if_else(is_a, prefixed(t_, parent), _NULL)),
        "author_id": author, "created_at": c["CreationDate"],
        "reply_to_post_id": pc.if_else(is_a, prefixed(p_, parent), _NULL),
        "kind": mapped(ptype, POST_KINDS, "post_type_", missing="None"),
        "is_contribution": pc.or_(is_q, is_a), "length": pc.utf8_length(body), "score": c["Score"],
    }
    if fc.ctx.keep_bodies:
        posts["body"] = body
    q = {k: c[k].filter(is_q) for k in ("Id", "Title", "CreationDate", "AcceptedAnswerId",
                                         "ClosedDate", "ViewCount", "Tags")}
    q["author"] = author.filter(is_q)
    return [fc.batch("posts", posts), *_threads(fc, q)]


def _threads(fc: FileContext, q: Cols) -> list[Batch]:
    """A thread per question, and its tags (in their order) as thread places."""
    tid = prefixed(fc.prefix("t"), q["Id"])
    tag_ = fc.prefix("tag")
    names = [parse_tags(t) for t in q["Tags"].to_pylist()]
    fc.tags["used"].update(t for n in names for t in n)
    closed, accepted = q["ClosedDate"], q["AcceptedAnswerId"]
    status = pc.if_else(has(closed), "closed", pc.if_else(has(accepted), "accepted", "open"))
    threads = {
        "thread_id": tid, "native_id": q["Id"],
        "place_id": pa.array([tag_ + n[0] if n else None for n in names], pa.string()),
        "title": q["Title"], "author_id": q["author"], "created_at": q["CreationDate"],
        "status": status, "accepted_post_id": prefixed(fc.prefix("p"), accepted),
        "closed_at": closed, "view_count": q["ViewCount"],
    }
    counts = np.fromiter((len(n) for n in names), np.int64, len(names))
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    places = {
        "thread_id": tid.take(np.repeat(np.arange(len(names)), counts)),
        "place_id": pa.array([tag_ + t for n in names for t in n], pa.string()),
        "position": pa.array(np.arange(int(counts.sum())) - starts, pa.int32()),
    }
    return [fc.batch("threads", threads), fc.batch("thread_places", places)]


def _comments(fc: FileContext, c: Cols) -> list[Batch]:
    c = fc.keep(c, valid_ids(c["Id"]), "missing or malformed Id")
    text = pc.fill_null(c["Text"], "")
    n = len(text)
    posts = {
        "post_id": prefixed(fc.prefix("c"), c["Id"]), "native_id": c["Id"],
        "author_id": prefixed(fc.prefix("u"), c["UserId"]), "created_at": c["CreationDate"],
        "reply_to_post_id": prefixed(fc.prefix("p"), c["PostId"]), "kind": constant("comment", n),
        "is_contribution": constant(True, n), "length": pc.utf8_length(text), "score": c["Score"],
    }
    if fc.ctx.keep_bodies:
        posts["body"] = text
    return [fc.batch("posts", posts)]


def _users(fc: FileContext, c: Cols) -> list[Batch]:
    c = fc.keep(c, valid_ids(c["Id"], signed=True), "missing or malformed Id")
    uid = c["Id"]
    return [fc.batch("members", {
        "member_id": prefixed(fc.prefix("u"), uid), "native_id": uid,
        "display_name": c["DisplayName"], "joined_at": c["CreationDate"],
        "last_seen_at": c["LastAccessDate"], "is_bot": constant(False, len(uid)),
        "is_system": pc.starts_with(uid, "-"), "score": c["Reputation"],
        "account_id": prefixed("stackexchange-account:", c["AccountId"]),
    })]


def _votes(fc: FileContext, c: Cols) -> list[Batch]:
    c = fc.keep(c, valid_ids(c["Id"]), "missing or malformed Id")
    return [fc.batch("reactions", {
        "reaction_id": prefixed(fc.prefix("v"), c["Id"]),
        "post_id": prefixed(fc.prefix("p"), c["PostId"]),
        "member_id": prefixed(fc.prefix("u"), c["UserId"]),
        "kind": mapped(c["VoteTypeId"], VOTE_KINDS, "vote_type_"),
        "created_at": c["CreationDate"], "value": c["BountyAmount"],
    })]


def _tags(fc: FileContext, c: Cols) -> list[Batch]:
    c = fc.keep(c, has(c["TagName"]), "missing TagName")
    name = c["TagName"]
    fc.tags["listed"].update(name.to_pylist())
    return [fc.batch("places", {
        "place_id": prefixed(fc.prefix("tag"), name), "native_id": name,
        "kind": constant("tag", len(name)), "name": name,
        "parent_id": constant(f"{fc.sid}:site", len(name)), "item_count": c["Count"],
    })]


def _badges(fc: FileContext, c: Cols) -> list[Batch]:
    c = fc.keep(c, valid_ids(c["Id"]), "missing or malformed Id")
    return [fc.batch("events", {
        "event_id": prefixed(fc.prefix("b"), c["Id"]),
        "category": constant("recognition", len(c["Id"])),
        "kind": mapped(c["Class"], BADGE_CLASSES, "badge", prefix=False),
        "created_at": c["Date"], "member_id": prefixed(fc.prefix("u"), c["UserId"]),
        "detail": c["Name"],
    })]


def _posthistory(fc: FileContext, c: Cols) -> list[Batch]:
    c = fc.keep(c, valid_ids(c["Id"]), "missing or malformed Id")
    htype = c["PostHistoryTypeId"]
    return [fc.batch("events", {
        "event_id": prefixed(fc.prefix("h"), c["Id"]),
        "category": mapped(htype, {k: v[0] for k, v in HISTORY_KINDS.items()}, "edit", prefix=False),
        "kind": mapped(htype, {k: v[1] for k, v in HISTORY_KINDS.items()}, "history_type_"),
        "created_at": c["CreationDate"], "member_id": prefixed(fc.prefix("u"), c["UserId"]),
        "post_id": prefixed(fc.prefix("p"), c["PostId"]),
        "detail": pc.if_else(pc.is_in(htype, value_set=pa.array(sorted(DETAIL_KINDS))), c["Comment"], _NULL),
    })]


def _postlinks(fc: FileContext, c: Cols) -> list[Batch]:
    c = fc.keep(c, valid_ids(c["Id"]), "missing or malformed Id")
    return [fc.batch("events", {
        "event_id": prefixed(fc.prefix("l"), c["Id"]),
        "category": constant("link", len(c["Id"])),
        "kind": mapped(c["LinkTypeId"], LINK_KINDS, "link_type_"),
        "created_at": c["CreationDate"], "post_id": prefixed(fc.prefix("p"), c["PostId"]),
        "thread_id": prefixed(fc.prefix("t"), c["PostId"]),
        "target_id": prefixed(fc.prefix("t"), c["RelatedPostId"]),
    })]


Mapper = Callable[[FileContext, Cols], list[Batch]]
# file key -> (the attributes read from each row, the mapping)
# The revision text of every edit: a third of a dump's bytes, never stored (events keep the edit
# comment). It is cut out before parsing (``xml_rows.dropping``), which saves lxml decoding it.
DROPPED = {"posthistory": "Text"}
HANDLERS: dict[str, tuple[tuple[str, ...], Mapper]] = {
    "posts": (POST_FIELDS, _posts),
    "comments": (("Id", "PostId", "Score", "Text", "CreationDate", "UserId"), _comments),
    "users": (("Id", "Reputation", "CreationDate", "DisplayName", "LastAccessDate", "AccountId"),
              _users),
    "votes": (("Id", "PostId", "VoteTypeId", "UserId", "CreationDate", "BountyAmount"), _votes),
    "tags": (("TagName", "Count"), _tags),
    "badges": (("Id", "UserId", "Name", "Date", "Class"), _badges),
    "posthistory": (("Id", "PostHistoryTypeId", "PostId", "CreationDate", "UserId", "Comment"),
                    _posthistory),
    "postlinks": (("Id", "CreationDate", "PostId", "RelatedPostId", "LinkTypeId"), _postlinks),
}
