"""Reading the members of a dump as byte streams, whatever it is packed in.

A dump may be a folder of plain files, a folder of ``.gz`` files, or a ``.7z`` archive. All three
are offered the same way: :func:`iter_members` yields ``(name, stream, size)`` one member at a
time, in the order the container stores them, and never holds a whole member in memory.

For ``.7z`` archives (solid LZMA, as Stack Exchange distributes them) a background thread runs
py7zr's extractor into a bounded queue, so decompression and parsing overlap and memory stays at
a few chunks. Archive member names are only compared with the names we expect: nothing is ever
written to disk, so a crafted name cannot traverse paths.
"""

from __future__ import annotations

import contextlib
import gzip
import queue
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import py7zr
import py7zr.exceptions
import py7zr.io

from communitas.errors import BrokenInput

_END = object()


class _Cancelled(Exception):
    pass


class _QueueWriter(py7zr.io.Py7zIO):
    def __init__(self, name: str, q: queue.Queue[Any], cancel: threading.Event) -> None:
        self.name = name
        self._q = q
        self._cancel = cancel
        self._size = 0
        q.put(("start", name))

    def write(self, s: bytes | bytearray) -> int:
        while True:
            if self._cancel.is_set():
                raise _Cancelled()
            try:
                self._q.put(("data", bytes(s)), timeout=0.2)
                break
            except queue.Full:
                continue
        self._size += len(s)
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return self._size

    def close(self) -> None:
        self._q.put(("end", self.name))


class _QueueFactory(py7zr.io.WriterFactory):
    def __init__(self, q: queue.Queue[Any], cancel: threading.Event) -> None:
        self._q = q
        self._cancel = cancel

    def create(self, filename: str) -> py7zr.io.Py7zIO:
        return _QueueWriter(filename, self._q, self._cancel)


class _MemberStream:
    """File-like view of one archive member as it arrives from the queue."""

    def __init__(self, q: queue.Queue[Any], label: str) -> None:
        self._q = q
        self._label = label
        self._buf = b""
        self.done = False
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        while not self.done and (size < 0 or len(self._buf) < size):
            kind, payload = self._q.get()
            if kind == "data":
                self._buf += payload
            elif kind == "end":
                self.done = True
            elif kind in ("error", "closed"):
                why = payload or "it ended in the middle of a file"
                raise BrokenInput(
                    f"{self._label}: the archive is damaged ({why}). "
                    "Download the .7z again (check its size/checksum) and ingest again."
                )
        if size < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:size], self._buf[size:]
        self.position += len(out)
        return out

    def drain(self) -> None:
        while not self.done:
            self.read(1 << 20)


def _open_7z(path: Path) -> py7zr.SevenZipFile:
    try:
        return py7zr.SevenZipFile(path, mode="r")
    except (py7zr.exceptions.Bad7zFile, py7zr.exceptions.ArchiveError, EOFError, OSError) as e:
        raise BrokenInput(
            f"{path}: is not a readable .7z archive ({e or type(e).__name__}). "
            "Download it again (check its size/checksum) or extract it and ingest the folder."
        ) from None


def list_7z(path: Path) -> dict[str, int]:
    """Member names and uncompressed sizes of a ``.7z`` archive (reads only its header)."""
    with _open_7z(path) as archive:
        return {
            info.filename: int(info.uncompressed or 0)
            for info in archive.list()
            if not info.is_directory
        }


def iter_7z(path: Path) -> Iterator[tuple[str, _MemberStream]]:
    """Yield ``(member name, stream)`` for every file in the archive, in archive order."""
    q: queue.Queue[Any] = queue.Queue(maxsize=16)
    cancel = threading.Event()
    archive = _open_7z(path)

    def produce() -> None:
        try:
            archive.extractall(factory=_QueueFactory(q, cancel))
        except _Cancelled:
            pass
        except Exception as e:  # any decoder/CRC error: hand it to the reader
            q.put(("error", f"{type(e).__name__}: {e}"))
        finally:
            q.put(("closed", None))

    worker = threading.Thread(target=produce, name="communitas-7z", daemon=True)
    worker.start()
    try:
        while True:
            kind, payload = q.get()
            if kind == "closed":
                break
            if kind == "error":
                raise BrokenInput(
                    f"{path}: the archive is damaged ({payload}). "
                    "Download the .7z again (check its size/checksum) and ingest again."
                )
            if kind == "start":
                stream = _MemberStream(q, f"{path}!{payload}")
                yield payload, stream
                stream.drain()
    finally:
        cancel.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                q.get(timeout=0.05)
        worker.join()
        archive.close()


class CountingReader:
    """Wraps a binary stream; ``position`` is the number of bytes read from the file on disk."""

    def __init__(self, raw: IO[bytes], label: str) -> None:
        self._raw = raw
        self._label = label
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._raw.read(size)
        except (OSError, EOFError, zlib.error) as e:
            raise BrokenInput(
                f"{self._label}: cannot be decompressed ({e}); the file is truncated or "
                "damaged. Copy or download it again and ingest again."
            ) from None
        self.position += len(data)
        return data

    def close(self) -> None:
        self._raw.close()


def open_plain_or_gz(path: Path) -> tuple[CountingReader, CountingReader]:
    """Open ``path`` (plain or ``.gz``): returns (decompressed stream, on-disk byte counter)."""
    disk = CountingReader(path.open("rb"), str(path))
    if path.name.lower().endswith(".gz"):
        return CountingReader(gzip.GzipFile(fileobj=disk, mode="rb"), str(path)), disk  # type: ignore[call-overload]
    return disk, disk
