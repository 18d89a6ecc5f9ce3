"""Reddit: Pushshift / Arctic Shift NDJSON dumps of submissions (``RS_``) and comments (``RC_``).

An input is one dump file or a folder of them (its own files only, not sub-folders). A dump is
NDJSON, one JSON object a line, plain or compressed (``.zst`` with the 2 GiB window Pushshift
uses, ``.gz``, ``.bz2``, ``.xz``). Files are streamed line by line with a bounded line buffer: a
line longer than :data:`MAX_LINE` bytes is skipped and counted. Submission files (``RS_*``,
``*submissions*``) are read before comment files, so a top-level comment can point at its
submission. The mapping (``docs/sources/reddit.md``):

============== ================================================================================
subreddit      ``places`` kind subreddit
submission     ``threads`` (title, author) + ``posts`` kind topic (body: ``selftext``)
comment        ``posts`` kind reply in the thread ``link_id``, replying to ``parent_id``; a thread
               whose submission is not in the input is still a thread (no title, no author,
               created at its first comment read: dumps are in time order)
author         ``members`` (native id: salted hash of the lower-cased name); ``[deleted]``: no member, the
               post is kept with no author; AutoModerator and ``*bot`` names are bots
[removed] etc. ``events`` (removed, deleted, edit_body, sticky); the post is kept without text
============== ================================================================================
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import re
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from communitas.errors import BrokenInput, InputNotFound, UnknownFormat, UnsafeInput
from communitas.model import SourceInfo
from communitas.sources.base import Batch, ReadContext, fingerprint_files, recognises
from communitas.sources.reddit_rows import RedditRows

MAX_LINE = 4 << 20  # bytes; Reddit caps a self-post at 40,000 characters, a comment at 10,000
COMPRESSED = (".zst", ".gz", ".bz2", ".xz")
PLAIN = (".ndjson", ".jsonl", ".json", "")
ZST_WINDOW_LOG = 31  # Pushshift compresses with --long=31
PROGRESS_LINES = 50_000
BATCH_CHECK_LINES = 1_000  # a full batch is handed on within this many lines
_DUMP_NAME = re.compile(r"^R[CS]_\d{4}-\d\d(?:-\d\d)?$")
_SUBMISSIONS = re.compile(r"(^RS_|submissions)", re.I)


def _stem(name: str) -> tuple[str, str] | None:
    """(name without its suffixes, compression) for a dump file name, or None.

    >>> _stem("RC_2005-12.zst"), _stem("RS_2011-01"), _stem("python_comments.jsonl.gz")
    (('RC_2005-12', '.zst'), ('RS_2011-01', ''), ('python_comments', '.gz'))
    >>> _stem("README.md"), _stem("stats.json"), _stem("notes")
    (None, ('stats', ''), None)
    """
    low = name.lower()
    comp = next((c for c in COMPRESSED if low.endswith(c)), "")
    base = name[: len(name) - len(comp)]
    for ext in PLAIN:
        if ext and base.lower().endswith(ext):
            return base[: -len(ext)], comp
    if _DUMP_NAME.match(base):
        return base, comp
    return None


def _in_folder(name: str) -> tuple[str, str] | None:
    """The stem of a folder's file that is a dump: named ``R[CS]_<date>``, ``.ndjson`` / ``.jsonl``,
    or ``*comments*`` / ``*submissions*`` (a folder's other ``.json`` files are notes, not dumps)."""
    stem = _stem(name)
    if stem is None:
        return None
    low = name.lower()
    if _DUMP_NAME.match(stem[0]) or ".ndjson" in low or ".jsonl" in low or re.search(
            "comments|submissions", low):
        return stem
    return None


def _files(path: Path) -> list[Path]:
    """The dump files of ``path`` (a file, or a folder's own files), submissions first."""
    if path.is_file():
        return [path]
    named = [(p, s) for p in path.iterdir() if p.is_file() and (s := _in_folder(p.name)) is not None]
    inside = path.resolve()
    for p, _ in named:
        if not p.resolve().is_relative_to(inside):
            raise UnsafeInput(f"{p}: a link to a file outside {path}; refused. Copy the dump into the "
                              "folder (or give the file itself) and ingest again.")
    chosen: dict[str, Path] = {}
    for p, (stem, _) in sorted(named, key=lambda x: (x[1][1] != "", x[0].name)):
        chosen.setdefault(stem, p)  # the same month plain and compressed: read the plain one
    return sorted(chosen.values(), key=lambda p: (not _SUBMISSIONS.search(p.name), p.name))


class _Disk(io.RawIOBase):
    """The file on disk, counting the bytes read from it (``position``)."""

    def __init__(self, path: Path) -> None:
        self._f = path.open("rb", buffering=0)
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._f.readinto(buffer) or 0
        self.position += n
        return n

    def close(self) -> None:
        self._f.close()
        super().close()


def _open(path: Path) -> tuple[IO[bytes], _Disk]:
    """(decompressed byte stream, on-disk byte counter) for a plain or compressed dump."""
    disk = _Disk(path)
    low = path.name.lower()
    raw: Any = disk
    if low.endswith(".zst"):
        from backports.zstd import DecompressionParameter, ZstdFile  # py7zr's dependency

        raw = ZstdFile(disk, options={DecompressionParameter.window_log_max: ZST_WINDOW_LOG})
    elif low.endswith((".gz", ".bz2", ".xz")):
        opener: Any = {"gz": gzip.GzipFile, "bz2": bz2.BZ2File, "xz": lzma.LZMAFile}[low.rsplit(".", 1)[1]]
        raw = opener(fileobj=disk) if opener is gzip.GzipFile else opener(disk)
    else:
        return io.BufferedReader(disk, 1 << 20), disk
    return io.BufferedReader(raw, 1 << 20), disk


def _broken(path: Path, e: Exception) -> BrokenInput:
    return BrokenInput(f"{path}: cannot be decompressed ({e}); the file is truncated or damaged. "
                       "Download it again (or remove it from the folder) and ingest again.")


def iter_lines(path: Path, label: str, ctx: ReadContext | None,
               max_line: int = MAX_LINE) -> Iterator[tuple[bytes, int]]:
    """(line, bytes read from disk so far) for each line of ``path``; a line longer than
    ``max_line`` bytes is skipped and counted, never held whole."""
    from backports.zstd import ZstdError

    data, disk = _open(path)
    try:
        while True:
            try:
                line = data.readline(max_line + 1)
                if len(line) > max_line and not line.endswith(b"\n"):
                    while (rest := data.readline(max_line)) and not rest.endswith(b"\n"):
                        pass
                    if ctx is not None:
                        ctx.skip(label, f"line longer than {max_line:,} bytes")
                    continue
            except (ZstdError, EOFError, OSError, lzma.LZMAError, zlib.error) as e:
                raise _broken(path, e) from None
            if not line:
                return
            yield line, disk.position
    finally:
        data.close()
        disk.close()


def decode(line: bytes, label: str, ctx: ReadContext | None) -> dict[str, Any] | None:
    """The JSON object of one line, or None (counted, except blank lines)."""
    if not line.strip():
        return None
    try:
        obj = json.loads(line.decode("utf-8").removeprefix("\ufeff"))  # strict UTF-8, not json's guess
    except UnicodeDecodeError:
        reason = "line is not UTF-8 text"
    except ValueError:
        reason = "line is not valid JSON (a truncated file ends so)"
    else:
        if isinstance(obj, dict):
            return obj
        reason = "line is not a JSON object"
    if ctx is not None:
        ctx.skip(label, reason)
    return None


def kind_of(obj: dict[str, Any]) -> str | None:
    """``comment``, ``submission`` or None, by the object's keys.

    >>> kind_of({"link_id": "t3_a", "body": ""}), kind_of({"title": "t", "selftext": ""})
    ('comment', 'submission')
    >>> kind_of({"name": "t3_x"}), kind_of({"id": "x"})
    ('submission', None)
    """
    name = obj.get("name")
    if "link_id" in obj or "parent_id" in obj or (isinstance(name, str) and name.startswith("t1_")):
        return "comment"
    if "title" in obj or "selftext" in obj or (isinstance(name, str) and name.startswith("t3_")):
        return "submission"
    return None


def _looks_reddit(path: Path) -> bool:
    """A peek: the first non-blank line of the first file is a Reddit object with a subreddit."""
    try:
        for n, (line, _) in enumerate(iter_lines(path, path.name, None, 1 << 20)):
            obj = decode(line, path.name, None)
            if obj is not None:
                return kind_of(obj) is not None and "subreddit" in obj and "created_utc" in obj
            if n >= 3:
                return False
    except (BrokenInput, OSError, ImportError):
        return False
    return False


def _name(path: Path) -> str:
    if path.is_dir():
        return path.name
    stem = _stem(path.name)
    return stem[0] if stem else path.name


class RedditSource:
    """Reads Pushshift / Arctic Shift Reddit dumps. See the module docstring."""

    platform = "reddit"
    order = 75  # auto-detection order (sources.registry)
    earliest = datetime(2005, 6, 23, tzinfo=UTC)  # reddit.com opened; no post is older

    def detect(self, path: Path) -> bool:
        if not path.exists() or (path.is_file() and _stem(path.name) is None):
            return False

        def probe() -> bool:
            files = _files(path)
            return bool(files) and _looks_reddit(files[0])

        return recognises(probe)

    def describe(self, path: Path, name: str | None = None) -> SourceInfo:
        if not path.exists():
            raise InputNotFound(f"{path}: no such file or folder. Check the path and try again.")
        files = _files(path)
        if not files:
            raise UnknownFormat(f"{path}: no Reddit dump files (RC_*/RS_*, .ndjson, .jsonl, .zst) here.")
        return SourceInfo(self.platform, name or _name(path), str(path.resolve()), fingerprint_files(files))

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        files = _files(path)
        total = sum(p.stat().st_size for p in files)
        out = RedditRows(ctx)
        done = 0
        for p in files:
            label = p.name
            for n, (line, pos) in enumerate(iter_lines(p, label, ctx, MAX_LINE), 1):
                _one(out, decode(line, label, ctx), label, ctx)
                if n % BATCH_CHECK_LINES == 0:
                    yield from out.full()
                    if n % PROGRESS_LINES == 0:
                        ctx.report_progress(path.name, done + pos, total, out.counts["comments"])
            done += p.stat().st_size
        if not out.counts["comments"] and not out.counts["submissions"]:
            raise UnknownFormat(
                f"{path}: no Reddit comment or submission found (every line skipped). Give Pushshift / "
                "Arctic Shift NDJSON dumps (RC_*/RS_*, plain or .zst), UTF-8, one JSON object a line.")
        yield from out.finish()
        _warn(path, out, ctx)
        ctx.report_progress(path.name, total, total, out.counts["comments"])


def _one(out: RedditRows, obj: dict[str, Any] | None, label: str, ctx: ReadContext) -> None:
    if obj is None:
        return
    kind = kind_of(obj)
    if kind == "comment":
        out.comment(obj, label)
    elif kind == "submission":
        out.submission(obj, label)
    else:
        ctx.skip(label, "neither a comment (link_id) nor a submission (title)")


def _warn(path: Path, out: RedditRows, ctx: ReadContext) -> None:
    if out.counts["anonymous"]:
        ctx.warn(f"{path}: {out.counts['anonymous']:,} posts by deleted accounts (author shown as "
                 "deleted, or missing) kept with no author; they are no member.")
    if out.counts["late_submissions"]:
        ctx.warn(f"{path}: {out.counts['late_submissions']:,} submissions came after comments of their "
                 "thread (a mixed file out of order): those threads keep no title or author; put the "
                 "submissions in a file of their own (RS_*, *submissions*), read first.")
    if out.counts["gone_text"]:
        ctx.warn(f"{path}: {out.counts['gone_text']:,} posts whose text Reddit shows as deleted or "
                 "removed kept without text (an event records each).")
