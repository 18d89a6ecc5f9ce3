"""Safe, streaming reading of ``<row .../>`` XML files (the Stack Exchange dump shape).

* Memory stays flat: lxml parses with a *target* (no tree is built); the wanted attributes of
  each row go straight into column lists, handed out as Arrow arrays every few MB.
* Nothing is fetched or expanded: no DTD is loaded, no entity but XML's five predefined ones
  (and character references) is decoded, no network is used, and a document that declares a
  DOCTYPE or an ENTITY is refused before parsing (:class:`~communitas.errors.UnsafeInput`):
  dumps never carry one, so its presence means a crafted file (external entity, "billion
  laughs").
* A line with bytes that are not UTF-8 is dropped and counted (the dumps hold one row per line),
  instead of aborting the whole file.
* A truncated or non-XML file raises :class:`~communitas.errors.BrokenInput` naming the file.
"""

from __future__ import annotations

import functools
import gc
import itertools
import re
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

import pyarrow as pa
from lxml import etree

from communitas.errors import BrokenInput, UnsafeInput

CHUNK = 1 << 20
# No row of a real dump comes near this (Stack Overflow caps a post at 30,000 characters; the
# revision text, the longest attribute, is cut before parsing); lxml itself refuses values over 10 MB.
MAX_LINE = 8 << 20
_PEEK = 1 << 16
_PROLOG_NOISE = re.compile(rb"<!--.*?(?:-->|\Z)|<\?.*?(?:\?>|\Z)", re.S)


def clean_chunks(raw: IO[bytes], on_bad_lines: Callable[[int], None],
                 on_long_lines: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """The bytes of ``raw`` in pieces of about 1 MiB cut at line ends, without the lines that are
    not valid UTF-8 (their number goes to ``on_bad_lines``) and without lines longer than
    :data:`MAX_LINE` (``on_long_lines``): a file without line ends is read through in bounded
    memory, never gathered into one growing buffer.

    >>> import io
    >>> bad = []
    >>> list(clean_chunks(io.BytesIO(b"a\\n\\xff\\xfeb\\nc\\n"), bad.append)), bad
    ([b'a\\nc\\n'], [1])
    """
    tail: list[bytes] = []  # the line in progress, in pieces (joined once: no quadratic copying)
    held, skipping = 0, False
    while chunk := raw.read(CHUNK):
        if skipping:  # inside an over-long line: drop up to its end
            end = chunk.find(b"\n")
            if end < 0:
                continue
            chunk, skipping = chunk[end + 1:], False
            if not chunk:
                continue
        cut = chunk.rfind(b"\n") + 1
        if cut == 0:
            tail.append(chunk)
            held += len(chunk)
            if held > MAX_LINE:
                tail, held, skipping = [], 0, True
                (on_long_lines or on_bad_lines)(1)
            continue
        data = b"".join((*tail, chunk)) if tail else chunk
        cut += len(data) - len(chunk)
        tail, held = ([data[cut:]], len(data) - cut) if cut < len(data) else ([], 0)
        if cut:
            yield _clean(data[:cut], on_bad_lines)
    if tail and not skipping:
        yield _clean(b"".join(tail), on_bad_lines)


def is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8, checked by Arrow's validator (no text is built; it
    rejects what Python's codec rejects: overlong forms, surrogates, truncated sequences).

    >>> is_utf8("café".encode()), is_utf8(b"caf\\xe9"), is_utf8(b"\\xed\\xa0\\x80")
    (True, False, False)
    """
    if data.isascii():
        return True
    offsets = pa.py_buffer(struct.pack("<qq", 0, len(data)))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _clean(data: bytes, on_bad_lines: Callable[[int], None]) -> bytes:
    if is_utf8(data):
        return data
    kept, bad = [], 0
    for line in data.splitlines(keepends=True):
        try:
            line.decode("utf-8")
            kept.append(line)
        except UnicodeDecodeError:
            bad += 1
    on_bad_lines(bad)
    return b"".join(kept)


def _head(chunks: Iterator[bytes]) -> bytes:
    """At least the first 64 KiB of ``chunks`` (all of it if shorter)."""
    parts: list[bytes] = []
    size = 0
    for part in chunks:
        parts.append(part)
        size += len(part)
        if size >= _PEEK:
            break
    return b"".join(parts)


def _check_prolog(head: bytes, label: str) -> None:
    upper = head[:_PEEK].upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise UnsafeInput(
            f"{label}: declares a DOCTYPE/ENTITY, which real dumps never do; refusing to parse it "
            "(possible external-entity or entity-expansion attack). Use the original dump file."
        )
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise BrokenInput(
            f"{label}: is not XML (it does not start with '<'). "
            "Check that the file is an unmodified data-dump file."
        )
    # The first element must start in the peeked bytes, outside comments and processing
    # instructions (an unterminated one runs to the end), so no DOCTYPE can hide after them.
    prolog = _PROLOG_NOISE.sub(b"", head[:_PEEK])
    if head.strip() and not re.search(rb"<[A-Za-z_]", prolog):
        raise UnsafeInput(
            f"{label}: no element starts in the first 64 KiB; refusing to parse a file whose "
            "prolog is that long. Use the original dump file."
        )


class _RowTarget:
    """lxml parser target: the wanted attributes of every ``<row>``, appended to one flat list.

    No tree is built (so nothing to clear), and the per-row work is one C-level ``map``.
    """

    def __init__(self, fields: tuple[str, ...]) -> None:
        self.flat: list[str | None] = []
        extend = self.flat.extend

        def start(tag: str, attrib: dict[str, str]) -> None:  # a closure: no attribute lookups
            if tag == "row":
                extend(map(attrib.get, fields))

        self.start = start

    def close(self) -> None:
        return None


def dropping(name: str) -> Callable[[bytes], bytes]:
    """A function that removes attribute ``name`` from the ``<row .../>`` elements in a chunk.

    For a large attribute no caller needs (PostHistory's revision ``Text``): lxml would decode
    every value into a Python string only to drop it. The pattern walks each row's attributes
    whole from ``<row``, so it cuts only at an attribute's start, never inside another value (a
    value cannot hold its quote character). A row written otherwise (single quotes, tabs) is left
    as it is and parsed in full. What the removed value holds is not checked.

    >>> dropping("Text")(b'<row Id="1" Note=" Text=" Text="a&amp;b" UserId="7" />')
    b'<row Id="1" Note=" Text=" UserId="7" />'
    """
    attr = re.escape(name.encode())
    pattern = re.compile(rb'(<row(?: [\w:.-]+="[^"]*")*?) ' + attr + rb'="[^"]*"')
    return functools.partial(pattern.sub, rb"\1")


def _columns(flat: list[str | None], fields: tuple[str, ...]) -> dict[str, pa.Array]:
    k = len(fields)
    return {f: pa.array(flat[i::k], pa.string()) for i, f in enumerate(fields)}


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused (unless it already was).

    Every row makes a dict (lxml's attributes), so the collector would otherwise run every few
    hundred rows and walk the batch being built: ~3 % of an ingest, for no cycles at all.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def iter_row_columns(
    raw: IO[bytes],
    label: str,
    on_bad_lines: Callable[[int], None],
    fields: tuple[str, ...],
    batch_rows: int = 20_000,
    batch_bytes: int = 8 << 20,
    drop: str | None = None,
    on_long_lines: Callable[[int], None] | None = None,
) -> Iterator[dict[str, pa.Array]]:
    """Yield the ``fields`` attributes of the ``<row>`` elements of ``raw``, as string columns.

    One dict of Arrow string arrays (missing attribute: null) per batch of about ``batch_rows``
    rows or ``batch_bytes`` of XML, whichever comes first. Attribute ``drop`` (not one of
    ``fields``) is cut out before parsing (:func:`dropping`).

    >>> import io
    >>> doc = b'<posts><row Id="1" Title="a &amp; b"/><row Id="2"/></posts>'
    >>> [{k: v.to_pylist() for k, v in c.items()}
    ...  for c in iter_row_columns(io.BytesIO(doc), "x.xml", print, ("Id", "Title"))]
    [{'Id': ['1', '2'], 'Title': ['a & b', None]}]
    """
    chunks = clean_chunks(raw, on_bad_lines, on_long_lines)
    head = _head(chunks)
    _check_prolog(head, label)
    target = _RowTarget(fields)
    # "internal": the predefined entities and character references are decoded (with False,
    # lxml hands "&amp;" to a parser target as "&#38;"); no DTD can declare others (refused above)
    # and external ones are never fetched. lxml-stubs lag behind both arguments.
    parser = etree.XMLParser(target=target, resolve_entities="internal",  # type: ignore[arg-type]
                             load_dtd=False, no_network=True, huge_tree=False)
    flat, limit, fed = target.flat, batch_rows * len(fields), 0
    pieces: Iterator[bytes] = itertools.chain((head,), chunks)
    if drop is not None:
        if drop in fields:
            raise ValueError(f"{drop} is a wanted field; it cannot be dropped")
        pieces = map(dropping(drop), pieces)
    try:
        for chunk in pieces:
            with _gc_paused():
                parser.feed(chunk)
                fed += len(chunk)
                full = flat and (len(flat) >= limit or fed >= batch_bytes)
                columns = _columns(flat, fields) if full else None
            if columns is not None:
                yield columns
                flat.clear()
                fed = 0
        parser.close()
    except etree.XMLSyntaxError as e:
        raise BrokenInput(
            f"{label}: is not well-formed XML ({e.msg.strip()}, line {e.lineno}); the file is "
            "truncated or damaged. Re-extract or re-download the dump and ingest again."
        ) from None
    if flat:
        yield _columns(flat, fields)
