"""One file of a chat export, on disk or inside a ``.zip``, opened the same way.

:class:`ExportFile` hides where a file lives: a plain path, or a member of a :class:`SafeZip`
(read in place, never extracted; names and sizes checked when the zip was opened). ``.gz``
files are decompressed on the fly either way, within the bounds of
:class:`~communitas.sources.archives.BoundedGzip`. Readers get a binary stream and a function
telling how many bytes of input they have consumed (for progress bars).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

from communitas.errors import InputError
from communitas.sources.archives import BoundedGzip, SafeZip


class ExportFile:
    """A file to read: ``path`` itself, or member ``member`` of the open zip ``archive``."""

    def __init__(self, path: Path, member: str | None = None, archive: SafeZip | None = None) -> None:
        self.path = path
        self.member = member
        self.archive = archive

    @property
    def name(self) -> str:
        """The file's own name (no folders)."""
        return (self.member or self.path.name).rsplit("/", 1)[-1]

    @property
    def label(self) -> str:
        """How messages and skip counts name it: ``file.csv`` or ``export.zip!dir/file.csv``."""
        return f"{self.path.name}!{self.member}" if self.member else self.path.name

    @property
    def where(self) -> str:
        """The full location, for error messages."""
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    def size(self) -> int:
        """Bytes of input (on disk; for a zip member, its decompressed size)."""
        if self.archive is not None and self.member is not None:
            return self.archive.sizes.get(self.member, 0)
        return self.path.stat().st_size

    def open(self) -> tuple[IO[bytes], Callable[[], int]]:
        """(binary stream, decompressed if ``.gz``; bytes of input consumed so far)."""
        if self.archive is not None and self.member is not None:
            member = self.archive.open(self.member)
            raw: IO[bytes] = io.BufferedReader(member)

            def position() -> int:
                return member.position
        else:
            disk = self.path.open("rb")
            raw = disk

            def position() -> int:
                return disk.tell() if not disk.closed else 0
        if self.name.lower().endswith(".gz"):
            return BoundedGzip(raw, self.where), position  # type: ignore[return-value]
        return raw, position

    def head(self, n: int = 4096) -> bytes:
        """The first ``n`` bytes (decompressed), tolerating a damaged end; b"" if unreadable."""
        try:
            if self.archive is not None and self.member is not None:
                with self.archive.open(self.member) as member:
                    data = member.read(4 * n)
            else:
                with self.path.open("rb") as f:
                    data = f.read(4 * n)
            if self.name.lower().endswith(".gz"):
                data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, n)
        except (OSError, zlib.error, ValueError, InputError):
            return b""
        return data[:n]
