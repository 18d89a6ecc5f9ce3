"""An mbox stream split into messages, and each message parsed: the part a worker process can do.

:func:`split_mbox` cuts the decoded bytes of one stream at its ``From `` separator lines, keeping
at most one message in memory; :func:`parse_stream` splits and parses one whole stream
(:func:`~communitas.sources.mbox_parse.parse_message` for each message), which is what the
parallel path runs in worker processes (``mbox.py``, :mod:`communitas.sources.parallel`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Protocol

from communitas.sources.mbox_parse import CUT_SHORT, Parsed, cut_short, parse_message
from communitas.sources.mbox_stream import DECODE_ERRORS, FROM_LINE, Spec, damaged, iter_chunks, open_spec

MAX_MESSAGE_BYTES = 64 << 20  # a larger "message" is skipped (and never held whole in memory)


class _Skipper(Protocol):
    def skip(self, where: str, reason: str, n: int = 1) -> None: ...


def split_mbox(chunks: Iterable[bytes], ctx: _Skipper | None = None, label: str = ""
               ) -> Iterator[tuple[bytes, bytes]]:
    """``(From line, message bytes)`` for each message of an mbox stream.

    mboxrd ``>From `` quoting is undone later, on the text part that is kept (see
    :mod:`communitas.sources.email_text`), not on the whole message.

    A separator is a line ``From <sender> <date>`` (a time ``hh:mm`` in it) at the start of the
    file or after a blank line, so an unescaped "From here..." sentence inside a body after a
    non-blank line does not split a message. Messages over ``MAX_MESSAGE_BYTES`` are skipped, and
    so is a last message the end of the stream cut short (:func:`~communitas.sources.mbox_parse.cut_short`).

    >>> raw = b"From a@x Mon Jan  3 10:30:36 2022\\nSubject: 1\\n\\nFrom here on\\n\\n" \\
    ...       b"From b@x Mon Jan  3 11:00:00 2022\\nSubject: 2\\n\\n>From me\\n"
    >>> [(f[:8], m) for f, m in split_mbox([raw[:50], raw[50:]])]
    [(b'From a@x', b'Subject: 1\\n\\nFrom here on\\n'), (b'From b@x', b'Subject: 2\\n\\n>From me\\n')]
    """
    buf = b"\n\n"
    cur: bytes | None = None  # From line of the message in progress
    start = scan = 0
    eof = oversize = False
    needle, skip = b"\n\nFrom ", 2
    it = iter(chunks)
    while True:
        i = buf.find(needle, scan)
        end = buf.find(b"\n", i + skip) if i != -1 else -1
        if end == -1:
            if eof:
                break
            if i == -1:  # nothing up to here: the next search starts near the end
                scan = max(scan, len(buf) - len(needle))
            chunk = next(it, b"")
            eof = not chunk
            if len(buf) == 2 and chunk[:400].split(b"\n", 1)[0].endswith(b"\r"):
                needle, skip, buf = b"\n\r\nFrom ", 3, b"\n\r\n"
            if cur is not None and len(buf) + len(chunk) - start > MAX_MESSAGE_BYTES:
                oversize = True  # from now on only the part still to scan is kept
            drop = max(0, (scan if cur is None or oversize else min(start, scan)) - 3)
            buf = buf[drop:] + (chunk or b"\n")
            start, scan = start - drop, scan - drop
            continue
        if FROM_LINE.match(buf, i + skip, end):
            if cur is not None:
                if oversize:
                    _count(ctx, label, f"message larger than {MAX_MESSAGE_BYTES:,} bytes")
                else:
                    yield cur, buf[start:i + 1]
            cur, start, oversize = buf[i + skip:end].rstrip(b"\r"), end + 1, False
        scan = i + 1
    if cur is not None:
        yield from _last(cur, buf[start:-1], oversize, ctx, label)  # (the loop added one b"\n")


def _last(from_line: bytes, tail: bytes, oversize: bool, ctx: _Skipper | None, label: str
          ) -> Iterator[tuple[bytes, bytes]]:
    """The stream's last message, ``tail`` (up to the stream's end), unless it is too large or
    cut short."""
    if oversize:
        _count(ctx, label, f"message larger than {MAX_MESSAGE_BYTES:,} bytes")
        return
    if (cut := _cut_in_from_line(tail)) != -1:  # the next message's From line was cut: this
        _count(ctx, label, CUT_SHORT)  # message is whole, the next one is lost
        tail = tail[:cut]
    if cut_short(tail):
        _count(ctx, label, CUT_SHORT)
    else:
        yield from_line, tail.rstrip(b"\n") + b"\n"


def _cut_in_from_line(tail: bytes) -> int:
    """Where the last line of ``tail`` starts when it is the start of a From line cut short (no
    line end, after a blank line, ``From `` or a prefix of it), else -1.

    >>> _cut_in_from_line(b"Hi\\n\\nFrom alice@exa"), _cut_in_from_line(b"Hi\\n\\nFr")
    (4, 4)
    >>> _cut_in_from_line(b"Hi\\nFrom"), _cut_in_from_line(b"Hi\\n\\nFine"), _cut_in_from_line(b"Hi\\n")
    (-1, -1, -1)
    """
    line = tail.rfind(b"\n") + 1
    last = tail[line:]
    if not last or not (last.startswith(b"From ") or b"From ".startswith(last)):
        return -1
    return line if tail[:line].endswith((b"\n\n", b"\n\r\n")) else -1


def _count(ctx: _Skipper | None, label: str, reason: str) -> None:
    if ctx is not None:
        ctx.skip(label, reason)


class _Skips:
    """Skip counts of a worker (a ReadContext stays in the parent)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def skip(self, where: str, reason: str, n: int = 1) -> None:
        self.counts[reason] += n


def parse_stream(spec: Spec) -> tuple[list[Parsed | str], Counter[str]]:
    """Every message of one stream, parsed (run in a worker process): ``(parsed or skip reason
    per message, skips of the splitter)``."""
    skips = _Skips()
    with open_spec(spec) as raw:
        try:
            messages = split_mbox(iter_chunks(raw), skips, spec.label)
            return [parse_message(from_line, msg) for from_line, msg in messages], skips.counts
        except DECODE_ERRORS as e:
            raise damaged(spec, e) from None
