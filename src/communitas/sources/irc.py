"""IRC channel logs: Limnoria / Supybot ChannelLogger, ZNC, irssi, WeeChat and the common
``[hh:mm] <nick> text`` layouts (:mod:`irc_lines` parses one line).

An input is one log file, a folder of them (searched recursively: ``.log``, ``.txt``,
``.weechatlog``, each optionally ``.gz``) or a ``.zip`` of such a folder (read in place, safely).
The mapping (``docs/sources/irc.md``):

================= ==============================================================================
channel           ``places`` kind channel: ``#name`` in the file name, else the nearest folder
                  named ``#...``, else the file name without its date and extension
message, action   ``posts`` kind message; replies by addressing (``nick: ...``) or adjacency
                  (:mod:`chat_adjacency`, the Slack and Discord rules)
conversation      ``threads`` (+ ``thread_places``): a new one after 30 min of silence
join, part, quit  ``events`` category membership (join, leave, quit); kick: moderation;
                  nick change: membership ``nick`` (the new nick is the same member)
nick              ``members``: id a salted hash of the nick (IRC case-folded); ChanServ, NickServ
                  and other ``*Serv`` services, and ``*bot`` nicks, are bots
notice, mode, ... skipped and counted
================= ==============================================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from communitas.errors import InputNotFound, UnknownFormat
from communitas.model import SourceInfo
from communitas.sources.archives import SafeZip
from communitas.sources.base import Batch, ReadContext, fingerprint_files, recognises
from communitas.sources.export_file import ExportFile
from communitas.sources.irc_lines import file_date, parse
from communitas.sources.irc_read import LogReader

SUFFIXES = (".log", ".txt", ".weechatlog")
DETECT_LINES = 20
_DATE_PART = re.compile(r"[-_.]?\d{4}[-_.]?\d\d[-_.]?\d\d")


def _is_log(name: str) -> bool:
    low = name.lower().removesuffix(".gz")
    return low.endswith(SUFFIXES)


def channel_of(member: str) -> str:
    """The channel a log file is about, from its path (``/``-separated, inside the input).

    >>> channel_of("ChannelLogger/libera/#ceph/#ceph.2012-10-17.log"), channel_of("#dev/2012-10-17.log")
    ('#ceph', '#dev')
    >>> channel_of("supybot_2012_10_17.log"), channel_of("irc.libera.#python.weechatlog")
    ('supybot', '#python')
    """
    parts = member.split("/")
    stem = parts[-1]
    low = stem.lower().removesuffix(".gz")
    for ext in SUFFIXES:
        if low.endswith(ext):
            stem = stem[: len(low) - len(ext)]
            break
    stem = _DATE_PART.sub("", stem)
    if "#" in stem:
        return stem[stem.index("#"):]
    for folder in reversed(parts[:-1]):
        if folder.startswith("#"):
            return folder
    return stem or (parts[-2] if len(parts) > 1 else "channel")


def _entries(path: Path) -> tuple[list[ExportFile], SafeZip | None]:
    """The log files of ``path``, by channel then date in the name then name."""
    if path.is_file() and path.name.lower().endswith(".zip"):
        archive = SafeZip(path)
        entries = [ExportFile(path, n, archive) for n in archive.names() if _is_log(n)]
    elif path.is_dir():
        archive = None
        entries = [ExportFile(p, None) for p in path.rglob("*") if p.is_file() and _is_log(p.name)]
    else:
        archive, entries = None, [ExportFile(path)] if path.is_file() and _is_log(path.name) else []
    return sorted(entries, key=lambda e: (channel_of(_rel(path, e)), file_date(e.name) or date.min,
                                          _rel(path, e))), archive


def _rel(root: Path, entry: ExportFile) -> str:
    if entry.member is not None:
        return entry.member
    return entry.path.name if root.is_file() else entry.path.relative_to(root).as_posix()


def _looks_irc(entry: ExportFile) -> bool:
    """A peek: most of the first non-blank lines parse as IRC log lines, one at least a message."""
    lines = [x for x in entry.head(8192).decode("utf-8", "replace").splitlines() if x.strip()][:DETECT_LINES]
    day = file_date(entry.name)
    kinds = [parse(x, day).kind for x in lines[:-1] or lines]
    known = [k for k in kinds if k not in ("unknown", "empty")]
    return bool(kinds) and len(known) * 2 > len(kinds) and ("message" in known or "action" in known)


class IrcSource:
    """Reads IRC channel logs. See the module docstring for the mapping."""

    platform = "irc"
    order = 99  # last: it searches folders recursively for logs (sources.registry)

    def detect(self, path: Path) -> bool:
        if not path.exists() or (path.is_file() and not (_is_log(path.name) or path.suffix == ".zip")):
            return False

        def probe() -> bool:
            entries, archive = _entries(path)
            try:
                return bool(entries) and _looks_irc(entries[0])
            finally:
                if archive is not None:
                    archive.close()

        return recognises(probe)

    def describe(self, path: Path, name: str | None = None) -> SourceInfo:
        if not path.exists():
            raise InputNotFound(f"{path}: no such file or folder. Check the path and try again.")
        entries, archive = _entries(path)
        if archive is not None:
            archive.close()
        if not entries:
            raise UnknownFormat(f"{path}: no IRC log files (.log, .txt, .weechatlog) here.")
        files = [path] if archive is not None else [e.path for e in entries]
        own = path.name if path.is_dir() else path.stem if archive is not None else channel_of(path.name)
        default = own.lstrip("#") or "irc"  # no "#" in a source id (it ends up in URLs)
        return SourceInfo(self.platform, name or default, str(path.resolve()), fingerprint_files(files))

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        entries, archive = _entries(path)
        try:
            reader = LogReader(ctx)
            total = sum(e.size() for e in entries)
            done = 0
            for entry in entries:
                rel = _rel(path, entry)
                yield from reader.read_file(entry, rel, channel_of(rel))
                done += entry.size()
                ctx.report_progress(path.name, done, total, reader.out.counts["posts"])
            if not reader.out.counts["posts"]:
                raise UnknownFormat(
                    f"{path}: no IRC message found (every line skipped). Give channel logs in a layout of "
                    "docs/sources/irc.md (Limnoria/Supybot, ZNC, irssi, WeeChat), one line a message.")
            yield from reader.finish()
        finally:
            if archive is not None:
                archive.close()
