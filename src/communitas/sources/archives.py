"""Reading the members of an export as byte streams, whatever it is packed in: plain or ``.gz``
files, ``.tar.gz`` and ``.zip`` archives (``.7z``: :mod:`communitas.sources.sevenzip`).

Members are streamed, never held whole in memory, and never written to disk: member names are
only checked and compared with the names we expect, so a crafted name cannot traverse paths.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from communitas.errors import BrokenInput, UnsafeInput


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


def open_plain_or_gz(path: Path) -> tuple[CountingReader | BoundedGzip, CountingReader]:
    """Open ``path`` (plain or ``.gz``): returns (decompressed stream, on-disk byte counter).

    A ``.gz`` is bounded like every decompression here (:class:`BoundedGzip`); a reader that stops
    before the end calls ``drain()`` so the gzip trailer (CRC and length) is still checked."""
    disk = CountingReader(path.open("rb"), str(path))
    if path.name.lower().endswith(".gz"):
        return BoundedGzip(disk, str(path)), disk
    return disk, disk


def member_name_is_safe(name: str) -> bool:
    """False for empty names, absolute paths, drive letters, backslashes, NULs and ``..``
    components: the member-name check shared by the tar and zip readers.

    >>> member_name_is_safe("archive/posts/1.json"), member_name_is_safe("../x")
    (True, False)
    >>> member_name_is_safe("/etc/x"), member_name_is_safe("C:x"), member_name_is_safe("a/../b")
    (False, False, False)
    """
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\0" in name:
        return False
    if len(name) > 1 and name[1] == ":":
        return False
    return ".." not in name.split("/")


# -- gzip streams: one bound for every decompression path --------------------------------------

MAX_TOTAL = 16 << 30  # bytes decompressed from one input (a file, an archive)
MAX_RATIO = 200  # decompressed / compressed bytes, checked once past RATIO_FLOOR
RATIO_FLOOR = 16 << 20


class BoundedGzip(io.RawIOBase):
    """A decompressed ``.gz`` stream over ``raw`` (a binary stream, closed with this one).

    It refuses to inflate past ``max_total`` bytes, or past ``max_ratio`` times the compressed
    bytes read so far once over :data:`RATIO_FLOOR` (:class:`UnsafeInput`: a 4 MB file that
    expands to 1 GiB is refused before it is), and turns a damaged or truncated stream into
    :class:`BrokenInput`. gzip checks its CRC and length only at the end of the stream, so a reader
    that stops early (a tar reader at the end-of-archive blocks, a JSON parser at the closing
    brace) calls :meth:`drain`: a flipped byte or a missing trailer is then an error, not silently
    corrupted text.
    """

    def __init__(self, raw: IO[bytes] | CountingReader, label: str, max_total: int = MAX_TOTAL,
                 max_ratio: int = MAX_RATIO) -> None:
        super().__init__()
        self.label = label
        self.max_total = max_total
        self.max_ratio = max_ratio
        self.disk = raw if isinstance(raw, CountingReader) else CountingReader(raw, label)
        self._gz = gzip.GzipFile(fileobj=self.disk, mode="rb")  # type: ignore[call-overload]
        self.produced = 0
        self.position = 0  # bytes decompressed, like CountingReader.position

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:  # to the end, a bounded piece at a time
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        try:
            data: bytes = self._gz.read(size)
        except (OSError, EOFError, zlib.error) as e:
            raise BrokenInput(
                f"{self.label}: cannot be decompressed ({e}); the file is truncated or "
                "damaged. Copy or download it again and ingest again."
            ) from None
        self.produced += len(data)
        self.position = self.produced
        ratio_bound = self.max_ratio * max(self.disk.position, 1)
        if self.produced > self.max_total or (
                self.produced > RATIO_FLOOR and self.produced > ratio_bound):
            raise UnsafeInput(
                f"{self.label}: decompresses to more than {self.produced:,} bytes from "
                f"{self.disk.position:,} (a decompression bomb?); refusing it. "
                "Decompress it yourself if you trust it, and ingest the result."
            )
        return data

    def drain(self) -> None:
        """Read to the end of the stream, so its CRC and length are checked."""
        while self.read(1 << 20):
            pass

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if self.closed:
            return
        try:
            self._gz.close()
            self.disk.close()
        finally:
            super().close()


# -- tar.gz archives (Discourse post dumps) ---------------------------------------------------


def _tar_refuse(path: Path, member: tarfile.TarInfo) -> None:

    if not member_name_is_safe(member.name):
        raise UnsafeInput(
            f"{path}: member name {member.name!r} points outside the archive; refusing the "
            "archive. Re-create it from the original files."
        )
    if not (member.isfile() or member.isdir()):
        raise UnsafeInput(
            f"{path}: member {member.name!r} is a link or special file; refusing the archive. "
            "Re-create it with plain files only (tar without links)."
        )


def iter_tar_gz(
    path: Path, max_total: int = MAX_TOTAL, max_ratio: int = MAX_RATIO,
) -> Iterator[tuple[str, CountingReader, int]]:
    """Yield ``(member name, stream, size)`` for every regular file of a ``.tar.gz``, in order.

    The archive is read as one stream (``tarfile`` mode ``r|``): nothing is extracted or
    written, each member must be consumed before the next is yielded, and memory stays flat.
    Absolute or ``..`` names, links and special files raise :class:`UnsafeInput` (refused even
    though nothing is written); decompressing past ``max_total`` bytes, or past ``max_ratio``
    times the compressed bytes read so far, raises :class:`UnsafeInput`; a truncated or corrupt
    archive raises :class:`BrokenInput`.
    """

    stream = BoundedGzip(path.open("rb"), str(path), max_total, max_ratio)
    declared = 0
    try:
        try:
            tar = tarfile.open(fileobj=stream, mode="r|")  # type: ignore[call-overload]  # noqa: SIM115
        except tarfile.ReadError as e:
            raise BrokenInput(
                f"{path}: is not a readable .tar.gz archive ({e}). Download it again."
            ) from None
        with tar:
            for member in _tar_members(path, tar):
                _tar_refuse(path, member)
                if not member.isfile():
                    continue
                declared += member.size
                if declared > max_total:
                    raise UnsafeInput(
                        f"{path}: members declare more than {max_total:,} bytes in all; refusing "
                        "the archive. Unpack it yourself if you trust it, and ingest the folder."
                    )
                data = tar.extractfile(member)
                if data is not None:
                    yield member.name, _TarMemberStream(data, f"{path}!{member.name}"), member.size
        stream.drain()  # past the end-of-archive blocks: the gzip trailer's CRC and length
    finally:
        stream.close()


def _tar_members(path: Path, tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """The archive's members, with truncation and header damage turned into BrokenInput."""
    while True:
        try:
            member = tar.next()
        except (tarfile.ReadError, EOFError, zlib.error) as e:
            raise BrokenInput(
                f"{path}: the archive is truncated or damaged ({e or type(e).__name__}). "
                "Download it again and ingest again."
            ) from None
        if member is None:
            return
        yield member


class _TarMemberStream(CountingReader):
    """One member's bytes; a member cut short by truncation raises BrokenInput."""

    def read(self, size: int = -1) -> bytes:
        try:
            return super().read(size)
        except tarfile.ReadError as e:
            raise BrokenInput(
                f"{self._label}: the archive is truncated or damaged ({e}). "
                "Download it again and ingest again."
            ) from None

# -- zip archives (Slack exports, zipped chat exports) ----------------------------------------

ZIP_MAX_TOTAL = 16 << 30  # bytes, all members decompressed together
ZIP_MAX_RATIO = 200  # decompressed / compressed, for members over ZIP_RATIO_FLOOR bytes
ZIP_RATIO_FLOOR = 1 << 20


class SafeZip:
    """A ``.zip`` read in place, member by member, refusing what is unsafe.

    Nothing is extracted to disk. Opening checks every member name (no absolute paths, no
    ``..``: a crafted name is refused with :class:`UnsafeInput` even though it could not escape)
    and the declared sizes (total and compression ratio, against zip bombs); reading counts the
    bytes really produced, so a member whose header lies about its size is refused too. A file
    that is not a readable zip, or a member that fails its CRC, raises :class:`BrokenInput`.
    """

    def __init__(self, path: Path, max_total: int = ZIP_MAX_TOTAL, max_ratio: int = ZIP_MAX_RATIO):
        import zipfile

        self.path = path
        self.max_total = max_total
        self.max_ratio = max_ratio
        self._read = 0
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as e:
            raise BrokenInput(
                f"{path}: is not a readable .zip archive ({e or type(e).__name__}). "
                "Download or export it again, or unzip it and ingest the folder."
            ) from None
        self.sizes: dict[str, int] = {}
        for info in infos:
            self._check(info)
            if not info.is_dir():
                self.sizes[info.filename] = info.file_size

    def _check(self, info: Any) -> None:

        if not member_name_is_safe(info.filename):
            raise UnsafeInput(
                f"{self.path}: member name {info.filename!r} points outside the archive; "
                "refusing the archive. Re-create it from the original export."
            )
        total = sum(self.sizes.values()) + info.file_size
        big = info.file_size > ZIP_RATIO_FLOOR
        if total > self.max_total or (big and info.file_size > self.max_ratio * max(info.compress_size, 1)):
            raise UnsafeInput(
                f"{self.path}: member {info.filename!r} would decompress to {info.file_size:,} bytes "
                f"from {info.compress_size:,} (a decompression bomb?); refusing the archive. "
                "Unzip it yourself if you trust it, and ingest the folder."
            )

    def names(self) -> list[str]:
        """Member file names (no folders), in archive order."""
        return list(self.sizes)

    def open(self, name: str) -> _ZipMemberStream:
        """A bounded binary stream over member ``name``."""
        return _ZipMemberStream(self, name)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _ZipMemberStream(io.RawIOBase):
    """Reads one zip member; refuses more bytes than declared, turns decoder errors into BrokenInput."""

    def __init__(self, owner: SafeZip, name: str) -> None:
        import zipfile

        super().__init__()
        self._owner = owner
        self._name = name
        self._limit = owner.sizes[name]
        self.position = 0
        try:
            self._raw = owner._zip.open(name)
        except (zipfile.BadZipFile, NotImplementedError, OSError, RuntimeError) as e:
            raise BrokenInput(
                f"{owner.path}!{name}: cannot be read ({e}). Export the archive again."
            ) from None

    def read(self, size: int = -1) -> bytes:
        import zipfile


        try:
            data = self._raw.read(size)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError) as e:
            raise BrokenInput(
                f"{self._owner.path}!{self._name}: the archive is damaged ({e}). "
                "Download or export it again and ingest again."
            ) from None
        self.position += len(data)
        self._owner._read += len(data)
        if self.position > self._limit or self._owner._read > self._owner.max_total:
            raise UnsafeInput(
                f"{self._owner.path}!{self._name}: decompresses to more than its header declares "
                "(a decompression bomb?); refusing the archive. Re-create it from the original export."
            )
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()
