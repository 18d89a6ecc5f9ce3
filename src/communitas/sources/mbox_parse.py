"""One mbox message -> what the mailing-list source keeps of it, with no store state and no salt.

:func:`parse_message` is pure, so it can run in a worker process (``mbox.py`` parses the files of
a large archive in parallel) and its result pickles small: the kept text is already stripped of
quotes, signatures and attachments. Everything that needs the whole archive or the store's salt
(sender hashes, post ids, threading) stays in the parent.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime

from communitas.markup import strip_quotes
from communitas.sources.email_sender import SENDER_HEADERS, real_sender
from communitas.sources.email_text import (
    body_text,
    content_type,
    decode_words,
    header_bounds,
    message_id,
    parse_date,
    parse_from_line_date,
    parse_headers,
    reference_ids,
)

MESSAGE_HEADERS = SENDER_HEADERS | frozenset((
    "date", "subject", "message-id", "in-reply-to",
    "references", "content-type", "content-transfer-encoding", "content-disposition", "list-id",
    "list-post", "auto-submitted", "x-autoreply", "x-autorespond", "x-github-reason", "x-github-sender",
    "x-jenkins-job", "x-gitlab-project", "x-bugzilla-reason", "precedence", "x-mailman-version",
    "x-beenthere"))
_CONTENT_TYPE = frozenset(("content-type",))
LIST_HEADERS = ("list-id", "x-mailman-version", "x-beenthere", "list-post")
NO_SENDER = "no sender address in From"
NO_DATE = "no readable Date header nor mbox From-line date"
DATE_FROM_LINE = "unreadable Date header (message kept, date from the mbox From line)"
CUT_SHORT = "last message cut short (the file is truncated)"


@dataclass(slots=True)
class Parsed:
    """What the source keeps of one message."""

    name: str
    address: str  # what identifies the sender: the address, or "<relay> name:<name>" (email_sender)
    known: bool  # ``address`` is the author's real address
    rule: str  # the rewriting rule that found the author ("" when From was taken as it is)
    at: datetime
    date_from_line: bool  # the Date header was unreadable; the mbox From-line date was used
    msgid: str | None  # None: no Message-ID (the parent derives one from ``head``)
    head: str | None  # the header block (Latin-1), only when there is no Message-ID
    refs: list[str]
    subject: str
    automated: bool
    list_id: str | None
    text: str


def parse_message(from_line: bytes, msg: bytes) -> Parsed | str:
    """The kept parts of one raw message, or the reason it is skipped.

    >>> p = parse_message(b"From a@x Mon Jan  3 10:30:36 2022", b"From: A <a@example.com>\\n"
    ...                   b"Date: Mon, 3 Jan 2022 10:30:36 +0000\\nMessage-ID: <1@x>\\n\\nHi\\n> old\\n")
    >>> (p.name, p.address, p.msgid, p.text) if isinstance(p, Parsed) else p
    ('A', 'a@example.com', '1@x', 'Hi')
    """
    head_end, body_start = header_bounds(msg)
    h = parse_headers(msg[:head_end], MESSAGE_HEADERS)
    who = real_sender(h)
    if not (who.address or who.relay):
        return NO_SENDER
    at = parse_date(h.get("date"))
    from_line_date = at is None
    if at is None:
        at = parse_from_line_date(from_line)
        if at is None:
            return NO_DATE
    msgid = message_id(h.get("message-id"))
    head = msg[:head_end].decode("latin-1") if msgid is None else None
    # ids repeat along a thread's References: one string each, however long the thread
    refs = [sys.intern(r) for r in reference_ids(h.get("references"), h.get("in-reply-to")) if r != msgid]
    return Parsed(who.name, who.key, bool(who.address), who.rule, at, from_line_date, msgid, head, refs,
                  decode_words(h.get("subject", "")), automation_reason(h) is not None,
                  h.get("list-id") or None, strip_quotes(body_text(h, msg, body_start)))


def automation_reason(h: dict[str, str]) -> str | None:
    """Why the headers mark a message as sent by a machine, or None.

    ``Precedence: bulk/junk/auto_reply`` counts only on a message with no list headers: list
    servers (Mailman) add ``Precedence: list/bulk`` to every message they distribute.

    >>> automation_reason({"auto-submitted": "auto-replied"})
    'Auto-Submitted: auto-replied'
    >>> automation_reason({"auto-submitted": "no", "precedence": "list", "list-id": "<l.example.com>"})
    """
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("x-autoreply", "x-autorespond", "x-github-reason", "x-github-sender", "x-jenkins-job",
                 "x-gitlab-project", "x-bugzilla-reason"):
        if name in h:
            return f"{name} header"
    precedence = h.get("precedence", "").strip().lower()
    if precedence in ("bulk", "junk", "auto_reply") and not any(k in h for k in LIST_HEADERS):
        return f"Precedence: {precedence}"
    return None


def cut_short(tail: bytes) -> bool:
    """True when ``tail``, the last message of an mbox stream as it stands in the file, was cut
    before its end (see docs/sources/mailing-lists.md, "A truncated file").

    Every mbox writer ends a message with a line end, puts a blank line after its header block,
    and closes a multipart body with its ``--boundary--`` line; a file cut short breaks one of
    these (a cut at a line end inside a single-part body cannot be told apart and is kept).

    >>> whole = b"From: a@x\\nContent-Type: multipart/mixed; boundary=b\\n\\n--b\\n\\nhi\\n--b--\\n"
    >>> cut_short(whole), cut_short(whole[:-1]), cut_short(whole[:-6]), cut_short(b"From: a@x\\n")
    (False, True, True, True)
    """
    if not tail.endswith(b"\n"):
        return True  # stops inside a line (or right after the From line)
    head_end, body_start = header_bounds(tail)
    if head_end == body_start == len(tail):
        return True  # no blank line after the headers: the file stops inside them
    ctype, params = content_type(parse_headers(tail[:head_end], _CONTENT_TYPE).get("content-type"))
    boundary = params.get("boundary")
    if ctype.startswith("multipart/") and boundary:
        return b"--" + boundary.encode("latin-1", "replace") + b"--" not in tail[body_start:]
    return False
