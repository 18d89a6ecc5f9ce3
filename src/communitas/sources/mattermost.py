"""Mattermost: the bulk export (``mmctl export create``, JSON Lines) and saved REST API v4 responses.

An input is the export's ``.zip`` (read in place, safely: ``import.jsonl`` or any ``.jsonl`` at
its top), a folder, or one file (plain or ``.gz``). Which part becomes what (see
``docs/sources/mattermost.md``):

================= ===========================================================================
team              ``places`` kind team (``g:<team name>``)
channel           ``places`` kind channel (bulk: ``c:<team>/<channel>``; API: ``c:<channel id>``)
post              ``posts`` kind message; a thread's replies reply to its root and share its
                  ``threads`` row; top-level posts are grouped into conversations (30 min of
                  silence) with the mention/adjacency rules (:mod:`chat_adjacency`)
system_* post     ``events``: join/leave/add/remove (channel or team) → membership; others →
                  system (``header_change``, ``purpose_change``, ...)
reaction          ``reactions``, one per reacting member
user              ``members`` (e-mail only as a salted hash; system admins as staff; posts with
                  ``props.from_bot``/``from_webhook`` flag their author as a bot)
direct messages   not read (private conversations), counted
================= ===========================================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from communitas.errors import InputNotFound, UnknownFormat
from communitas.model import SourceInfo
from communitas.sources.archives import SafeZip
from communitas.sources.base import Batch, ReadContext, fingerprint_files, recognises
from communitas.sources.chat_json import export_entries, stem
from communitas.sources.chat_rows import ChatRows
from communitas.sources.export_file import ExportFile
from communitas.sources.mattermost_api import ApiReader
from communitas.sources.mattermost_bulk import BulkReader

GENERIC_NAMES = {"import", "export", "mattermost", "mattermost_export", "mattermost_posts"}
_BULK = re.compile(rb'^\s*\{\s*"type"\s*:\s*"version"')
_POSTS = re.compile(rb'^\s*\{\s*"order"\s*:\s*\[')


def shape(entry: ExportFile) -> str | None:
    """``bulk``, ``posts``, ``user``, ``channel`` or ``error`` (a peek); None when not Mattermost."""
    head = entry.head()
    if _BULK.match(head):
        return "bulk"
    if _POSTS.match(head) and b'"posts"' in head:
        return "posts"
    if not head.lstrip().startswith(b"{"):
        return None
    if b'"username"' in head and b'"auth_service"' in head:
        return "user"
    if b'"team_id"' in head and b'"display_name"' in head and b'"total_msg_count"' in head:
        return "channel"
    if b'"status_code"' in head and b'"detailed_error"' in head:
        return "error"
    return None


@dataclass
class _Layout:
    name: str
    files: list[tuple[ExportFile, str]]
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
        files = [(e, kind) for e in entries if (kind := shape(e)) is not None]
        if not any(kind in ("bulk", "posts") for _, kind in files):
            raise UnknownFormat(
                f"{path}: not a Mattermost export (no bulk-export .jsonl starting with a version "
                "line, and no API posts page). Give the zip of `mmctl export create`, the .jsonl, "
                "or a folder of saved API responses.")
    except BaseException:
        if archive is not None:
            archive.close()
        raise
    name = stem(path.name)
    if path.is_file() and name.lower() in GENERIC_NAMES and path.parent.name:
        name = path.parent.name
    inputs = [path] if archive is not None else [e.path for e, _ in files]
    return _Layout(name, files, inputs, archive)


class MattermostSource:
    """Reads Mattermost exports. See the module docstring for the mapping."""

    platform = "mattermost"
    order = 90  # auto-detection order (sources.registry)

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
            out = ChatRows(ctx)
            bulk, api = BulkReader(ctx, out), ApiReader(ctx, out)
            for kind in ("user", "channel", "posts", "error"):  # users first: they name the authors
                for entry, k in layout.files:
                    if k == kind:
                        api.add(entry, kind)
            for entry, kind in layout.files:
                if kind == "bulk":
                    yield from bulk.read(entry)
            yield from api.write()
            out.member_rows()
            yield from out.drain()
        finally:
            layout.close()
