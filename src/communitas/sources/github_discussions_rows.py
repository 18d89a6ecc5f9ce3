"""GitHub Discussions objects -> canonical rows (the mapping is in ``docs/sources/github-discussions.md``).

One discussion at a time (as :meth:`Rows.discussion`), in either shape the source accepts: the
GraphQL API's (``number``, ``bodyHTML``/``body``, ``author{login, __typename}``, ``category``,
``upvoteCount``, ``comments{nodes}``, ``replies{nodes}``, ``answer{id}``, ``answerChosenAt``,
``answerChosenBy``; REST-style snake_case names such as ``created_at`` and ``user`` are read too)
and the flattened one some site builds store (``id`` = number, ``upvotes``, ``author{name}``,
``comments: [...]``, ``replies: null | [...]``, ``answer`` = a copy of the chosen comment with
``chosenAt``/``chosenBy``). Members and places are kept small and written at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from communitas.sources.base import Batch, BatchBuilder, ReadContext

BOT_LOGINS = frozenset({"github-actions", "dependabot", "dependabot-preview", "renovate", "copilot"})
DELETED = frozenset({"ghost"})  # GitHub shows deleted accounts as @ghost
# Posts and reactions are most rows: kept as tuples in this column order, cut into batches.
HOT_COLUMNS = {"posts": ("post_id", "native_id", "thread_id", "author_id", "created_at", "reply_to_post_id",
                         "kind", "is_contribution", "length", "score", "body"),
               "reactions": ("reaction_id", "post_id", "member_id", "kind", "created_at", "value")}
MAX_REACTIONS = 10_000  # per post and kind: a guard against absurd counts


def get(obj: Any, *names: str) -> Any:
    """The first of ``names`` that ``obj`` (a dict) has with a value other than None.

    >>> get({"created_at": "x"}, "createdAt", "created_at"), get(None, "a")
    ('x', None)
    """
    if not isinstance(obj, dict):
        return None
    for n in names:
        if obj.get(n) is not None:
            return obj[n]
    return None


def nodes(value: Any) -> list[Any]:
    """A connection's items: a plain list, ``{"nodes": [...]}`` or ``{"edges": [{"node"}]}``;
    ``None`` (the flattened shape's empty replies) is no items."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        if isinstance(value.get("nodes"), list):
            return value["nodes"]
        if isinstance(value.get("edges"), list):
            return [e.get("node") for e in value["edges"] if isinstance(e, dict)]
    return []


def login_of(author: Any) -> tuple[str | None, bool]:
    """(login, is a bot) of an author object; (None, False) for a deleted account (``{}``, null).

    >>> login_of({"login": "dependabot[bot]"}), login_of({"name": "ann"}), login_of({})
    (('dependabot[bot]', True), ('ann', False), (None, False))
    >>> login_of({"login": "relay", "__typename": "Bot"})
    ('relay', True)
    """
    login = get(author, "login", "name")
    if not isinstance(login, str) or not login or login.lower() in DELETED:
        return None, False
    kind = get(author, "__typename", "type")
    return login, kind == "Bot" or login.lower().endswith("[bot]") or login.lower() in BOT_LOGINS


@dataclass
class _Member:
    login: str
    is_bot: bool
    last_seen: str


class Rows:
    """The canonical rows of one GitHub Discussions source. See the module docstring."""

    def __init__(self, ctx: ReadContext, batch_rows: int = 5_000) -> None:
        self.ctx = ctx
        sid = self.sid = ctx.source_id
        self.p_, self.t_, self.u_ = f"{sid}:p:", f"{sid}:t:", f"{sid}:u:"
        self.out = BatchBuilder(batch_rows)
        self.batch_rows = batch_rows
        self.hot: dict[str, list[tuple[Any, ...]]] = {t: [] for t in HOT_COLUMNS}  # cheap appends
        self.members: dict[str, _Member] = {}  # lower-cased login -> member
        self.repos: set[str] = set()
        self.categories: dict[str, tuple[str, str | None]] = {}  # category key -> (name, repo)
        self.threads: set[str] = set()
        self.counts = {"posts": 0, "deleted_authors": 0, "answers_added": 0, "truncated": 0}

    # -- members ------------------------------------------------------------------------------
    def member(self, author: Any, at: str | None) -> str | None:
        login, is_bot = login_of(author)
        if login is None:
            return None
        key = login.lower()
        m = self.members.get(key)
        if m is None:
            m = self.members[key] = _Member(login, is_bot, at or "")
        m.is_bot = m.is_bot or is_bot
        if at and at > m.last_seen:
            m.last_seen = at
        return self.u_ + key

    # -- discussions --------------------------------------------------------------------------
    def discussion(self, d: Any, label: str) -> None:
        """One discussion with its comments and replies."""
        number = get(d, "number") if isinstance(d, dict) else None
        number = number if number is not None else get(d, "id")
        created = get(d, "createdAt", "created_at")
        if not isinstance(number, int | str) or not str(number).isdigit() or not isinstance(created, str):
            self.ctx.skip(label, "discussion without a number or createdAt")
            return
        native = str(number)
        tid = self.t_ + native
        if tid in self.threads:
            self.ctx.skip(label, "same discussion read twice (first copy kept)")
            return
        self.threads.add(tid)
        place = self._place(d)
        comments = [c for c in nodes(get(d, "comments")) if self._ok(c, label, "comment")]
        answer, answer_key = self._answer(d, comments, label)
        qa = answer is not None or bool(get(get(d, "category"), "isAnswerable", "is_answerable"))
        opener = self.p_ + native
        author = self.member(get(d, "author", "user"), created)
        self._post(opener, native, tid, author, created, None, "question" if qa else "topic", d)
        accepted = None
        for i, c in enumerate(comments):
            cid = self._native(c, f"{native}.{i}")
            post_id = self.p_ + cid
            if answer_key is not None and self._key(c) == answer_key:
                accepted = post_id
            who = self.member(get(c, "author", "user"), get(c, "createdAt", "created_at"))
            self._post(post_id, cid, tid, who, get(c, "createdAt", "created_at"), opener,
                       "answer" if qa else "reply", c)
            self._replies(c, cid, post_id, tid, label)
        total = get(d, "commentTotal", "comments_count")
        total = total if isinstance(total, int) else get(get(d, "comments"), "totalCount")
        if isinstance(total, int) and total > len(comments):
            self.counts["truncated"] += 1
        self._thread(d, tid, native, place, author, created, accepted, answer)

    def _ok(self, c: Any, label: str, what: str) -> bool:
        if not isinstance(c, dict) or not isinstance(get(c, "createdAt", "created_at"), str):
            self.ctx.skip(label, f"{what} without createdAt")
            return False
        return True

    @staticmethod
    def _native(c: dict[str, Any], positional: str) -> str:
        """A comment's node id when the export has one, else its position (``<number>.<i>``)."""
        node = c.get("id")
        return node if isinstance(node, str) and node and not node.isdigit() else positional

    @staticmethod
    def _key(c: Any) -> tuple[Any, ...]:
        """What identifies a comment in a flattened export (no ids): author, time and body."""
        node = get(c, "id")
        if isinstance(node, str) and node and not node.isdigit():
            return ("id", node)
        return (login_of(get(c, "author", "user"))[0], get(c, "createdAt", "created_at"),
                get(c, "bodyHTML", "body", "bodyText"))

    def _answer(self, d: dict[str, Any], comments: list[Any], label: str
                ) -> tuple[dict[str, Any] | None, tuple[Any, ...] | None]:
        """The chosen answer and its key; a flattened answer matching no listed comment (cut by the
        export's 30-comment cap) is added as a comment of its own."""
        answer = get(d, "answer")
        if not isinstance(answer, dict):
            flagged = [c for c in comments if c.get("isAnswer") is True]
            return (flagged[0], self._key(flagged[0])) if flagged else (None, None)
        key = self._key(answer)
        if key[0] != "id" and isinstance(get(answer, "createdAt"), str) and all(
                self._key(c) != key for c in comments):
            comments.append(answer)
            self.counts["answers_added"] += 1
        return answer, key

    def _replies(self, c: dict[str, Any], cid: str, parent: str, tid: str, label: str) -> None:
        for j, r in enumerate(nodes(get(c, "replies"))):
            if not self._ok(r, label, "reply"):
                continue
            rid = self._native(r, f"{cid}.{j}")
            at = get(r, "createdAt", "created_at")
            self._post(self.p_ + rid, rid, tid, self.member(get(r, "author", "user"), at), at, parent,
                       "comment", r)

    def _post(self, post_id: str, native: str, tid: str, author: str | None, at: str,
              reply_to: str | None, kind: str, obj: dict[str, Any]) -> None:
        body = get(obj, "bodyHTML", "body", "bodyText")
        body = body if isinstance(body, str) else ""
        votes = get(obj, "upvoteCount", "upvotes", "upvote_count")
        votes = votes if isinstance(votes, int) and not isinstance(votes, bool) else None
        if author is None:
            self.counts["deleted_authors"] += 1
        self.hot["posts"].append((post_id, native, tid, author, at, reply_to, kind, True, len(body), votes,
                                  body if self.ctx.keep_bodies else None))
        self.counts["posts"] += 1
        for i in range(min(votes or 0, MAX_REACTIONS)):
            self._reaction(f"{post_id}:upvote:{i}", post_id, None, "upvote", None)
        for group in get(obj, "reactionGroups") or []:
            n = get(get(group, "reactors", "users"), "totalCount")
            content = get(group, "content")
            for i in range(min(n if isinstance(n, int) else 0, MAX_REACTIONS)):
                self._reaction(f"{post_id}:{content}:{i}", post_id, None, str(content).lower(), None)

    def _reaction(self, rid: str, post_id: str, member: str | None, kind: str, at: str | None) -> None:
        self.hot["reactions"].append((rid.replace(self.p_, f"{self.sid}:r:", 1), post_id, member, kind, at,
                                      1.0))

    def _thread(self, d: dict[str, Any], tid: str, native: str, place: str | None, author: str | None,
                created: str, accepted: str | None, answer: dict[str, Any] | None) -> None:
        chosen_at = get(d, "answerChosenAt", "answer_chosen_at") or get(answer, "chosenAt")
        chooser = get(d, "answerChosenBy", "answer_chosen_by") or get(answer, "chosenBy")
        if isinstance(chooser, str):
            chooser = {"login": chooser}
        if accepted is not None:
            self._reaction(f"{accepted}:accept", accepted, self.member(chooser, None), "accept",
                           chosen_at if isinstance(chosen_at, str) else None)
        closed = bool(get(d, "closed")) or get(d, "state") == "closed"
        status = "closed" if closed else ("accepted" if accepted is not None else "open")
        self.out.add("threads", thread_id=tid, source_id=self.sid, native_id=native, place_id=place,
                     title=get(d, "title"), author_id=author, created_at=created, status=status,
                     accepted_post_id=accepted, closed_at=get(d, "closedAt", "closed_at"),
                     duplicate_of=None, view_count=None)
        if place is not None:
            self.out.add("thread_places", thread_id=tid, place_id=place, source_id=self.sid, position=0)

    def _place(self, d: dict[str, Any]) -> str | None:
        """The discussion's category (under its repository), else its repository."""
        repo = _repository(d)
        if repo is not None:
            self.repos.add(repo)
        cat = get(d, "category")
        name = get(cat, "name")
        if not isinstance(name, str) or not name:
            return None if repo is None else f"{self.sid}:repo:{repo}"
        key = str(get(cat, "id", "slug") or name)
        self.categories.setdefault(key, (name, repo))
        return f"{self.sid}:c:{key}"

    # -- the end ------------------------------------------------------------------------------
    def full(self) -> Iterator[Batch]:
        for table, rows in self.hot.items():
            if len(rows) >= self.batch_rows:
                yield self._take(table)
        yield from self.out.full()

    def _take(self, table: str) -> Batch:
        rows, self.hot[table] = self.hot[table], []
        cols: dict[str, list[Any]] = {c: list(v) for c, v in zip(HOT_COLUMNS[table], zip(*rows, strict=True),
                                                                 strict=True)}
        cols["source_id"] = [self.sid] * len(rows)
        return Batch(table, cols)

    def finish(self) -> Iterator[Batch]:
        for repo in sorted(self.repos):
            self.out.add("places", place_id=f"{self.sid}:repo:{repo}", source_id=self.sid, native_id=repo,
                         kind="repository", name=repo, parent_id=None, description=None, item_count=None)
        for key, (name, owner) in self.categories.items():
            self.out.add("places", place_id=f"{self.sid}:c:{key}", source_id=self.sid, native_id=key,
                         kind="category", name=name, description=None, item_count=None,
                         parent_id=None if owner is None else f"{self.sid}:repo:{owner}")
        for key, m in self.members.items():
            self.out.add("members", member_id=self.u_ + key, source_id=self.sid, native_id=m.login,
                         display_name=m.login, joined_at=None, last_seen_at=m.last_seen or None,
                         is_bot=m.is_bot, is_system=False, is_staff=None, is_moderator=None,
                         score=None, account_id=None, email_hash=None)
        for table, rows in self.hot.items():
            if rows:
                yield self._take(table)
        yield from self.out.drain()


def _repository(d: dict[str, Any]) -> str | None:
    """``owner/name`` from the discussion's ``repository`` or its URL.

    >>> _repository({"url": "https://github.com/acme/widgets/discussions/7"})
    'acme/widgets'
    """
    repo = get(get(d, "repository"), "nameWithOwner", "full_name")
    if isinstance(repo, str) and repo:
        return repo
    url = get(d, "url", "html_url")
    if isinstance(url, str):
        parts = urlsplit(url).path.strip("/").split("/")
        if len(parts) >= 3 and parts[2] == "discussions":
            return f"{parts[0]}/{parts[1]}"
    return None
