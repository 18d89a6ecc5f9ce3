"""Safe, streaming reading of ``<row .../>`` XML files (the Stack Exchange dump shape).

* Memory stays flat: lxml ``iterparse`` with each element cleared and its earlier siblings
  deleted as soon as it has been read.
* Nothing is fetched or expanded: no DTD is loaded, no entity is resolved, no network is used,
  and a document that declares a DOCTYPE or an ENTITY is refused before parsing
  (:class:`~communitas.errors.UnsafeInput`): dumps never carry one, so its presence means a
  crafted file (external entity, "billion laughs").
* A line with bytes that are not UTF-8 is dropped and counted (the dumps hold one row per line),
  instead of aborting the whole file.
* A truncated or non-XML file raises :class:`~communitas.errors.BrokenInput` naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import IO, Any

from lxml import etree

from communitas.errors import BrokenInput, UnsafeInput

CHUNK = 1 << 20
_PEEK = 1 << 16
_PROLOG_NOISE = re.compile(rb"<!--.*?(?:-->|\Z)|<\?.*?(?:\?>|\Z)", re.S)


class CleanUtf8Reader:
    """A read-only byte stream that drops lines that are not valid UTF-8.

    >>> import io
    >>> bad = []
    >>> r = CleanUtf8Reader(io.BytesIO(b"a\\n\\xff\\xfeb\\nc\\n"), lambda n: bad.append(n))
    >>> r.read()
    b'a\\nc\\n'
    >>> bad
    [1]
    """

    def __init__(self, raw: IO[bytes], on_bad_lines: Callable[[int], None]) -> None:
        self._raw = raw
        self._on_bad = on_bad_lines
        self._buf = b""
        self._pos = 0  # bytes of `_buf` already handed out
        self._tail = b""
        self._eof = False
        self.consumed = 0  # bytes taken from `raw`

    def _fill(self) -> None:
        chunk = self._raw.read(CHUNK)
        if not chunk:
            self._eof = True
            data, self._tail = self._tail, b""
        else:
            self.consumed += len(chunk)
            data = self._tail + chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                self._tail = data
                return
            data, self._tail = data[:cut], data[cut:]
        self._buf = self._buf[self._pos:] + self._clean(data)
        self._pos = 0

    def _clean(self, data: bytes) -> bytes:
        try:
            data.decode("utf-8")
            return data
        except UnicodeDecodeError:
            pass
        kept, bad = [], 0
        for line in data.splitlines(keepends=True):
            try:
                line.decode("utf-8")
                kept.append(line)
            except UnicodeDecodeError:
                bad += 1
        self._on_bad(bad)
        return b"".join(kept)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            while not self._eof:
                self._fill()
            out, self._buf, self._pos = self._buf[self._pos:], b"", 0
            return out
        while len(self._buf) - self._pos < size and not self._eof:
            self._fill()
        end = self._pos + size
        out, self._pos = self._buf[self._pos:end], min(end, len(self._buf))
        return out


def _check_prolog(reader: CleanUtf8Reader, label: str) -> bytes:
    head = reader.read(_PEEK)
    upper = head.upper()
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
    prolog = _PROLOG_NOISE.sub(b"", head)
    if head.strip() and not re.search(rb"<[A-Za-z_]", prolog):
        raise UnsafeInput(
            f"{label}: no element starts in the first 64 KiB; refusing to parse a file whose "
            "prolog is that long. Use the original dump file."
        )
    return head


class _Prepend:
    def __init__(self, head: bytes, rest: CleanUtf8Reader) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            out, self._head = self._head, b""
            return out
        return self._rest.read(size)


def iter_rows(
    raw: IO[bytes],
    label: str,
    on_bad_lines: Callable[[int], None],
) -> Iterator[Any]:
    """Yield the attribute mapping of every ``<row>`` element of ``raw``.

    The mapping is only valid until the next item is requested (the element is then cleared).
    """
    reader = CleanUtf8Reader(raw, on_bad_lines)
    head = _check_prolog(reader, label)
    context = etree.iterparse(
        _Prepend(head, reader),
        events=("end",),
        tag="row",
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for _, elem in context:
            yield elem.attrib
            elem.clear()
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as e:
        raise BrokenInput(
            f"{label}: is not well-formed XML ({e.msg.strip()}, line {e.lineno}); the file is "
            "truncated or damaged. Re-extract or re-download the dump and ingest again."
        ) from None
