"""Telegram: Telegram Desktop's JSON export (``result.json``) and Bot API ``getUpdates`` responses.

An input is a folder (Desktop's ``ChatExport_<date>/`` holding ``result.json``; or a folder of
getUpdates pages), a ``.zip`` of one (read in place, safely), or one file, plain or ``.gz``.
Which part becomes what (see ``docs/sources/telegram.md``):

=========================== ====================================================================
group, supergroup, channel  ``places`` kind group / channel (``c:<chat id>``)
forum topic                 ``places`` kind topic (``c:<chat id>:<topic id>``), parent its chat
message                     ``posts`` kind message; ``reply_to_message_id`` is an explicit reply,
                            else the mention/adjacency rules (:mod:`chat_adjacency`)
conversation                ``threads``: a new one after 30 min of silence in a chat or topic
service message             ``events``: joins, invites, removals, leaves → membership; every
                            other action (pin, title, topic created, ...) → system
reaction                    ``reactions`` (members for the ``recent`` reactors, the rest counted)
sender                      ``members`` (``u:user<id>``; ``u:channel<id>`` is_system; bots by
                            the Bot API flag or the bot-name rule)
personal chats              not read: private conversations (skipped and counted)
=========================== ====================================================================
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
from communitas.sources.telegram_bot import read_bot_updates
from communitas.sources.telegram_desktop import read_desktop
from communitas.sources.telegram_rows import TelegramRows

GENERIC_NAMES = {"result", "export", "telegram", "telegram_export"}
# A single chat exported alone starts with its name, type or id, then its messages.
_DESKTOP_CHAT = re.compile(rb'^\s*\{\s*"(name|type|id)"\s*:')
_DESKTOP_ACCOUNT = re.compile(rb'^\s*\{\s*"about"\s*:')
_BOT_API = re.compile(rb'^\s*\{\s*"(ok|result)"\s*:')


def shape(entry: ExportFile) -> str | None:
    """``desktop`` or ``bot`` when the file looks like a Telegram export (a peek), else None."""
    head = entry.head()
    if _DESKTOP_ACCOUNT.match(head) and (b'"personal_information"' in head or b'"chats"' in head):
        return "desktop"
    if (_DESKTOP_CHAT.match(head) and b'"guild"' not in head
            and re.search(rb'"messages"\s*:\s*\[\s*(\]|\{\s*"id"\s*:\s*-?\d+\s*,\s*"type"\s*:)', head)):
        return "desktop"
    if _BOT_API.match(head) and (b'"update_id"' in head or re.search(rb'"result"\s*:\s*\[\s*\]', head)):
        return "bot"
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
        if not files:
            raise UnknownFormat(
                f"{path}: not a Telegram export (no Telegram Desktop result.json or Bot API "
                "getUpdates JSON found). Give the export folder, its .zip, or the JSON file.")
    except BaseException:
        if archive is not None:
            archive.close()
        raise
    name = stem(path.name)
    if path.is_file() and name.lower() in GENERIC_NAMES and path.parent.name:
        name = path.parent.name  # ChatExport_2024-05-01/result.json -> ChatExport_2024-05-01
    inputs = [path] if archive is not None else [e.path for e, _ in files]
    return _Layout(name, files, inputs, archive)


class TelegramSource:
    """Reads Telegram exports. See the module docstring for the mapping."""

    platform = "telegram"
    order = 80  # auto-detection order (sources.registry)

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
            rows = TelegramRows(ctx, ChatRows(ctx))
            for index, (entry, kind) in enumerate(layout.files):
                if kind == "desktop":
                    yield from read_desktop(entry, rows, index)
                else:
                    yield from read_bot_updates(entry, rows)
            rows.out.member_rows()
            yield from rows.out.drain()
        finally:
            layout.close()
