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

Reading is one streaming pass: a byte-level ``From `` splitter (:mod:`~communitas.sources.mbox_split`)
over the decoded stream (:mod:`~communitas.sources.mbox_stream`) keeps at most one message in
memory; each message is parsed by :mod:`~communitas.sources.mbox_parse`. Threading needs the
whole archive, so until it is done each message's ids, date, sender and subject stay in memory
(about 1 KB) and the text kept (quotes, signatures, attachments and HTML removed) waits in a
temporary file.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from communitas.errors import BrokenInput
from communitas.identities import bot_name_reason
from communitas.model import SourceInfo
from communitas.sources.base import Batch, BatchBuilder, ReadContext, fingerprint_files, recognises
from communitas.sources.email_sender import fold_name
from communitas.sources.email_text import clean_title, decode_words, message_id, subject_key
from communitas.sources.email_threading import Mail, thread
from communitas.sources.mbox_parse import DATE_FROM_LINE, Parsed, parse_message
from communitas.sources.mbox_split import parse_stream, split_mbox
from communitas.sources.mbox_stream import Item, Spec, Start, mbox_files, prefetch, specs, stream_chunks
from communitas.sources.parallel import default_workers, map_in_processes

SPILL_BYTES = 16 << 20  # kept texts beyond this wait on disk until threading is done
# Archives of several files, PARALLEL_MIN_BYTES or more on disk, none over PARALLEL_MAX_FILE, are
# parsed file by file in worker processes (sources.parallel: $COMMUNITAS_WORKERS of them);
# threading stays in this process. PARALLEL None: when there are 2+ workers; True / False:
# always / never.
PARALLEL: bool | None = None
PARALLEL_MIN_BYTES = 8 << 20
PARALLEL_MAX_FILE = 256 << 20  # a larger file's parsed messages would wait whole in memory
MANY_NAMES = 5  # a sender address seen with this many distinct display names gets a warning
_STRIP_EXT = re.compile(r"(\.(mbox|mbx|txt|zip))?(\.gz)?$", re.I)


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
    body_format = "email"  # messages: quotes, attributions, signatures (sources.base.body_format)

    def detect(self, path: Path) -> bool:
        return recognises(lambda: mbox_files(path))

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
    streams = specs(mbox_files(path))
    if _parallel(streams):
        _read_parallel(streams, ctx, state)
    else:
        _read_sequential(streams, ctx, state)
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


def _parallel(streams: list[Spec]) -> bool:
    """Worth parsing in worker processes: several files, enough bytes, none too large, 2+ workers."""
    wanted = PARALLEL if PARALLEL is not None else default_workers() > 1
    return (wanted and len(streams) > 1
            and sum(s.total for s in streams) >= PARALLEL_MIN_BYTES
            and max(s.total for s in streams) <= PARALLEL_MAX_FILE)


def _read_parallel(streams: list[Spec], ctx: ReadContext, state: _State) -> None:
    """Files parsed by worker processes (:func:`~communitas.sources.parallel.map_in_processes`),
    recorded here in file order. The workers run pure-Python parsing and ISA-L only, so they are
    forked (they start at once); DuckDB's threads in this process are never used in them."""
    workers = min(default_workers(), len(streams))
    results = map_in_processes(parse_stream, streams, workers, fork=True)
    for spec, (parsed, skips) in zip(streams, results, strict=True):
        for reason, n in skips.items():
            ctx.skip(spec.label, reason, n)
        for p in parsed:
            _record(p, spec.label, ctx, state)
        ctx.report_progress(spec.label, spec.total, spec.total, len(parsed))


def _read_sequential(streams: list[Spec], ctx: ReadContext, state: _State) -> None:
    chunks = prefetch(stream_chunks(streams))
    try:
        while (start := next(chunks, None)) is not None:
            assert isinstance(start, Start)
            _read_stream(start, chunks, ctx, state)
    finally:
        chunks.close()


def _read_stream(start: Start, chunks: Iterator[Item], ctx: ReadContext, state: _State) -> None:
    label, total = start.label, start.total
    done = [0]

    def own_chunks() -> Iterator[bytes]:
        """This stream's chunks, up to (and consuming) its closing empty chunk."""
        for item in chunks:
            assert not isinstance(item, Start)
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
