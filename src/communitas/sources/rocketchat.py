"""Rocket.Chat: ``mongoexport`` of its collections (JSON Lines or ``--jsonArray``) and saved REST
API responses (``channels.messages`` / ``channels.history`` pages, ``channels.info``).

An input is a folder, a ``.zip`` (read in place, safely) or one file, plain or ``.gz``. Each file
is recognised by its first document: messages (``_id``, ``rid``, ``ts``), rooms (``_id``, ``t``
and a room field), users (``_id``, ``username`` and ``roles``/``emails``/``type``), a REST page
(``{"messages": [...]}``) or a room info (``{"channel": {...}}``). Rooms and users are read
first, then messages. Which part becomes what (see ``docs/sources/rocketchat.md``):

================ ============================================================================
room (c, p)      ``places`` kind channel (``c:<room id>``); direct (d) and livechat (l) rooms
                 are private conversations: their messages are not read, counted
message          ``posts`` kind message; ``tmid`` (thread parent) is an explicit reply and
                 joins the parent's thread; other messages go through the mention/adjacency
                 rules and 30-min conversations (:mod:`chat_adjacency`)
t (system type)  ``events``: uj/ul/au/ru (and team joins/leaves) → membership; others → system
reactions        ``reactions``, one per reacting username
user             ``members`` (e-mail hashed; ``type`` bot/app or role bot → bot; role admin →
                 staff; a message with a ``bot`` field flags its author a bot)
================ ============================================================================
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from communitas.errors import InputNotFound, UnknownFormat
from communitas.model import SourceInfo
from communitas.sources.archives import SafeZip
from communitas.sources.base import Batch, ReadContext, fingerprint_files, recognises
from communitas.sources.chat_json import export_entries, json_lines, load_whole, stem, stream_objects
from communitas.sources.chat_rows import ChatRows
from communitas.sources.export_file import ExportFile
from communitas.sources.rocketchat_messages import RocketRows, seconds

WHAT = "Rocket.Chat export (JSON)"
FIX = "Export it again (mongoexport, or the REST API) and ingest again."
_PAGE = re.compile(rb'^\s*\{\s*"messages"\s*:\s*\[')
_INFO = re.compile(rb'^\s*\{\s*"(channel|group|room)"\s*:\s*\{')
ROOM_KEYS = {"usersCount", "msgs", "fname", "name", "default", "ro", "sysMes"}
USER_KEYS = {"roles", "emails", "type", "services", "statusConnection"}


def _doc_kind(doc: Any) -> str | None:
    if not isinstance(doc, dict) or "_id" not in doc:
        return None
    if "rid" in doc and ("ts" in doc or "msg" in doc):
        return "messages"
    if "username" in doc and USER_KEYS & doc.keys():
        return "users"
    if "t" in doc and ROOM_KEYS & doc.keys():
        return "rooms"
    return None


def shape(entry: ExportFile) -> tuple[str, str] | None:
    """(layout, kind): layout ``lines``, ``array``, ``page`` or ``info``; kind ``messages``,
    ``rooms`` or ``users`` (a peek). None when the file is not Rocket.Chat's."""
    head = entry.head(16384)
    if _PAGE.match(head):
        return ("page", "messages") if re.search(rb'"(rid|success)"\s*:', head) else None
    if _INFO.match(head):
        return ("info", "rooms") if b'"_id"' in head else None
    text = head.lstrip()
    layout = "array" if text.startswith(b"[") else "lines"
    first = text[1:].lstrip() if layout == "array" else text
    end = first.find(b"\n") if layout == "lines" else -1
    try:  # the first document, when it fits in the peek
        doc = json.JSONDecoder().raw_decode(first[: end if end > 0 else None].decode("utf-8"))[0]
    except (ValueError, UnicodeDecodeError):
        return None
    kind = _doc_kind(doc)
    return None if kind is None else (layout, kind)


@dataclass
class _Layout:
    name: str
    files: list[tuple[ExportFile, tuple[str, str]]]
    inputs: list[Path]
    archive: SafeZip | None

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()


def _locate(path: Path) -> _Layout:
    if not path.exists():
        raise InputNotFound(f"{path}: no such file or folder. Check the path and try again.")
    entries, archive = export_entries(path)
    try:
        files = [(e, found) for e in entries if (found := shape(e)) is not None]
        if not any(kind == "messages" for _, (_, kind) in files):
            raise UnknownFormat(
                f"{path}: not a Rocket.Chat export (no message documents with _id, rid and ts, and no "
                "REST messages page). Give the mongoexport of rocketchat_message (with the rooms and "
                "users), or saved channels.messages responses.")
    except BaseException:
        if archive is not None:
            archive.close()
        raise
    inputs = [path] if archive is not None else [e.path for e, _ in files]
    return _Layout(stem(path.name), files, inputs, archive)


class RocketChatSource:
    """Reads Rocket.Chat exports. See the module docstring for the mapping."""

    platform = "rocketchat"
    order = 95  # auto-detection order (sources.registry)

    def detect(self, path: Path) -> bool:
        def probe() -> bool:
            _locate(path).close()
            return True

        return recognises(probe)

    def describe(self, path: Path, name: str | None = None) -> SourceInfo:
        layout = _locate(path)
        layout.close()
        return SourceInfo(self.platform, name or layout.name, str(path.resolve()),
                          fingerprint_files(layout.inputs))

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        layout = _locate(path)
        try:
            rows = RocketRows(ctx, ChatRows(ctx))
            for wanted in ("rooms", "users", "messages"):
                pages: list[tuple[dict[str, Any], str]] = []
                for entry, (how, kind) in layout.files:
                    if kind == wanted:
                        yield from _read_file(entry, how, kind, rows, pages)
                for msg, _ in pages:  # reactions name usernames: learn them all first
                    rows.learn(msg.get("u"))
                for msg, label in sorted(pages, key=lambda p: seconds(p[0].get("ts")) or 0.0):
                    rows.message(msg, label, dedupe=True)
                yield from rows.out.full()
            if rows.out_of_order:
                ctx.warn(f"{path}: {rows.out_of_order} messages are older than the message before them "
                         "in their room; the reply rules read them in file order (mongoexport --sort "
                         "'{ts: 1}' avoids this).")
            rows.out.member_rows()
            yield from rows.out.drain()
        finally:
            layout.close()


def _read_file(entry: ExportFile, how: str, kind: str, rows: RocketRows,
               pages: list[tuple[dict[str, Any], str]]) -> Iterator[Batch]:
    """Stream one file's documents into ``rows``; REST pages go to ``pages`` (sorted later)."""
    label, ctx = entry.label, rows.ctx
    if how == "info":
        data = load_whole(entry, WHAT, FIX)
        rows.room(next((v for v in data.values() if isinstance(v, dict)), None), label)
        return
    if how == "page":
        data = load_whole(entry, WHAT, FIX)
        found = data.get("messages") if isinstance(data, dict) else None
        for msg in found if isinstance(found, list) else []:
            if isinstance(msg, dict):
                pages.append((msg, label))
            else:
                ctx.skip(label, "message is not a JSON object")
        return
    handle = rows.room if kind == "rooms" else rows.user if kind == "users" else rows.message
    position: list[Callable[[], int]] = []
    docs = (json_lines(entry, WHAT, FIX, lambda r: ctx.skip(label, r), position) if how == "lines"
            else (d for _, d in stream_objects(entry, {"item"}, set(), WHAT, FIX, position)))
    total, n = entry.size(), 0
    for n, doc in enumerate(docs, 1):
        handle(doc, label)
        if n % 10_000 == 0:
            ctx.report_progress(label, position[0](), total, n)
            yield from rows.out.full()
    ctx.report_progress(label, total, total, n)
