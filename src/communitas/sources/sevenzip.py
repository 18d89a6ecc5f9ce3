"""``.7z`` archives (as Stack Exchange publishes its dumps), read member by member.

A background thread runs py7zr's extractor into a bounded queue, so decompression and parsing
overlap and memory stays at a few chunks; nothing is written to disk, and member names are only
compared with the names the caller expects. Imported only when a ``.7z`` is read: py7zr and its
codecs take ~40 ms to import, which other inputs (and parsing worker processes) do without.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import py7zr
import py7zr.exceptions
import py7zr.io

from communitas.errors import BrokenInput


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
    """File-like view of one archive member as it arrives from the queue.

    py7zr hands over several MB at a time; the buffer is a bytearray consumed from the front
    (``del buf[:n]`` only moves its start), so reading it 1 MiB at a time copies each byte once.
    """

    def __init__(self, q: queue.Queue[Any], label: str) -> None:
        self._q = q
        self._label = label
        self._buf = bytearray()
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
        n = len(self._buf) if size < 0 else min(size, len(self._buf))
        with memoryview(self._buf) as view:
            out = bytes(view[:n])
        del self._buf[:n]
        self.position += n
        return out

    def drain(self) -> None:
        while not self.done:
            self.read(1 << 20)


def _open_7z(path: Path) -> py7zr.SevenZipFile:
    """The archive with its header read. A damaged header fails in whatever its decoder raises
    (``lzma.LZMAError`` for about half of all one-byte flips in beer's compressed header, besides
    py7zr's own errors, ``EOFError``, ``struct.error``, ``KeyError``...): every one of them is a
    :class:`BrokenInput`, never a traceback."""
    try:
        return py7zr.SevenZipFile(path, mode="r")
    except MemoryError:
        raise
    except Exception as e:  # an untrusted header: any decoder error means damage
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
