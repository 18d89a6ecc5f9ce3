"""Mailing-list archives as byte streams: which files are mbox archives, and their decoded bytes.

An archive is one or more *streams* (:class:`Spec`): plain or gzip (multi-member) mbox files, or
the ``.mbox`` members of a ``.zip`` (Groups.io). :func:`iter_chunks` decodes one stream in bounded
chunks (ISA-L when installed, else zlib); :func:`stream_chunks` chains every stream of an
archive, and :func:`prefetch` runs that in a helper thread so inflation overlaps with parsing.
Splitting the bytes into messages is :mod:`communitas.sources.mbox_split`'s job.
"""

from __future__ import annotations

import queue
import re
import threading
import zipfile
import zlib
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from communitas.errors import BrokenInput, InputNotFound, UnknownFormat
from communitas.sources.archives import SafeZip

_zlib: Any = zlib
try:  # ISA-L decompresses gzip about twice as fast as zlib
    from isal import isal_zlib

    _zlib = isal_zlib
except ImportError:  # pragma: no cover - isal is a dependency; zlib is the fallback
    pass

T = TypeVar("T")
CHUNK = 1 << 22
# A separator line: "From <sender> <date>", the date with a time hh:mm in it.
FROM_LINE = re.compile(rb"From \S*[ \t]+.*\d\d?:\d\d")
DECODE_ERRORS = (OSError, EOFError, zlib.error, _zlib.error)  # a damaged or truncated stream
_SKIP_SUFFIXES = (".json", ".csv", ".xml", ".zip", ".7z", ".tar.gz", ".tgz", ".md", ".jsonl.gz",
                  ".json.gz", ".csv.gz", ".xml.gz", ".html", ".py")
_MBOX_MEMBERS = (".mbox", ".mbx", ".mbox.gz")


def prefetch(chunks: Iterator[T], depth: int = 2) -> Generator[T, None, None]:
    """``chunks``, produced by a helper thread at most ``depth`` ahead: gzip inflation (which
    releases the GIL) overlaps with parsing. Errors of the producer are raised here.

    >>> list(prefetch(iter([b"a", b"b"])))
    [b'a', b'b']
    """
    q: queue.Queue[T | BaseException | None] = queue.Queue(depth)
    stop = threading.Event()

    def put(item: T | BaseException | None) -> bool:
        """Hand ``item`` over unless the consumer has gone; False when it has."""
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not put(chunk):
                    return
            put(None)
        except BaseException as e:  # handed to the consumer, which re-raises it
            put(e)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    try:
        while (item := q.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def iter_chunks(raw: _Readable) -> Iterator[bytes]:
    """The decoded bytes of a plain or gzip (multi-member) file, in chunks of at most ``CHUNK``.

    Decompressed output is bounded per step (a gzip bomb streams through, it never inflates in
    memory). Decompression uses ISA-L (``isal``) when installed, about twice as fast as zlib.
    """
    data = raw.read(CHUNK)
    if data[:2] != b"\x1f\x8b":
        while data:
            yield data
            data = raw.read(CHUNK)
        return
    d = _zlib.decompressobj(31)
    while data:
        out = d.decompress(data, CHUNK)
        if out:
            yield out
        if d.eof:  # end of a gzip member: another may follow
            data = d.unused_data or raw.read(CHUNK)
            if data:
                d = _zlib.decompressobj(31)
        else:
            data = d.unconsumed_tail or raw.read(CHUNK)
    if not d.eof:
        raise EOFError("compressed file ended before the end-of-stream marker was reached")


def zip_mbox_members(path: Path) -> list[str]:
    """The ``.mbox`` / ``.mbx`` / ``.mbox.gz`` members of a ``.zip`` (a Groups.io export), by name."""
    if not (path.is_file() and path.name.lower().endswith(".zip")):
        return []
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return []
    return sorted(n for n in names if n.lower().endswith(_MBOX_MEMBERS))


def is_mbox_file(path: Path) -> bool:
    """True when ``path`` is a file (plain or gzip) whose first line is an mbox ``From `` line,
    or a ``.zip`` holding mbox files."""
    if zip_mbox_members(path):
        return True
    if not path.is_file() or path.name.lower().endswith(_SKIP_SUFFIXES) or path.name.startswith("."):
        return False
    try:
        with path.open("rb") as raw:
            head = raw.read(1 << 16)
        if head[:2] == b"\x1f\x8b":
            head = zlib.decompressobj(31).decompress(head, 1024)
    except (OSError, EOFError, zlib.error):
        return False
    line = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    return bool(FROM_LINE.match(line))


def mbox_files(path: Path) -> list[Path]:
    """The mbox files of ``path`` (a file, or a folder's files sorted by name)."""
    if not path.exists():
        raise InputNotFound(f"{path}: no such file or folder. Check the path and try again.")
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if is_mbox_file(p))
    if not files or not all(is_mbox_file(p) for p in files):
        raise UnknownFormat(
            f"{path}: not an mbox archive (no file starting with an mbox 'From ' line). "
            "Give an .mbox / .mbox.gz / pipermail .txt.gz file, a .zip of .mbox files, "
            "or the folder holding them."
        )
    return files


@dataclass(frozen=True, slots=True)
class Spec:
    """One mbox stream: a file, or a member of a .zip."""

    path: Path
    member: str | None
    label: str
    where: str
    total: int  # bytes on disk (compressed size for a zip member's progress: its stored size)


def specs(files: list[Path]) -> list[Spec]:
    out = []
    for f in files:
        members = zip_mbox_members(f)
        if not members:
            out.append(Spec(f, None, f.name, str(f), f.stat().st_size))
            continue
        with SafeZip(f) as z:
            out += [Spec(f, m, f"{f.name}!{m}", f"{f}!{m}", z.sizes[m]) for m in members]
    return out


@contextmanager
def open_spec(spec: Spec) -> Iterator[_Readable]:
    if spec.member is None:
        with spec.path.open("rb") as raw:
            yield raw
        return
    with SafeZip(spec.path) as z, z.open(spec.member) as stream:
        yield stream


def damaged(spec: Spec, e: BaseException) -> BrokenInput:
    return BrokenInput(f"{spec.where}: the file is damaged or truncated ({e}). "
                       "Re-download it, or leave it out of the folder.")


@dataclass(slots=True)
class Start:
    """Marks the start of one mbox stream (a file, or a member of a .zip) in the chunk flow."""

    label: str
    total: int


Item = Start | tuple[bytes, int]  # a stream's start, or (decoded chunk, bytes read so far)


def stream_chunks(specs: list[Spec]) -> Iterator[Item]:
    """The decoded chunks of every stream, one after the other, each opened by a ``Start`` and
    closed by an empty chunk. Run by :func:`prefetch` in a helper thread, so inflation runs on
    without a pause from one monthly file to the next."""
    for spec in specs:
        with open_spec(spec) as raw:
            yield Start(spec.label, spec.total)
            tell = getattr(raw, "tell", None)
            try:
                for chunk in iter_chunks(raw):
                    done = getattr(raw, "position", None)  # a zip member stream cannot tell()
                    yield chunk, done if done is not None else tell() if tell else 0
            except DECODE_ERRORS as e:
                raise damaged(spec, e) from None
            yield b"", spec.total
