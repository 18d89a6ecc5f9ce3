"""Discord server exports made with DiscordChatExporter: CSV or JSON, one file per channel.

An input is a folder of channel files (``.csv``, ``.csv.gz``, ``.json``, ``.json.gz``), a ``.zip``
of one (read in place, safely), or one such file. A folder may hold ``channels.json``, a map
``{category id: {name, position, channels: {channel id: channel name}}}`` that places each
channel under its category. Which part becomes what (see ``docs/sources/discord.md``):

=================== ==========================================================================
channel file        ``places`` kind channel (parent: its category, kind category)
message             ``posts`` kind message; replies from the export (JSON ``reference``) or
                    derived by the mention/adjacency rules (:mod:`chat_adjacency`)
conversation        ``threads`` (+ ``thread_places``): a new one after 30 min of silence
"Joined the server" ``events`` category membership (and other system messages: system)
reaction            ``reactions`` (who reacted when the export says; CSV: counts only)
author              ``members``; ``is_bot`` from the JSON ``isBot`` flag or the bot-name rule
=================== ==========================================================================
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from communitas.errors import BrokenInput, InputError, InputNotFound, UnknownFormat
from communitas.model import SourceInfo
from communitas.sources.archives import SafeZip
from communitas.sources.base import Batch, ReadContext, fingerprint_files, recognises
from communitas.sources.chat_rows import ChatRows
from communitas.sources.discord_csv import (
    CsvChannel,
    DateParser,
    NameIndex,
    index_authors,
    read_csv_channel,
    read_header,
)
from communitas.sources.discord_json import read_head, read_json_channel
from communitas.sources.export_file import ExportFile

CHANNEL_MAP = "channels.json"
_BRACKET_ID = re.compile(r"\[(\d+)\]")


@dataclass
class Channel:
    """One channel file and where it sits."""

    entry: ExportFile
    fmt: str  # "csv" or "json"
    native: str
    name: str
    category: tuple[str, str] | None = None  # (native id, name)
    delimiter: str = ";"


@dataclass
class _Layout:
    name: str
    channels: list[Channel] = field(default_factory=list)
    inputs: list[Path] = field(default_factory=list)
    archive: SafeZip | None = None

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()


def _stem(name: str) -> str:
    name = name.rsplit("/", 1)[-1]
    for ext in (".csv.gz", ".json.gz", ".csv", ".json", ".zip"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name


def _natural(name: str) -> list[Any]:
    """Sort key putting ``[part 2]`` before ``[part 10]``."""
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", name)]


def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.strip().lower()).strip("-")


def _load_map(entry: ExportFile) -> dict[tuple[str, str], tuple[str, str, str]]:
    """channels.json -> {(category slug, channel name): (channel id, category id, category name)}."""
    try:
        data, _ = entry.open()
        with data:
            raw = json.load(data)
    except (OSError, ValueError, InputError) as e:
        raise BrokenInput(
            f"{entry.where}: not readable JSON ({e}). Fix or remove the file and ingest again."
        ) from None
    out = {}
    for cat_id, cat in raw.items() if isinstance(raw, dict) else []:
        if not isinstance(cat, dict):
            continue
        cat_name = str(cat.get("name") or cat_id)
        for chan_id, chan_name in (cat.get("channels") or {}).items():
            out[(_slug(cat_name), str(chan_name))] = (str(chan_id), str(cat_id), cat_name)
    return out


def _csv_channel(entry: ExportFile, delim: str, chan_map: dict[tuple[str, str], tuple[str, str, str]]
                 ) -> Channel:
    stem = _stem(entry.name)
    found = _BRACKET_ID.search(stem)
    if found:  # the exporter's default name: "Guild - Category - channel [id]"
        parts = stem[: found.start()].strip().split(" - ")
        category = (_slug(parts[-2]), parts[-2]) if len(parts) >= 3 else None
        return Channel(entry, "csv", found.group(1), parts[-1], category, delim)
    for (cat_slug, chan_name), (chan_id, cat_id, cat_name) in chan_map.items():
        if stem == f"{cat_slug}_{chan_name}":
            return Channel(entry, "csv", chan_id, chan_name, (cat_id, cat_name), delim)
    return Channel(entry, "csv", stem, stem, None, delim)


def _channel(entry: ExportFile, chan_map: dict[tuple[str, str], tuple[str, str, str]]) -> Channel | None:
    low = entry.name.lower()
    if low.endswith((".csv", ".csv.gz")):
        header = read_header(entry)
        return None if header is None else _csv_channel(entry, header[0], chan_map)
    if low.endswith((".json", ".json.gz")) and low != CHANNEL_MAP:
        head = read_head(entry)
        if head is None:
            return None
        _, chan = head
        cat = (str(chan.get("categoryId") or _slug(str(chan["category"]))), str(chan["category"])) if (
            chan.get("category")) else None
        return Channel(entry, "json", str(chan["id"]), str(chan.get("name") or chan["id"]), cat)
    return None


def _entries(path: Path) -> tuple[list[ExportFile], SafeZip | None]:
    """The candidate files: a folder's files, one file, or a zip's members (natural order)."""
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if p.is_file()), key=lambda p: _natural(p.name))
        return [ExportFile(p) for p in files], None
    if path.name.lower().endswith(".zip"):
        archive = SafeZip(path)
        names = sorted((n for n in archive.names() if n.lower().endswith((".csv", ".csv.gz", ".json",
                                                                             ".json.gz"))), key=_natural)
        return [ExportFile(path, n, archive) for n in names], archive
    return [ExportFile(path)], None


def _locate(path: Path) -> _Layout:
    if not path.exists():
        raise InputNotFound(f"{path}: no such file or folder. Check the path and try again.")
    entries, archive = _entries(path)
    try:
        maps = [e for e in entries if e.name.lower() == CHANNEL_MAP]
        chan_map = _load_map(maps[0]) if maps and (archive is not None or path.is_dir()) else {}
        channels = [c for e in entries if (c := _channel(e, chan_map)) is not None]
        if not channels:
            raise UnknownFormat(
                f"{path}: not a DiscordChatExporter export (no channel .csv/.json file with the "
                "exporter's header found). Give the folder of exported channel files (or its .zip), "
                "or one file."
            )
    except BaseException:
        if archive is not None:
            archive.close()
        raise
    inputs = [path] if archive is not None else [c.entry.path for c in channels] + (
        [maps[0].path] if chan_map else [])
    return _Layout(_stem(path.name) if path.is_file() else path.name, channels, inputs, archive)


class DiscordSource:
    """Reads a DiscordChatExporter export. See the module docstring for the mapping."""

    platform = "discord"
    earliest = datetime(2015, 5, 13, tzinfo=UTC)  # Discord's launch; it imports no older history
    order = 50  # auto-detection order (sources.registry)

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
            yield from _read(path, layout, ctx)
        finally:
            layout.close()


def _read(path: Path, layout: _Layout, ctx: ReadContext) -> Iterator[Batch]:
    out = ChatRows(ctx)
    names = NameIndex()
    csv_files = [(c.entry, c.delimiter) for c in layout.channels if c.fmt == "csv"]
    if csv_files:
        ctx.warn(f"{path}: DiscordChatExporter CSV dates carry no time zone; read as UTC.")
        index_authors(csv_files, ctx, out, names)
    parse_date = DateParser()
    places: dict[tuple[str, str], str] = {}  # (letter, native id) -> place id, written once
    states: dict[str, CsvChannel] = {}
    for chan in layout.channels:  # a channel split into parts: one place, one state
        place_id = _places(chan, out, places)
        state = states.setdefault(chan.native, CsvChannel(chan.native, place_id))
        if chan.fmt == "csv":
            yield from read_csv_channel(chan.entry, chan.delimiter, state, ctx, out, names, parse_date)
        else:
            yield from read_json_channel(chan.entry, place_id, state.flow, ctx, out, parse_date)
    out.member_rows()
    yield from out.drain()


def _places(chan: Channel, out: ChatRows, written: dict[tuple[str, str], str]) -> str:
    """Write the channel's place and its category's (each once); the channel's place id."""
    parent = None
    if chan.category is not None:
        parent = out.id("g", chan.category[0])
        if ("g", chan.category[0]) not in written:
            written[("g", chan.category[0])] = parent
            out.place(parent, chan.category[0], "category", chan.category[1])
    place_id = out.id("c", chan.native)
    if ("c", chan.native) not in written:
        written[("c", chan.native)] = place_id
        out.place(place_id, chan.native, "channel", chan.name, parent_id=parent)
    return place_id
