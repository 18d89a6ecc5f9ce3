"""Pure helpers for e-mail messages: headers, senders, dates and body text.

They work on raw bytes, without the stdlib ``email`` feed parser, because they run once per
message of archives that are mostly base64 attachments: only the header block and the one text
part that is kept are ever decoded.

* Headers: the block up to the first blank line, unfolded; names lower-cased; the first value
  of each name is kept. Values are text (UTF-8, else Windows-1252 / Latin-1:
  :func:`decode_text`); MIME encoded words
  (``=?utf-8?q?...?=``) are decoded by :func:`decode_words`.
* Body text: the first ``text/plain`` part in depth-first order (``text/html`` made text by
  :func:`communitas.markup.html_to_text` when there is none), decoded from base64 /
  quoted-printable and its charset; without a usable charset (none, ``us-ascii``, unknown), like
  a header (:func:`decode_text`).
* Quotes and signatures are removed by :func:`communitas.markup.strip_quotes`.
"""

from __future__ import annotations

import binascii
import email.utils
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header

from communitas.markup import html_to_text

MAX_DEPTH = 8
_NO_CHARSET = frozenset(("", "us-ascii", "ascii", "ansi_x3.4-1968"))
PART_HEADERS = frozenset(("content-type", "content-transfer-encoding", "content-disposition"))

_HEADER = re.compile(rb"^([!-9;-~]+)[ \t]*:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.M)
_UNESCAPE = re.compile(rb"(?m)^>(>*From )")  # mboxrd quoting of body lines starting "From "
_FOLD = re.compile(rb"\r?\n[ \t]+")
_SIMPLE_ADDR = re.compile(
    r'^\s*(?:"?([^"<>]*?)"?\s*)?<([^<>\s@]+@[^<>\s@]+)>\s*$|^\s*([^\s<>@"(]+@[^\s<>@"(]+)\s*$')
_RFC_DATE = re.compile(r"\s*(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+"
                       r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s+([+-])(\d{2})(\d{2})\b")
_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_PARAM = re.compile(r';\s*([\w*-]+)\s*=\s*("([^"]*)"|[^;\s]+)', re.ASCII)
_ANGLE = re.compile(r"<([^<>\s]+)>")
_BARE_ID = re.compile(r"^[^\s<>@]+@[^\s<>@]+$")
_PIPERMAIL_FROM = re.compile(r"^\s*(\S+) at (\S+)\s*(?:\((.*)\))?\s*$")
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|vs|ref|fwd?|tr)(\[\d+\])?\s*:|\[[^\]]{1,40}\])\s*", re.I)


def decode_text(raw: bytes) -> str:
    """Bytes of unknown charset as text: UTF-8 if valid, else Windows-1252 (the superset of
    Latin-1 that 8-bit mail almost always is), else Latin-1 (never fails).

    >>> decode_text("é".encode()), decode_text(b"\\xe9t\\xe9 \\x92"), decode_text(b"\\x81")
    ('é', 'été ’', '\\x81')
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8d, 0x8f, 0x90, 0x9d: undefined in Windows-1252
        return raw.decode("latin-1")


def header_bounds(msg: bytes, start: int = 0, end: int | None = None) -> tuple[int, int]:
    """``(end of the header block, start of the body)`` in ``msg[start:end]`` (LF or CRLF).

    >>> header_bounds(b"A: 1\\nB: 2\\n\\nbody"), header_bounds(b"A: 1\\r\\n\\r\\nbody")
    ((9, 11), (4, 8))
    """
    end = len(msg) if end is None else end
    if msg.startswith(b"\n", start):
        return start, start + 1
    if msg.startswith(b"\r\n", start):
        return start, start + 2
    i = msg.find(b"\n\n", start, end)
    stop = end if i == -1 else i
    j = msg.find(b"\r\n\r\n", start, stop) if msg.find(b"\r", start, stop) != -1 else -1
    if j != -1 and (i == -1 or j < i):
        return j, j + 4
    return (end, end) if i == -1 else (i, i + 2)


def parse_headers(block: bytes, wanted: frozenset[str] | None = None) -> dict[str, str]:
    """Unfolded headers, names lower-cased, the first value of each name (of ``wanted`` names).

    >>> parse_headers(b"Subject: a\\n  b\\nFrom: x@example.com\\nSubject: again")
    {'subject': 'a b', 'from': 'x@example.com'}
    >>> parse_headers(b"Received: x\\nFROM : y@example.com\\nX-From: z", frozenset({"from"}))
    {'from': 'y@example.com'}
    """
    out: dict[str, str] = {}
    for raw_name, raw_value in _HEADER.findall(block):
        name = raw_name.decode("ascii").lower()
        if name in out or (wanted is not None and name not in wanted):
            continue
        if b"\n" in raw_value:
            raw_value = _FOLD.sub(b" ", raw_value)
        out[name] = decode_text(raw_value).strip()
    return out


def decode_words(value: str) -> str:
    """Decode MIME encoded words (RFC 2047); unknown charsets fall back to Latin-1.

    >>> decode_words("=?ISO-8859-1?Q?Germ=E1n_Poo?= said")
    'Germán Poo said'
    """
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, UnicodeError, ValueError, binascii.Error):
        pieces = []
        for chunk, charset in decode_header(value):
            if isinstance(chunk, str):
                pieces.append(chunk)
            else:
                pieces.append(_decode_bytes(chunk, charset))
        return "".join(pieces)


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """``data`` in its declared ``charset``. Without one (or with ``us-ascii``, MIME's default,
    which 8-bit bodies often carry wrongly), or with one Python cannot use (unknown, not a text
    codec, a NUL in the name), like a header: UTF-8 if valid, else Latin-1 (:func:`decode_text`).

    >>> _decode_bytes("Voilà".encode("latin-1"), None), _decode_bytes(b"caf\\xc3\\xa9", "US-ASCII")
    ('Voilà', 'café')
    >>> _decode_bytes(b"caf\\xe9", "utf-8\\x00"), _decode_bytes(b"caf\\xe9", "base64")
    ('café', 'café')
    """
    name = (charset or "").strip().lower()
    if name in _NO_CHARSET:
        return decode_text(data)
    try:
        return data.decode(name, errors="replace")
    except (LookupError, ValueError):  # ValueError: "embedded null character", a failing codec
        return decode_text(data)


def sender(value: str | None) -> tuple[str, str]:
    """``(display name, address)`` of a From header; the address lower-cased, ``''`` if none.

    Pipermail's obfuscated form ``user at example.com (Name)`` is understood.

    >>> sender("=?utf-8?q?J=C3=BCrgen?= <J@Example.com>")
    ('Jürgen', 'j@example.com')
    >>> sender("gpoo at example.com (=?ISO-8859-1?Q?Germ=E1n?=)")
    ('Germán', 'gpoo@example.com')
    """
    if not value:
        return "", ""
    m = _PIPERMAIL_FROM.match(value)
    if m and "@" not in value:
        return decode_words(m.group(3) or "").strip(), f"{m.group(1)}@{m.group(2)}".lower()
    simple = _SIMPLE_ADDR.match(value)
    if simple:
        name, addr = simple.group(1) or "", (simple.group(2) or simple.group(3)).lower()
    else:
        name, addr = email.utils.parseaddr(value)
        addr = addr.strip().lower()
    if "@" not in addr:
        addr = ""
    return decode_words(name).strip().strip('"').strip(), addr


def message_id(value: str | None) -> str | None:
    """The id inside ``<...>`` (or a bare ``local@domain``), else None.

    >>> message_id(" <abc@example.com> "), message_id("abc@example.com"), message_id("<>")
    ('abc@example.com', 'abc@example.com', None)
    """
    if not value:
        return None
    m = _ANGLE.search(value)
    if m:
        return m.group(1)
    bare = value.strip()
    return bare if _BARE_ID.match(bare) else None


def reference_ids(references: str | None, in_reply_to: str | None) -> list[str]:
    """Ancestors, oldest first: References, then In-Reply-To if it is not already last.

    >>> reference_ids("<a@x> <b@x>", "<c@x>")
    ['a@x', 'b@x', 'c@x']
    >>> reference_ids(None, "c@x")
    ['c@x']
    """
    refs = _ANGLE.findall(references) if references else []
    if not refs and references:
        refs = [t for t in references.split() if _BARE_ID.match(t)]
    parent = message_id(in_reply_to)
    if parent and (not refs or refs[-1] != parent):
        if parent in refs:
            refs.remove(parent)
        refs.append(parent)
    return refs


def parse_date(value: str | None) -> datetime | None:
    """A Date header as an aware UTC datetime, or None when it is missing or unreadable.

    >>> parse_date("Mon, 3 Jan 2022 05:30:36 -0500 (EST)")
    datetime.datetime(2022, 1, 3, 10, 30, 36, tzinfo=datetime.timezone.utc)
    >>> parse_date("3 Jan 2022 10:30 GMT") == parse_date("3 Jan 2022 10:30:00 +0000")
    True
    """
    if not value:
        return None
    m = _RFC_DATE.match(value)
    if m and m.group(2) in _MONTHS:  # the common RFC 5322 form, without the slow general parser
        day, month, year, hh, mm, ss, sign, oh, om = m.groups()
        try:
            local = datetime(int(year), _MONTHS[month], int(day), int(hh), int(mm), int(ss or 0), tzinfo=UTC)
        except ValueError:
            return None
        offset = (int(oh) * 60 + int(om)) * (-1 if sign == "-" else 1)
        return local - timedelta(minutes=offset) if year >= "1970" else None
    parsed = email.utils.parsedate_tz(value)
    if parsed is None or parsed[0] < 1970:
        return None
    try:
        return datetime.fromtimestamp(email.utils.mktime_tz(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def parse_from_line_date(line: bytes) -> datetime | None:
    """The asctime date of an mbox ``From sender date`` line (taken as UTC), or None. A leap
    second (``:60``, ``:61``: ``strptime`` takes them, ``datetime`` does not) reads as ``:59``.

    >>> parse_from_line_date(b"From x at example.com  Thu Mar  3 18:20:35 2016")
    datetime.datetime(2016, 3, 3, 18, 20, 35, tzinfo=datetime.timezone.utc)
    >>> parse_from_line_date(b"From x@example.com Sat Dec 31 23:59:60 2016").second
    59
    """
    words = decode_text(line).split()
    for start in range(2, max(2, len(words) - 4)):
        text = " ".join(words[start:start + 5])
        try:
            st = time.strptime(text, "%a %b %d %H:%M:%S %Y")
        except ValueError:
            continue
        return datetime(*st[:5], min(st[5], 59), tzinfo=UTC)
    return None


def subject_key(subject: str) -> tuple[str, bool]:
    """``(normalised subject, had a reply prefix)``: list tags and Re:/Fwd:/Aw: removed.

    >>> subject_key("[USRP-users] Re: RE: [USRP-users]  N320 LO  leakage")
    ('n320 lo leakage', True)
    """
    s = subject
    was_reply = False
    while True:
        m = _REPLY_PREFIX.match(s)
        if not m:
            break
        was_reply = was_reply or not m.group(1).startswith("[")
        s = s[m.end():]
    return " ".join(s.lower().split()), was_reply


def clean_title(subject: str) -> str:
    """A thread title: the subject without list tags and reply prefixes, spaces collapsed."""
    s = subject
    while m := _REPLY_PREFIX.match(s):
        s = s[m.end():]
    return " ".join(s.split())


def content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """``('multipart/mixed', {'boundary': ...})`` from a Content-Type header (text/plain if none)."""
    if not value:
        return "text/plain", {}
    main = value.split(";", 1)[0].strip().lower() or "text/plain"
    params = {m.group(1).lower(): m.group(3) if m.group(3) is not None else m.group(2)
              for m in _PARAM.finditer(value)}
    return main, params


def body_text(headers: dict[str, str], body: bytes, start: int = 0) -> str:
    """The text of ``body[start:]``: its first text/plain part, else its first text/html part
    untagged. Parts are walked by offsets: attachments are never copied or decoded."""
    plain, htm = _find_text(headers, body, start, len(body), 0)
    if plain is not None:
        return plain
    return html_to_text(htm) if htm is not None else ""


def _find_text(headers: dict[str, str], buf: bytes, start: int, end: int, depth: int
               ) -> tuple[str | None, str | None]:
    ctype, params = content_type(headers.get("content-type"))
    if headers.get("content-disposition", "").lower().startswith("attachment"):
        return None, None
    if ctype.startswith("multipart/") and params.get("boundary") and depth < MAX_DEPTH:
        htm: str | None = None
        boundary = params["boundary"].encode("latin-1", "replace")
        for part_start, part_end in _part_spans(buf, start, end, boundary):
            p, h = _part_text(buf, part_start, part_end, depth + 1)
            if p is not None:
                return p, None
            htm = htm if htm is not None else h
        return None, htm
    if ctype == "text/plain":
        return _decode_part(headers, buf[start:end], params), None
    if ctype == "text/html":
        return None, _decode_part(headers, buf[start:end], params)
    if ctype == "message/rfc822" and depth == 0:  # a whole message wrapped in another (Mailman's
        # DMARC wrap_message): its text is the embedded message's
        head_end, body_start = header_bounds(buf, start, end)
        return _find_text(parse_headers(buf[start:head_end], PART_HEADERS), buf, body_start, end, 1)
    return None, None


def _part_text(buf: bytes, start: int, end: int, depth: int) -> tuple[str | None, str | None]:
    """Text of one MIME part, slicing its body only when it can hold text (never attachments)."""
    head_end, body_start = header_bounds(buf, start, end)
    if head_end == end and body_start == end and start != end:
        return None, None  # no blank line: not a well-formed part
    headers = parse_headers(buf[start:head_end], PART_HEADERS)
    ctype = headers.get("content-type", "text/plain").lower()
    if not ctype.startswith(("text/plain", "text/html", "multipart/")):
        return None, None
    return _find_text(headers, buf, body_start, end, depth)


def _part_spans(buf: bytes, start: int, end: int, boundary: bytes) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each part of ``buf[start:end]`` between ``--boundary`` lines."""
    delimiter = b"--" + boundary
    if buf.startswith(delimiter, start):
        pos = start
    else:
        found = buf.find(b"\n" + delimiter, start, end)
        if found == -1:
            return
        pos = found + 1
    while True:
        after = pos + len(delimiter)
        if buf.startswith(b"--", after):
            return
        nl = buf.find(b"\n", after, end)
        if nl == -1:
            return
        nxt = buf.find(b"\n" + delimiter, nl, end)
        yield nl + 1, nxt if nxt != -1 else end
        if nxt == -1:
            return
        pos = nxt + 1


def _decode_part(headers: dict[str, str], body: bytes, params: dict[str, str]) -> str:
    cte = headers.get("content-transfer-encoding", "").strip().lower()
    raw = _UNESCAPE.sub(rb"\1", body) if b">From " in body else body
    data = raw
    try:
        if cte == "base64":
            data = binascii.a2b_base64(b"".join(raw.split()))
        elif cte == "quoted-printable":
            data = binascii.a2b_qp(raw)
    except (binascii.Error, ValueError):
        data = raw
    return _decode_bytes(data, params.get("charset"))
