"""Reading one IRC log file into chat rows: nicks to members, lines to posts and events."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from datetime import date
from typing import IO

from communitas.errors import BrokenInput
from communitas.identities import bot_name_reason
from communitas.sources.base import Batch, ReadContext
from communitas.sources.chat_adjacency import ChannelFlow
from communitas.sources.chat_rows import ChatRows, iso_from_epoch
from communitas.sources.export_file import ExportFile
from communitas.sources.irc_lines import Line, file_date, parse

MAX_LINE = 64 << 10  # bytes; an IRC line is at most 512 bytes on the wire
_CASEFOLD = str.maketrans("[]\\~", "{}|^")  # RFC 1459 case mapping
_ADDRESS = re.compile(r"^([^\s:,]+)[:,](?:\s|$)")
_BOT = re.compile(r"(?:serv|bot\d*_*)$", re.I)
_NOT_BOT = re.compile(r"(?:abbot|talbot|cabot|robot)$", re.I)
SERVICES = frozenset({"chanserv", "nickserv", "memoserv", "operserv", "global", "alis"})
SKIP_REASONS = {
    "notice": "notice (services and bots speak so; not conversation)",
    "status": "status line (mode, topic, log opened/closed)",
    "empty": "empty message",
    "unknown": "unrecognised line",
}
EVENTS = {"join": ("membership", "join"), "leave": ("membership", "leave"), "quit": ("membership", "quit"),
          "kick": ("moderation", "kick"), "nick": ("membership", "nick")}


def nick_key(nick: str) -> str:
    """A nick as IRC compares them (RFC 1459 case mapping).

    >>> nick_key("Tv_"), nick_key("[ann]") == nick_key("{ANN}")
    ('tv_', True)
    """
    return nick.lower().translate(_CASEFOLD)


def is_bot_nick(nick: str) -> bool:
    """ChanServ, NickServ and other services, nicks ending in ``bot`` (``bot1``, ``bot_``), or the
    shared automation rule.

    >>> [is_bot_nick(n) for n in ("ChanServ", "emptybot", "xbot1313", "grimoire_bot", "benpol", "Abbot")]
    [True, True, True, True, False, False]
    """
    return (nick_key(nick) in SERVICES or (bool(_BOT.search(nick)) and not _NOT_BOT.search(nick))
            or bot_name_reason(nick) is not None)


def _lines(data: IO[bytes], entry: ExportFile) -> Iterator[bytes | None]:
    """Each line of ``data`` (None for one longer than :data:`MAX_LINE`, never held whole)."""
    try:
        while raw := data.readline(MAX_LINE + 1):
            if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                while (rest := data.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                    pass
                yield None
            else:
                yield raw
    except (EOFError, OSError, zlib.error) as e:
        raise BrokenInput(f"{entry.where}: cannot be decompressed ({e}); the file is truncated or damaged. "
                          "Copy it again (or remove it) and ingest again.") from None


class LogReader:
    """Turns log files into the rows of one IRC source; call :meth:`finish` once at the end."""

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.out = ChatRows(ctx)
        self.ids: dict[str, str] = {}  # nick key -> member id (a renamed nick keeps its member)
        self.flows: dict[str, ChannelFlow] = {}
        self.places: dict[str, str] = {}
        self.latin1 = 0
        self.unzoned = False

    def member(self, nick: str) -> str:
        key = nick_key(nick)
        member_id = self.ids.get(key)
        if member_id is None:
            member_id = self.ids[key] = self.out.id("u", self.ctx.hash_identifier("irc:" + key)[:16])
            self.out.member(member_id, display_name=nick, is_bot=is_bot_nick(nick),
                            is_system=key in SERVICES)
        return member_id

    def _place(self, channel: str) -> str:
        place_id = self.places.get(channel)
        if place_id is None:
            place_id = self.places[channel] = self.out.id("c", channel)
            self.out.place(place_id, channel, "channel", channel)
        return place_id

    def read_file(self, entry: ExportFile, rel: str, channel: str) -> Iterator[Batch]:
        place_id = self._place(channel)
        flow = self.flows.setdefault(channel, ChannelFlow())
        day = file_date(entry.name)
        data, _ = entry.open()
        with data:
            for n, raw in enumerate(_lines(data, entry), 1):
                if raw is None:
                    self.ctx.skip(entry.label, f"line longer than {MAX_LINE:,} bytes")
                    continue
                line = parse(self._text(raw), day)
                if line.kind == "day":
                    day = date.fromordinal(int(line.at or 1))
                    continue
                self._one(line, f"{rel}:{n}", entry.label, place_id, flow)
                if n % 1000 == 0:
                    yield from self.out.full()

    def _text(self, raw: bytes) -> str:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.latin1 += 1
            text = raw.decode("latin-1")
        return text.rstrip("\r\n")

    def _one(self, line: Line, native: str, label: str, place_id: str, flow: ChannelFlow) -> None:
        if line.kind in SKIP_REASONS:
            self.ctx.skip(label, SKIP_REASONS[line.kind])
            return
        if line.at is None:
            self.ctx.skip(label, "time without a date (none in the line, a day marker or the file name)")
            return
        self.unzoned = self.unzoned or not line.zoned
        author = self.member(line.nick)
        at = iso_from_epoch(line.at)
        if line.kind in ("message", "action"):
            addressed = _ADDRESS.match(line.text)
            target = self.ids.get(nick_key(addressed[1])) if addressed else None
            self.out.message(native=native, place_id=place_id, at=at, seconds=line.at, author=author,
                             text=line.text, flow=flow, mentioned=[target] if target else None)
            return
        category, kind = EVENTS[line.kind]
        if line.kind == "nick":
            self.ids.setdefault(nick_key(line.text), author)
        self.out.event(native=native, category=category, kind=kind, at=at, member_id=author,
                       place_id=place_id)
        self.out.member(author).seen(line.at)

    def finish(self) -> Iterator[Batch]:
        if self.latin1:
            self.ctx.warn(f"{self.latin1:,} log lines were not UTF-8: read as Latin-1.")
        if self.unzoned:
            self.ctx.warn("IRC log times without a time zone were read as UTC.")
        self.out.member_rows()
        yield from self.out.drain()
