"""Mailing-list archives: mbox files (plain or .gz), one or many in a folder, or a .zip of them.

Covers plain mbox / mboxrd files, Mailman 2 pipermail monthly archives (``2016-March.txt.gz``,
with ``From user at example.com`` obfuscated senders), HyperKitty / Mailman 3 mbox exports and
Groups.io ``messages.zip`` exports.
See ``docs/sources/mailing-lists.md``.

=================== ==========================================================================
the list            one ``places`` row of kind ``mailing_list`` (named from ``List-Id``)
each sender         one ``members`` row, keyed by the real address once list-server rewrites
                    are undone (:mod:`communitas.sources.email_sender`), stored only as
                    ``email_hash = ctx.hash_identifier(address)``; or, when a relay hid the
                    address, by relay address + display name (no ``email_hash``); the display
                    name is kept
each message        one ``posts`` row of kind ``email`` (``auto_reply``, not a contribution, when
                    automation headers mark a human's message); ``reply_to_post_id`` = its parent
each thread         one ``threads`` row + one ``thread_places`` row (JWZ-style threading, see
                    :mod:`communitas.sources.email_threading`)
=================== ==========================================================================

Reading is one streaming pass: a byte-level ``From `` splitter over the (gunzipped) stream keeps
at most one message in memory. Threading needs the whole archive, so until it is done each
message's ids, date, sender and subject stay in memory (about 1 KB) and the text kept (quotes,
signatures, attachments and HTML removed) waits in a temporary file.
"""

from __future__ import annotations

import multiprocessing
import queue
import re
import sys
import tempfile
import threading
import zipfile
import zlib
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

from communitas.errors import BrokenInput, InputNotFound, UnknownFormat
from communitas.identities import bot_name_reason
from communitas.model import SourceInfo
from communitas.sources.archives import SafeZip
from communitas.sources.base import Batch, BatchBuilder, ReadContext, fingerprint_files
from communitas.sources.email_sender import fold_name
from communitas.sources.email_text import clean_title, decode_words, message_id, subject_key
from communitas.sources.email_threading import Mail, thread
from communitas.sources.mbox_parse import CUT_SHORT, DATE_FROM_LINE, Parsed, cut_short, parse_message
from communitas.sources.parallel import usable_cpus

_zlib: Any = zlib
try:  # ISA-L decompresses gzip about twice as fast as zlib
    from isal import isal_zlib

    _zlib = isal_zlib
except ImportError:  # pragma: no cover - isal is a dependency; zlib is the fallback
    pass

T = TypeVar("T")
CHUNK = 1 << 22
SPILL_BYTES = 16 << 20  # kept texts beyond this wait on disk until threading is done
MAX_MESSAGE_BYTES = 64 << 20  # a larger "message" is skipped (and never held whole in memory)
# Archives of several files, PARALLEL_MIN_BYTES or more on disk, none over PARALLEL_MAX_FILE, are
# parsed file by file in forked worker processes; threading stays in this process. PARALLEL None:
# on Linux with 2+ CPUs; True / False: always (where fork exists) / never.
PARALLEL: bool | None = None
PARALLEL_MIN_BYTES = 8 << 20
PARALLEL_MAX_FILE = 256 << 20  # a larger file's parsed messages would wait whole in memory
MAX_WORKERS = 4
MANY_NAMES = 5  # a sender address seen with this many distinct display names gets a warning
_FROM_LINE = re.compile(rb"From \S*[ \t]+.*\d\d?:\d\d")
_SKIP_SUFFIXES = (".json", ".csv", ".xml", ".zip", ".7z", ".tar.gz", ".tgz", ".md", ".jsonl.gz",
                  ".json.gz", ".csv.gz", ".xml.gz", ".html", ".py")
_MBOX_MEMBERS = (".mbox", ".mbx", ".mbox.gz")
_STRIP_EXT = re.compile(r"(\.(mbox|mbx|txt|zip))?(\.gz)?$", re.I)


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
    return bool(_FROM_LINE.match(line))


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
        if _FROM_LINE.match(buf, i + skip, end):
            if cur is not None:
                if oversize:
                    _count(ctx, label, f"message larger than {MAX_MESSAGE_BYTES:,} bytes")
                else:
                    yield cur, buf[start:i + 1]
            cur, start, oversize = buf[i + skip:end].rstrip(b"\r"), end + 1, False
        scan = i + 1
    if cur is not None:
        if oversize:
            _count(ctx, label, f"message larger than {MAX_MESSAGE_BYTES:,} bytes")
            return
        tail = buf[start:-1]  # (the loop added one b"\n" after the stream's last byte)
        if (cut := _cut_in_from_line(tail)) != -1:  # the next message's From line was cut: this
            _count(ctx, label, CUT_SHORT)  # message is whole, the next one is lost
            tail = tail[:cut]
        if cut_short(tail):
            _count(ctx, label, CUT_SHORT)
        else:
            yield cur, tail.rstrip(b"\n") + b"\n"


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


@dataclass(slots=True)
class _Sender:
    names: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None
    messages: int = 0
    automated: int = 0
    bot_reason: str | None = None
    member_id: str = ""
    known: bool = True  # keyed by a real address (False: by relay address and display name)


@dataclass(slots=True)
class _Post:
    post_id: str
    member_id: str
    at: datetime
    subject: str
    automated: bool
    length: int
    body_bytes: int  # UTF-8 size of the kept text in the spill file; -1 when bodies are not kept


@dataclass
class _State:
    """Everything one read accumulates before threading."""

    senders: dict[str, _Sender] = field(default_factory=dict)
    posts: list[_Post] = field(default_factory=list)
    mails: list[Mail] = field(default_factory=list)
    seen_ids: set[str] = field(default_factory=set)
    list_ids: Counter[str] = field(default_factory=Counter)
    hashes: dict[str, str] = field(default_factory=dict)  # address -> salted hash, per read
    no_id: int = 0
    rewritten: Counter[str] = field(default_factory=Counter)  # rule -> messages (email_sender)
    # the kept texts wait for threading in memory up to SPILL_BYTES, then in a temporary file
    spill: IO[bytes] = field(
        default_factory=lambda: tempfile.SpooledTemporaryFile(SPILL_BYTES))  # type: ignore[arg-type]  # noqa: SIM115


class MboxSource:
    """Reads mailing-list archives. See the module docstring for the mapping."""

    platform = "mbox"
    order = 20  # auto-detection order (sources.registry)

    def detect(self, path: Path) -> bool:
        try:
            return bool(mbox_files(path))
        except (UnknownFormat, InputNotFound, OSError):
            return False

    def describe(self, path: Path, name: str | None = None) -> SourceInfo:
        files = mbox_files(path)
        default = path.name if path.is_dir() else _STRIP_EXT.sub("", path.name)
        return SourceInfo(self.platform, name or default, str(path.resolve()), fingerprint_files(files))

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        state = _State()
        try:
            yield from _read_all(path, ctx, state)
        finally:
            state.spill.close()


def _read_all(path: Path, ctx: ReadContext, state: _State) -> Iterator[Batch]:
    specs = _specs(mbox_files(path))
    if _parallel(specs):
        _read_parallel(specs, ctx, state)
    else:
        _read_sequential(specs, ctx, state)
    if not state.posts:
        raise BrokenInput(f"{path}: no readable message in this mbox archive. "
                          "Check that it is an mbox file (messages separated by 'From ' lines).")
    if state.no_id:
        ctx.warn(f"{path}: {state.no_id} message(s) had no Message-ID; their ids were derived from "
                 "their headers, and nothing can be threaded as a reply to them.")
    _warn_senders(path, state, ctx)
    thread(state.mails)
    yield from _emit(state, ctx)


def _warn_senders(path: Path, state: _State, ctx: ReadContext) -> None:
    """Say how many senders were recovered from list-server rewrites, and which members posted
    under MANY_NAMES or more distinct display names (named by member id, never by address)."""
    total = sum(state.rewritten.values())
    if total:
        how = "; ".join(f"{rule}: {n}" for rule, n in state.rewritten.most_common())
        ctx.warn(f"{path}: {total} message(s) had their From rewritten by the list server (DMARC "
                 f"mitigation, 'X via List', Google Groups, Groups.io, Discourse ...); their sender was "
                 f"recovered by rule ({how}). See docs/sources/mailing-lists.md.")
    many = sorted(((len(k), digest) for digest, s in state.senders.items()
                   if len(k := {fold_name(n) for n in s.names}) >= MANY_NAMES), reverse=True)
    if many:
        who = ", ".join(f"{ctx.source_id}:m:{digest} ({n} names)" for n, digest in many[:10])
        more = f" and {len(many) - 10} more" if len(many) > 10 else ""
        ctx.warn(f"{path}: {len(many)} sender address(es) posted under {MANY_NAMES} or more distinct "
                 f"display names: {who}{more}. Such an address is probably a list or relay address "
                 "that rewrites senders in a way communitas does not undo, so several people may be "
                 "merged in one member. See docs/sources/mailing-lists.md.")


@dataclass(frozen=True, slots=True)
class _Spec:
    """One mbox stream: a file, or a member of a .zip."""

    path: Path
    member: str | None
    label: str
    where: str
    total: int  # bytes on disk (compressed size for a zip member's progress: its stored size)


def _specs(files: list[Path]) -> list[_Spec]:
    out = []
    for f in files:
        members = zip_mbox_members(f)
        if not members:
            out.append(_Spec(f, None, f.name, str(f), f.stat().st_size))
            continue
        with SafeZip(f) as z:
            out += [_Spec(f, m, f"{f.name}!{m}", f"{f}!{m}", z.sizes[m]) for m in members]
    return out


@contextmanager
def _open(spec: _Spec) -> Iterator[_Readable]:
    if spec.member is None:
        with spec.path.open("rb") as raw:
            yield raw
        return
    with SafeZip(spec.path) as z, z.open(spec.member) as stream:
        yield stream


def _damaged(spec: _Spec, e: BaseException) -> BrokenInput:
    return BrokenInput(f"{spec.where}: the file is damaged or truncated ({e}). "
                       "Re-download it, or leave it out of the folder.")


def _parallel(specs: list[_Spec]) -> bool:
    """Worth parsing in worker processes: several files, enough bytes, none too large, spare CPUs."""
    cpus = usable_cpus()
    wanted = PARALLEL if PARALLEL is not None else cpus > 1
    return (wanted and sys.platform == "linux" and len(specs) > 1
            and sum(s.total for s in specs) >= PARALLEL_MIN_BYTES
            and max(s.total for s in specs) <= PARALLEL_MAX_FILE)


class _Skips:
    """Skip counts of a worker (a ReadContext stays in the parent)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def skip(self, where: str, reason: str, n: int = 1) -> None:
        self.counts[reason] += n


def parse_stream(spec: _Spec) -> tuple[list[Parsed | str], Counter[str]]:
    """Every message of one stream, parsed (run in a worker process): ``(parsed or skip reason
    per message, skips of the splitter)``."""
    skips = _Skips()
    with _open(spec) as raw:
        try:
            messages = split_mbox(iter_chunks(raw), skips, spec.label)
            return [parse_message(from_line, msg) for from_line, msg in messages], skips.counts
        except (OSError, EOFError, zlib.error, _zlib.error) as e:  # type: ignore[misc]
            raise _damaged(spec, e) from None


def _read_parallel(specs: list[_Spec], ctx: ReadContext, state: _State) -> None:
    """Files parsed by worker processes (forked: nothing to import), recorded here in file order."""
    workers = min(MAX_WORKERS, usable_cpus(), len(specs))
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        for spec, (parsed, skips) in zip(specs, pool.map(parse_stream, specs), strict=True):
            for reason, n in skips.items():
                ctx.skip(spec.label, reason, n)
            for p in parsed:
                _record(p, spec.label, ctx, state)
            ctx.report_progress(spec.label, spec.total, spec.total, len(parsed))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _read_sequential(specs: list[_Spec], ctx: ReadContext, state: _State) -> None:
    chunks = prefetch(_stream_chunks(specs))
    try:
        while (start := next(chunks, None)) is not None:
            assert isinstance(start, _Start)
            _read_stream(start, chunks, ctx, state)
    finally:
        chunks.close()


@dataclass(slots=True)
class _Start:
    """Marks the start of one mbox stream (a file, or a member of a .zip) in the chunk flow."""

    label: str
    total: int


_Item = _Start | tuple[bytes, int]  # a stream's start, or (decoded chunk, bytes read so far)


def _stream_chunks(specs: list[_Spec]) -> Iterator[_Item]:
    """The decoded chunks of every stream, one after the other, each opened by a ``_Start`` and
    closed by an empty chunk. Run by :func:`prefetch` in a helper thread, so inflation runs on
    without a pause from one monthly file to the next."""
    for spec in specs:
        with _open(spec) as raw:
            yield _Start(spec.label, spec.total)
            tell = getattr(raw, "tell", None)
            try:
                for chunk in iter_chunks(raw):
                    done = getattr(raw, "position", None)  # a zip member stream cannot tell()
                    yield chunk, done if done is not None else tell() if tell else 0
            except (OSError, EOFError, zlib.error, _zlib.error) as e:  # type: ignore[misc]
                raise _damaged(spec, e) from None
            yield b"", spec.total


def _read_stream(start: _Start, chunks: Iterator[_Item], ctx: ReadContext, state: _State) -> None:
    label, total = start.label, start.total
    done = [0]

    def own_chunks() -> Iterator[bytes]:
        """This stream's chunks, up to (and consuming) its closing empty chunk."""
        for item in chunks:
            assert not isinstance(item, _Start)
            chunk, done[0] = item
            if not chunk:
                return
            yield chunk

    n = 0
    ctx.report_progress(label, 0, total, 0)
    mine = own_chunks()
    for from_line, msg in split_mbox(mine, ctx, label):
        n += 1
        _record(parse_message(from_line, msg), label, ctx, state)
        if n % 200 == 0:
            ctx.report_progress(label, done[0], total, n)
    for _ in mine:  # the splitter stops at the stream's end marker; this only makes sure
        pass
    ctx.report_progress(label, total, total, n)


def _record(p: Parsed | str, label: str, ctx: ReadContext, state: _State) -> None:
    """Count a skipped message, or add a parsed one to the archive's state."""
    if isinstance(p, str):
        ctx.skip(label, p)
        return
    if p.rule:
        state.rewritten[p.rule] += 1
    if p.date_from_line:
        ctx.skip(label, DATE_FROM_LINE)
    msgid = p.msgid
    if msgid is None:
        state.no_id += 1
        msgid = "no-id:" + ctx.hash_identifier(p.head or "")
    if msgid in state.seen_ids:
        ctx.skip(label, "duplicate Message-ID (the same message archived twice)")
        return
    state.seen_ids.add(msgid)
    _add_post(p, msgid, ctx, state)


def _add_post(p: Parsed, msgid: str, ctx: ReadContext, state: _State) -> None:
    sid, name, address, at = ctx.source_id, p.name, p.address, p.at
    digest = state.hashes.get(address)
    if digest is None:
        digest = state.hashes[address] = ctx.hash_identifier(address)
    person = state.senders.setdefault(digest, _Sender())
    person.known = p.known
    new_name = not person.messages or bool(name and name not in person.names)  # (name, address) unseen
    if name:
        person.names[name] += 1
    person.first = at if person.first is None or at < person.first else person.first
    person.last = at if person.last is None or at > person.last else person.last
    person.messages += 1
    person.automated += p.automated
    if person.bot_reason is None and new_name:
        person.bot_reason = bot_name_reason(name, address if p.known else None)
    if p.list_id:
        state.list_ids[p.list_id] += 1
    post_id = f"{sid}:p:{ctx.hash_identifier(msgid)}"
    body_bytes = -1
    if ctx.keep_bodies:
        body_bytes = state.spill.write(p.text.encode("utf-8", "surrogatepass"))
    if not person.member_id:
        person.member_id = f"{sid}:m:{digest}"
    state.posts.append(_Post(post_id, person.member_id, at, p.subject, p.automated, len(p.text), body_bytes))
    key, is_reply = subject_key(p.subject)
    state.mails.append(Mail(len(state.mails), sys.intern(msgid), p.refs, key, is_reply, at.timestamp()))


def _list_place(state: _State, ctx: ReadContext) -> Batch:
    sid = ctx.source_id
    name, description = ctx.info.name, None
    if state.list_ids:
        raw = decode_words(state.list_ids.most_common(1)[0][0])
        inner = message_id(raw)
        name = inner or raw.strip()
        description = raw.split("<", 1)[0].strip().strip('"') or None
    first = min(p.at for p in state.posts)
    threads = sum(1 for m in state.mails if m.thread == m.index)
    return Batch("places", {"place_id": [f"{sid}:list"], "source_id": [sid], "native_id": [name],
                            "kind": ["mailing_list"], "name": [name], "created_at": [first],
                            "description": [description], "item_count": [threads]})


def _body(state: _State, p: _Post) -> str | None:
    """The next kept text from the spill file (posts are emitted in the order they were read)."""
    if p.body_bytes < 0:
        return None
    return state.spill.read(p.body_bytes).decode("utf-8", "surrogatepass")


def _emit(state: _State, ctx: ReadContext) -> Iterator[Batch]:
    sid = ctx.source_id
    place = f"{sid}:list"
    yield _list_place(state, ctx)
    state.spill.seek(0)
    out = BatchBuilder()
    bots = set()
    for digest, s in state.senders.items():
        is_bot = s.bot_reason is not None or s.automated == s.messages
        if is_bot:
            bots.add(f"{sid}:m:{digest}")
        name = s.names.most_common(1)[0][0] if s.names else None
        out.add("members", member_id=f"{sid}:m:{digest}", source_id=sid, native_id=digest,
                display_name=name, joined_at=s.first, last_seen_at=s.last, is_bot=is_bot,
                is_system=False, email_hash=digest if s.known else None)
    for m, p in zip(state.mails, state.posts, strict=True):
        root = state.posts[m.thread]
        tid = f"{sid}:t:{root.post_id.rsplit(':', 1)[1]}"
        if m.thread == m.index:
            out.add("threads", thread_id=tid, source_id=sid, native_id=root.post_id.rsplit(":", 1)[1],
                    place_id=place, title=clean_title(root.subject), author_id=root.member_id,
                    created_at=root.at)
            out.add("thread_places", thread_id=tid, place_id=place, source_id=sid, position=0)
        parent = state.posts[m.parent].post_id if m.parent is not None else None
        auto = p.automated and p.member_id not in bots  # a bot's posts are left out via is_bot
        out.add("posts", post_id=p.post_id, source_id=sid, native_id=p.post_id.rsplit(":", 1)[1],
                thread_id=tid, author_id=p.member_id, created_at=p.at, reply_to_post_id=parent,
                kind="auto_reply" if auto else "email", is_contribution=not auto,
                length=p.length, body=_body(state, p))
        yield from out.full()
    yield from out.drain()
