"""Canonical rows of a Reddit dump: one decoded Pushshift / Arctic Shift object at a time.

:class:`RedditRows` turns a submission (``RS_``) or a comment (``RC_``) object into ``posts``,
``threads``, ``places``, ``events`` and (at the end) ``members`` rows; ``docs/sources/reddit.md``
has the whole mapping and the rules. Its state grows with the distinct subreddits and authors,
and by 8 bytes per post and per thread (:class:`IdSet`: repeated ids are dropped, a thread is
written once), never with the text read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from communitas.identities import bot_name_reason
from communitas.sources.base import Batch, ReadContext
from communitas.sources.columns import ARROW_TYPES, repeated

DELETED = "[deleted]"
REMOVED = "[removed]"
GONE_BODIES = frozenset({DELETED, REMOVED})
MAX_EPOCH = 1e11  # seconds: the year 5138
KNOWN_BOTS = frozenset({"automoderator"})
# A user name ending in "bot" (RemindMeBot, autowikibot, some_bot), but not a name like "Abbot".
_BOT_SUFFIX = re.compile(r"bots?$", re.I)
_NOT_BOT = re.compile(r"(abbot|talbot|cabot|robot)$", re.I)

COLUMNS: dict[str, tuple[str, ...]] = {
    "places": ("place_id", "native_id", "kind", "name"),
    "threads": ("thread_id", "native_id", "place_id", "title", "author_id", "created_at"),
    "thread_places": ("thread_id", "place_id", "position"),
    "posts": ("post_id", "native_id", "thread_id", "author_id", "created_at", "reply_to_post_id",
              "kind", "is_contribution", "length", "score", "body"),
    "events": ("event_id", "category", "kind", "created_at", "member_id", "post_id", "thread_id",
               "place_id"),
    "members": ("member_id", "native_id", "display_name", "joined_at", "last_seen_at", "is_bot",
                "is_system", "is_staff", "is_moderator"),
}


def is_bot_name(name: str) -> bool:
    """The Reddit bot rule: AutoModerator, a name ending in "bot"/"bots" (not Abbot, Talbot,
    Cabot, Robot), or the shared automation rule of :func:`communitas.identities.bot_name_reason`.

    >>> [is_bot_name(n) for n in ("AutoModerator", "RemindMeBot", "autowikibot", "Abbot", "alice")]
    [True, True, True, False, False]
    """
    return (name.lower() in KNOWN_BOTS or (bool(_BOT_SUFFIX.search(name)) and not _NOT_BOT.search(name))
            or bot_name_reason(name) is not None)


class IdSet:
    """A set of 64-bit integers at ~8 bytes each: a sorted NumPy array plus a small buffer.

    >>> s = IdSet(buffer=2)
    >>> [s.add(x) for x in (5, 3, 5, 9, 3, 1)]
    [True, True, False, True, False, True]
    >>> 9 in s, 4 in s, len(s)
    (True, False, 4)
    """

    def __init__(self, buffer: int = 100_000) -> None:
        self._sorted = np.empty(0, dtype=np.int64)
        self._recent: set[int] = set()
        self._buffer = buffer

    def __contains__(self, value: int) -> bool:
        if value in self._recent:
            return True
        i = int(np.searchsorted(self._sorted, value))
        return i < len(self._sorted) and int(self._sorted[i]) == value

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)

    def add(self, value: int) -> bool:
        """Add ``value``; False when it was already there."""
        if value in self:
            return False
        self._recent.add(value)
        if len(self._recent) >= self._buffer:
            fresh = np.fromiter(self._recent, dtype=np.int64, count=len(self._recent))
            merged = np.concatenate((self._sorted, fresh))
            self._sorted = merged  # the old array is freed here, before the sort
            merged.sort()  # in place: the merge holds at most the old and the new array
            self._recent = set()
        return True


@dataclass(slots=True)
class Author:
    member_id: str
    display_name: str
    first_at: float
    last_at: float
    joined_at: float | None = None
    is_staff: bool = False
    is_moderator: bool = False


def bare_id(value: Any) -> str | None:
    """A Reddit id (``"c2"``, ``"t1_c2"``) without its type prefix, lower-cased, or None when it is
    not one (1 to 12 base-36 digits, so that it fits 64 bits).

    >>> bare_id("t1_C2"), bare_id("c2"), bare_id("t3_"), bare_id(7), bare_id("x" * 13), bare_id("a-b")
    ('c2', 'c2', None, None, None, None)
    """
    if not isinstance(value, str):
        return None
    text = value[3:] if value[:1] == "t" and value[2:3] == "_" else value
    if not 0 < len(text) <= 12 or not text.isalnum() or not text.isascii():
        return None
    return text.lower()


def epoch(value: Any) -> float | None:
    """``created_utc`` as seconds: an int, a float or a numeric string (some 2015-17 dumps), from
    1970 to 5138 (a NaN, an infinity or a number out of that range is no time).

    >>> epoch(1134365188), epoch("1134365188"), epoch("NaN"), epoch(1e300), epoch(True), epoch("x")
    (1134365188.0, 1134365188.0, None, None, None, None)
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
    except (ValueError, OverflowError):
        return None
    return seconds if 0 <= seconds < MAX_EPOCH else None


class RedditRows:
    """Builds the canonical rows of one Reddit source. See the module docstring."""

    def __init__(self, ctx: ReadContext, batch_rows: int = 20_000) -> None:
        self.ctx = ctx
        self.sid = ctx.source_id
        self.batch_rows = batch_rows
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in COLUMNS}
        self.places: dict[str, str] = {}  # lower-cased subreddit -> place id
        self.authors: dict[str, Author] = {}  # lower-cased user name -> what we know
        self.comments, self.submissions, self.threads = IdSet(), IdSet(), IdSet()
        self.counts = {"comments": 0, "submissions": 0, "anonymous": 0, "gone_text": 0,
                       "late_submissions": 0}

    def id(self, letter: str, native: str) -> str:
        return f"{self.sid}:{letter}:{native}"

    # -- one object --------------------------------------------------------------------------

    def comment(self, obj: dict[str, Any], where: str) -> None:
        common = self._common(obj, where, self.comments)
        if common is None:
            return
        native, at, place_id = common
        link = bare_id(obj.get("link_id"))
        if link is None:
            self.ctx.skip(where, "comment without a valid link_id (its thread)")
            return
        thread_id = f"{self.sid}:t:t3_{link}"
        if self.threads.add(int(link, 36)):  # a thread whose submission is not (yet) read
            self._thread(thread_id, f"t3_{link}", place_id, None, None, at)
        parent = obj.get("parent_id")
        parent_id = bare_id(parent)
        reply = None
        if parent_id is not None and str(parent).startswith("t1_"):
            reply = f"{self.sid}:p:t1_{parent_id}"
        elif parent_id is not None and self.submissions and int(parent_id, 36) in self.submissions:
            reply = f"{self.sid}:p:t3_{parent_id}"
        self._post(obj, native, at, thread_id, place_id, reply, "reply", obj.get("body"))
        self.counts["comments"] += 1

    def submission(self, obj: dict[str, Any], where: str) -> None:
        common = self._common(obj, where, self.submissions)
        if common is None:
            return
        native, at, place_id = common
        thread_id = self.id("t", native)
        author = self._author(obj, at)
        title = obj.get("title") if isinstance(obj.get("title"), str) else None
        if self.threads.add(int(native[3:], 36)):
            self._thread(thread_id, native, place_id, title, author, at)
        else:
            self.counts["late_submissions"] += 1
        self._post(obj, native, at, thread_id, place_id, None, "topic", obj.get("selftext"), author)
        self.counts["submissions"] += 1

    def _common(self, obj: dict[str, Any], where: str, seen: IdSet) -> tuple[str, float, str] | None:
        """(fullname, created seconds, place id) of an object, or None (skipped and counted)."""
        native = bare_id(obj.get("id")) or bare_id(obj.get("name"))
        if native is None:
            self.ctx.skip(where, "no valid id (a base-36 Reddit id)")
            return None
        at = epoch(obj.get("created_utc"))
        if at is None:
            self.ctx.skip(where, "no valid created_utc (Unix seconds)")
            return None
        sub = obj.get("subreddit")
        if not isinstance(sub, str) or not sub:
            self.ctx.skip(where, "no subreddit")
            return None
        if not seen.add(int(native, 36)):
            self.ctx.skip(where, "repeated id (already read; first copy kept)")
            return None
        return ("t1_" if seen is self.comments else "t3_") + native, at, self._place(sub)

    def _thread(self, thread_id: str, native: str, place_id: str, title: str | None, author: str | None,
                at: float) -> None:
        self.rows["threads"].append((thread_id, native, place_id, title, author, at))
        self.rows["thread_places"].append((thread_id, place_id, 0))

    def _place(self, sub: str) -> str:
        key = sub.lower()
        place_id = self.places.get(key)
        if place_id is None:
            place_id = self.places[key] = self.id("c", key)
            self.rows["places"].append((place_id, key, "subreddit", sub))
        return place_id

    def _author(self, obj: dict[str, Any], at: float) -> str | None:
        name = obj.get("author")
        if not isinstance(name, str) or not name or name == DELETED:
            self.counts["anonymous"] += 1
            return None
        key = name.lower()
        info = self.authors.get(key)
        if info is None:
            member_id = self.id("u", self.ctx.hash_identifier(key)[:16])
            info = self.authors[key] = Author(member_id, name, at, at)
        elif at < info.first_at:
            info.first_at = at
        elif at > info.last_at:
            info.last_at = at
        joined = epoch(obj.get("author_created_utc"))
        if joined is not None:
            info.joined_at = joined
        distinguished = obj.get("distinguished")
        info.is_moderator = info.is_moderator or distinguished == "moderator"
        info.is_staff = info.is_staff or distinguished == "admin"
        return info.member_id

    def _post(self, obj: dict[str, Any], native: str, at: float, thread_id: str, place_id: str,
              reply: str | None, kind: str, text: Any, author: str | None = None) -> None:
        post_id = self.id("p", native)
        if kind != "topic":
            author = self._author(obj, at)
        body = text if isinstance(text, str) else None
        if body in GONE_BODIES:
            category, what = ("moderation", "removed") if body == REMOVED else ("edit", "deleted")
            self._event(native, category, what, at, author, post_id, thread_id, place_id)
            self.counts["gone_text"] += 1
            body = None
        edited = obj.get("edited")
        if edited and not isinstance(edited, str):
            when = epoch(edited)
            self._event(native, "edit", "edit_body", when if when and when > 1 else None,
                        author, post_id, thread_id, place_id)
        if obj.get("stickied") is True:
            self._event(native, "moderation", "sticky", None, None, post_id, thread_id, place_id)
        score = obj.get("score")
        self.rows["posts"].append((
            post_id, native, thread_id, author, at, reply, kind, True, len(body or ""),
            score if isinstance(score, int) and not isinstance(score, bool) and abs(score) < 2**31 else None,
            body if self.ctx.keep_bodies else None))

    def _event(self, native: str, category: str, kind: str, at: float | None, member: str | None,
               post_id: str, thread_id: str, place_id: str) -> None:
        self.rows["events"].append((self.id("e", f"{native}:{kind}"), category, kind, at, member,
                                    post_id, thread_id, place_id))

    # -- batches -------------------------------------------------------------------------------

    def full(self) -> Iterator[Batch]:
        for table, rows in self.rows.items():
            if len(rows) >= self.batch_rows:
                yield self._take(table)

    def finish(self) -> Iterator[Batch]:
        """Members, then every buffered batch."""
        for a in self.authors.values():
            self.rows["members"].append((
                a.member_id, a.member_id.rsplit(":", 1)[1], a.display_name,
                a.joined_at, a.last_at,
                is_bot_name(a.display_name), False, a.is_staff, a.is_moderator))
            yield from self.full()
        for table, rows in self.rows.items():
            if rows:
                yield self._take(table)

    def _take(self, table: str) -> Batch:
        """The rows of ``table`` as Arrow columns; times (epoch seconds) as UTC timestamps."""
        rows, self.rows[table] = self.rows[table], []
        cols: dict[str, Any] = {}
        for name, values in zip(COLUMNS[table], zip(*rows, strict=True), strict=True):
            if name.endswith("_at"):
                micros = [None if v is None else round(v * 1_000_000) for v in values]
                cols[name] = pa.array(micros, pa.int64()).cast(ARROW_TYPES["TIMESTAMPTZ"])
            else:
                cols[name] = list(values)
        cols["source_id"] = repeated(self.sid, len(rows))
        return Batch(table, cols)
