"""Write a synthetic community as a Stack Exchange data dump folder, row by row.

``Posts.xml`` (openers as questions, replies as answers), ``Comments.xml``, ``Users.xml`` (every
member, written when they leave the community) and ``Tags.xml`` (written last, with each tag's
count): the shape `communitas ingest` reads. Names are pseudonyms (``member<n>``), texts made-up
words (:mod:`communitas.synth.text`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from communitas.synth.model import Member, Thread

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#xA;"})
FILES = {"posts": "Posts.xml", "comments": "Comments.xml", "users": "Users.xml", "tags": "Tags.xml"}


def _a(value: object) -> str:
    return str(value).translate(_ESCAPES)


def stamp(t: float) -> str:
    """``2014-01-21T20:26:05.383`` (the dumps' UTC timestamps, milliseconds).

    >>> stamp(1390335965.383)
    '2014-01-21T20:26:05.383'
    """
    return datetime.fromtimestamp(round(t, 3), UTC).isoformat(timespec="milliseconds")[:-6]


class StackExchangeWriter:
    """A sink for :class:`communitas.synth.model.Community`: ``thread``, ``members``, ``close``."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.files: dict[str, IO[str]] = {}
        for key, name in FILES.items():
            f = (folder / name).open("w", encoding="utf-8", newline="\n")
            f.write(f'<?xml version="1.0" encoding="utf-8"?>\n<{key}>\n')
            self.files[key] = f
        self.counts = {"posts": 0, "comments": 0, "users": 0, "tags": 0, "threads": 0}

    def thread(self, th: Thread, tag_names: list[str]) -> None:
        posts, comments = self.files["posts"], self.files["comments"]
        opener = th.posts[0]
        answers = [p for p in th.posts if p.role == "reply"]
        n_comments: dict[int, int] = {}
        for p in th.posts:
            if p.role == "comment" and p.parent is not None:
                n_comments[p.parent] = n_comments.get(p.parent, 0) + 1
        tags = "".join(f"<{tag_names[t]}>" for t in th.tags)
        accepted = f' AcceptedAnswerId="{th.accepted}"' if th.accepted in {a.post_id for a in answers} else ""
        last = max(p.at for p in th.posts)
        posts.write(f'  <row Id="{opener.post_id}" PostTypeId="1"{accepted} '
                    f'CreationDate="{stamp(opener.at)}" '
                    f'Score="{opener.score}" ViewCount="{th.views}" Body="&lt;p&gt;{opener.body}&lt;/p&gt;" '
                    f'OwnerUserId="{opener.author}" LastActivityDate="{stamp(last)}" Title="{_a(th.title)}" '
                    f'Tags="{_a(tags)}" AnswerCount="{len(answers)}" '
                    f'CommentCount="{n_comments.get(opener.post_id, 0)}" />\n')
        for p in answers:
            posts.write(f'  <row Id="{p.post_id}" PostTypeId="2" ParentId="{opener.post_id}" '
                        f'CreationDate="{stamp(p.at)}" Score="{p.score}" Body="&lt;p&gt;{p.body}&lt;/p&gt;" '
                        f'OwnerUserId="{p.author}" CommentCount="{n_comments.get(p.post_id, 0)}" />\n')
        for p in th.posts:
            if p.role == "comment":
                comments.write(f'  <row Id="{p.post_id}" PostId="{p.parent}" Score="{p.score}" '
                               f'Text="{p.body}" CreationDate="{stamp(p.at)}" UserId="{p.author}" />\n')
                self.counts["comments"] += 1
        self.counts["posts"] += 1 + len(answers)
        self.counts["threads"] += 1

    def members(self, members: list[Member]) -> None:
        users = self.files["users"]
        for m in members:
            users.write(f'  <row Id="{m.member_id}" Reputation="{1 + 5 * m.posts}" '
                        f'CreationDate="{stamp(m.joined)}" DisplayName="member{m.member_id}" '
                        f'LastAccessDate="{stamp(m.last_seen)}" AccountId="{m.member_id}" />\n')
        self.counts["users"] += len(members)

    def close(self, tag_names: list[str], tag_counts: list[int]) -> dict[str, int]:
        tags = self.files["tags"]
        for i, (name, n) in enumerate(zip(tag_names, tag_counts, strict=True)):
            if n:
                tags.write(f'  <row Id="{i + 1}" TagName="{_a(name)}" Count="{n}" />\n')
                self.counts["tags"] += 1
        for key, f in self.files.items():
            f.write(f"</{key}>\n")
            f.close()
        return self.counts
