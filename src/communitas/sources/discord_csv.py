"""DiscordChatExporter CSV: one file per channel, streamed with the csv module (plain or .gz).

Columns read: ``AuthorID``, ``Author`` (``name#discriminator``), ``Date``, ``Content``,
``Attachments`` (only to tell an attachment-only message), ``Reactions`` (``👍 (3),🎈 (1)``:
emoji and count, no reacting users). The 2019 exporter writes ``;`` between fields, later
versions ``,``; the header line tells which. There are no message ids and no reply references:
post ids are built from channel, minute, author and an ordinal (stable across re-ingests), and
replies come from ``@name`` mentions and adjacency (:mod:`communitas.sources.chat_adjacency`).

Two passes over the files: the first collects every author (id → name), so that a mention of
someone who speaks only in a later channel still resolves, and finds the relay webhooks (an id
posting under several ``#0000`` names, :func:`find_relays`); the second writes the rows, each
relayed message as the named sender's (a ``w:`` member, see ``docs/sources/discord.md``). Memory
holds the authors and the current conversation of each channel, never the messages.
"""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO

from communitas.errors import BrokenInput
from communitas.sources.base import Batch, ReadContext
from communitas.sources.chat_adjacency import ChannelFlow
from communitas.sources.chat_rows import ChatRows
from communitas.sources.export_file import ExportFile

PROGRESS_ROWS = 10_000
MAX_NAME = 32  # Discord names are at most 32 characters
NOT_PEOPLE = {"everyone", "here"}
DATE_FORMATS = ("%d-%b-%y %I:%M %p", "%d-%b-%y %H:%M", "%m/%d/%Y %I:%M %p", "%Y-%m-%dT%H:%M:%S%z",
                "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S")
# Well-known Discord bots (lower case), matched on the name without its #discriminator.
KNOWN_BOTS = {"mee6", "dyno", "carl-bot", "tatsumaki", "tatsu", "rythm", "groovy", "nightbot",
              "yagpdb.xyz", "dank memer", "pokécord", "pokecord", "statbot", "probot", "arcane",
              "ticket tool", "wick", "zapier", "ifttt", "github", "gitlab", "streamcord",
              "disboard", "dispatch", "tip.cc", "captcha.bot", "double counter", "welcomer"}
# A last word "bot", "...Bot" (TipBot) or an all-lower-case "...bot" (marketbot, t2bot).
_BOT_CASED = re.compile(r"(?:^|[\s_.-])(?:bot|BOT|Bot)$|[a-z0-9]Bot$|(?:^|[\s_.-])[a-z0-9_.-]+(?<!ro)bot$")
_REACTION = re.compile(r"\s*(.+) \((\d{1,18})\)\s*$")

# System messages the exporter writes as plain content: (pattern, category, kind).
SYSTEM_CONTENT: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"Joined the server\."), "membership", "join"),
    (re.compile(r"Left the group\."), "membership", "leave"),
    (re.compile(r"Added .+ to the group\."), "membership", "add"),
    (re.compile(r"Removed .+ from the group\."), "membership", "remove"),
    (re.compile(r"Pinned a message\."), "system", "pin"),
    (re.compile(r"Started a call( that lasted .+)?\."), "system", "call"),
    (re.compile(r"Changed the channel name: .*", re.S), "system", "channel_name"),
    (re.compile(r"Changed the channel icon\."), "system", "channel_icon"),
    (re.compile(r"Started a thread\."), "system", "thread_created"),
]


def system_kind(content: str) -> tuple[str, str] | None:
    """(category, kind) when ``content`` is one of the exporter's system messages."""
    if not content or content[0] not in "JLARPSC":
        return None
    for pattern, category, kind in SYSTEM_CONTENT:
        if pattern.fullmatch(content):
            return category, kind
    return None


def read_header(entry: ExportFile) -> tuple[str, list[str]] | None:
    """(delimiter, column names) when ``entry`` starts with a DiscordChatExporter CSV header.

    Reads only the first few KiB (a gzip's damaged end does not stop detection; reading will
    then report it).
    """
    head = entry.head()
    first = head.decode("utf-8-sig", "replace").splitlines()[:1]
    if not first:
        return None
    line = first[0]
    for delim in (";", ","):
        names = next(csv.reader([line], delimiter=delim))
        if names[:4] == ["AuthorID", "Author", "Date", "Content"]:
            return delim, names
    return None


def plain_name(author: str) -> str:
    """``name#1234`` -> ``name`` (a name without a discriminator is kept whole)."""
    return author.rsplit("#", 1)[0] if "#" in author else author


def looks_like_bot(author: str) -> bool:
    """True for a known bot name or a name whose last word is a bot word (see the docs).

    >>> [looks_like_bot(n) for n in ("KMD TipBot#0077", "marketbot#8661", "Komodo-Bot#0171",
    ...                              "Maciej Bolbot#3831", "Mr robot#0493", "MEE6#4876")]
    [True, True, True, False, False, True]
    """
    name = plain_name(author)
    return name.lower() in KNOWN_BOTS or bool(_BOT_CASED.search(name))


_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                                         "Oct", "Nov", "Dec"), 1)}


def _fast_2019(text: str) -> tuple[str, float] | None:
    """``05-Jun-18 07:13 AM`` (the 2019 exporter's format) without strptime; None otherwise."""
    if len(text) != 18 or text[2] != "-" or text[6] != "-" or text[15] != " ":
        return None
    try:
        day, month, year = int(text[0:2]), _MONTHS[text[3:6]], 2000 + int(text[7:9])
        hour, minute, half = int(text[10:12]) % 12, int(text[13:15]), text[16:18]
        if half == "PM":
            hour += 12
        elif half != "AM":
            return None
        dt = datetime(year, month, day, hour, minute, tzinfo=UTC)
    except (KeyError, ValueError):
        return None
    return dt.isoformat(), dt.timestamp()


class DateParser:
    """Parses exporter dates (cached: minute-precision dates repeat a lot). Naive dates are UTC.

    >>> DateParser()("05-Jun-18 07:13 PM")
    ('2018-06-05T19:13:00+00:00', 1528225980.0)
    """

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, float] | None] = {}

    def __call__(self, text: str) -> tuple[str, float] | None:
        found = self._cache.get(text, False)
        if found is not False:
            return found  # type: ignore[return-value]
        if len(self._cache) > 100_000:
            self._cache.clear()
        out = _fast_2019(text)
        for fmt in () if out is not None else DATE_FORMATS:
            try:
                dt = datetime.strptime(text.strip(), fmt)
            except ValueError:
                continue
            dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
            out = (dt.isoformat(), dt.timestamp())
            break
        self._cache[text] = out
        return out


class NameIndex:
    """Author names (without ``#discriminator``, lower case) -> member id, for ``@name`` mentions;
    also the relay webhooks found by :func:`index_authors` (``relays``: author id -> webhook member).

    A name used by several ids (a reused name) resolves to the id that posted most often under it;
    a name relayed by a webhook resolves to its relayed member only when no account posted under it.

    >>> idx = NameIndex()
    >>> for author, member in [("Bob#0001", "b"), ("Bob#0000", "relay"), ("Bob#0000", "relay")]:
    ...     idx.count(author, member)
    >>> idx.build(lambda author, member: "w:bob" if member == "relay" else None)
    >>> idx.mentions("thanks @bob!")
    ['b']
    """

    def __init__(self) -> None:
        self.by_name: dict[str, str] = {}
        self.relays: dict[str, str] = {}
        self._uses: Counter[tuple[str, str]] = Counter()

    def count(self, author: str, member_id: str) -> None:
        """One message by ``member_id`` under the name ``author``."""
        self._uses[(author, member_id)] += 1

    def build(self, relayed: Callable[[str, str], str | None] | None = None) -> None:
        """Fix the index from the counted uses (call once, after counting). ``relayed(author,
        member_id)`` is the relayed member behind a webhook's message, None for an account's."""
        per_name: Counter[tuple[str, bool, str]] = Counter()
        for (author, member_id), n in self._uses.items():
            name = plain_name(author).lower()
            stand_in = relayed(author, member_id) if relayed is not None else None
            if name and name not in NOT_PEOPLE:
                per_name[(name, stand_in is None, stand_in or member_id)] += n
        best: dict[str, tuple[bool, int, str]] = {}
        for (name, own, member_id), n in per_name.items():
            if name not in best or (own, n, member_id) > best[name]:
                best[name] = (own, n, member_id)
        self.by_name = {name: member_id for name, (_, _, member_id) in best.items()}
        self._uses.clear()

    def mentions(self, text: str) -> list[str]:
        """Member ids named by ``@name`` in ``text``, in order (longest name wins at each ``@``)."""
        out: list[str] = []
        at = text.find("@")
        while at != -1:
            if at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_"):
                found = self._match(text, at + 1)
                if found is not None and found not in out:
                    out.append(found)
            at = text.find("@", at + 1)
        return out

    def _match(self, text: str, start: int) -> str | None:
        tail = text[start:start + MAX_NAME]
        low = tail.lower()
        for end in range(len(tail), 0, -1):
            member = self.by_name.get(low[:end])
            if member is not None:
                nxt = text[start + end] if start + end < len(text) else " "
                if not (nxt.isalnum() or nxt == "_"):
                    return member
        return None


class _Lines:
    """The lines of a text stream (line ends kept), remembering whether the last one had its end."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text
        self.ended = True

    def __iter__(self) -> Iterator[str]:
        for line in self.text:
            self.ended = line.endswith(("\n", "\r"))
            yield line


class _CsvRows:
    """Iterates (row number, fields) over one CSV file; ``position()`` is bytes of input read."""

    def __init__(self, entry: ExportFile, delim: str) -> None:
        self.entry = entry
        self.delim = delim
        self.position: Callable[[], int] = lambda: 0
        self.cut_short = False  # after iterating: the last record was cut off (not yielded)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        raw, self.position = self.entry.open()
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")
        where = self.entry.where
        lines = _Lines(text)
        try:
            reader = csv.reader(lines, delimiter=self.delim)
            try:
                next(reader, None)
                held: tuple[int, list[str]] | None = None  # one record behind: is it the last?
                for record in enumerate(reader, 1):
                    if held is not None:
                        yield held
                    held = record
                # the exporter ends every record with a line end: without one the file was cut
                self.cut_short = held is not None and not lines.ended
                if held is not None and not self.cut_short:
                    yield held
            except csv.Error as e:
                raise BrokenInput(f"{where}: not a readable CSV ({e}). Export the channel again.") from None
            except (OSError, EOFError, zlib.error) as e:
                raise BrokenInput(
                    f"{where}: cannot be decompressed ({e or type(e).__name__}); the file is truncated "
                    "or damaged. Copy or export it again and ingest again."
                ) from None
        finally:
            text.close()


def index_authors(files: list[tuple[ExportFile, str]], ctx: ReadContext, out: ChatRows,
                  names: NameIndex) -> None:
    """Pass 1: every author id, its latest name, the names it posted under (for mentions), and
    the relay webhooks (see :func:`find_relays`)."""
    u_ = f"{ctx.source_id}:u:"
    used: dict[str, set[str]] = {}  # author id -> the names it posted under
    for entry, delim in files:
        for _, row in _CsvRows(entry, delim):
            if len(row) >= 4 and row[0].isdigit():
                member_id = u_ + row[0]
                info = out.member(member_id)
                names.count(row[1], member_id)
                used.setdefault(row[0], set()).add(row[1])
                if info.display_name != row[1]:  # a new author, or a new name
                    info.display_name = row[1]
                    info.is_bot = info.is_bot or looks_like_bot(row[1])
    for native, relayed in find_relays(used).items():
        webhook = out.member(u_ + native)
        webhook.is_bot, webhook.display_name = True, f"relay webhook ({len(relayed)} names)"
        names.relays[native] = u_ + native
        for author in sorted(relayed):
            out.relayed_member(u_ + native, plain_name(author), looks_like_bot(author))
    names.build(lambda author, member_id: _relayed(out, names, author, member_id))


def find_relays(used: dict[str, set[str]]) -> dict[str, set[str]]:
    """Author ids that are relay webhooks, with the names they relayed: every name they posted
    under has the discriminator ``#0000`` (webhooks have no real discriminator) and there are at
    least two of them. One id under one ``#0000`` name is left alone: Discord's own ``Deleted
    User#0000`` placeholder is such an id.

    >>> relays = find_relays({"1": {"ann#0000", "bo#0000"}, "2": {"Deleted User#0000"},
    ...                       "3": {"x#0000", "x#1234"}})
    >>> {k: sorted(v) for k, v in relays.items()}
    {'1': ['ann#0000', 'bo#0000']}
    """
    return {native: names for native, names in used.items()
            if len(names) >= 2 and all(n.endswith("#0000") for n in names)}


def _relayed(out: ChatRows, names: NameIndex, author: str, member_id: str) -> str | None:
    native = member_id.rsplit(":", 1)[-1]
    if native not in names.relays:
        return None
    return out.relayed_member(member_id, plain_name(author), looks_like_bot(author))


@dataclass
class CsvChannel:
    """A channel's state across its files (an export may split a channel into parts)."""

    native: str
    place_id: str
    flow: ChannelFlow = field(default_factory=ChannelFlow)
    minute: str = ""
    ordinals: dict[str, int] = field(default_factory=dict)  # author -> messages in `minute`
    latest: float = 0.0


def read_csv_channel(entry: ExportFile, delim: str, chan: CsvChannel, ctx: ReadContext, out: ChatRows,
                     names: NameIndex, parse_date: DateParser) -> Iterator[Batch]:
    """Pass 2 for one channel file: posts, conversations, reactions and system events."""
    label, place_id, channel_native = entry.label, chan.place_id, chan.native
    u_ = f"{ctx.source_id}:u:"
    total = entry.size()
    ctx.report_progress(label, 0, total, 0)
    n = 0
    rows = _CsvRows(entry, delim)
    for n, row in rows:
        if len(row) < 4:
            ctx.skip(label, "row has fewer than 4 fields")
            continue
        author_native, date, content = row[0], row[2], row[3]
        if not author_native.isdigit():
            ctx.skip(label, "AuthorID is not a Discord id")
            continue
        when = parse_date(date)
        if when is None:
            ctx.skip(label, "unreadable Date")
            continue
        at, seconds = when
        if seconds < chan.latest:
            native = f"{channel_native}:{date}:{author_native}:r{n}"  # out of order: row number
        else:
            if date != chan.minute:
                chan.minute, chan.ordinals, chan.latest = date, {}, seconds
            k = chan.ordinals[author_native] = chan.ordinals.get(author_native, 0) + 1
            native = f"{channel_native}:{at[:16]}:{author_native}:{k}"
        author = u_ + author_native
        if author_native in names.relays:  # a webhook relaying another chat: the named sender
            author = out.relayed_member(author, plain_name(row[1]), looks_like_bot(row[1]))
        system = system_kind(content)
        if system is not None:
            out.event(native=native, category=system[0], kind=system[1], at=at, member_id=author,
                      place_id=place_id)
            out.member(author).seen(seconds)
        else:
            post_id = out.message(native=native, place_id=place_id, at=at, seconds=seconds,
                                  author=author, text=content, flow=chan.flow,
                                  mentioned=names.mentions(content) if "@" in content else None)
            if len(row) > 5 and row[5]:
                _reactions(row[5], native, post_id, at, out)
        if n % PROGRESS_ROWS == 0:
            ctx.report_progress(label, rows.position(), total, n)
            yield from out.full()
    if rows.cut_short:
        ctx.skip(label, "last record cut short (the file is truncated)")
    ctx.report_progress(label, total, total, n)
    yield from out.full()


def _reactions(text: str, native: str, post_id: str, at: str, out: ChatRows) -> None:
    """``👍 (3),🎈 (1)`` -> one reaction row per emoji, its count as ``value`` (who reacted is not
    in the CSV)."""
    for piece in text.split(","):  # one piece per emoji: anchored, so linear whatever the text
        found = _REACTION.match(piece)
        if found is None:
            continue
        emoji, count = found.groups()
        if int(count) > 0:
            out.reaction(native=f"{native}:{emoji}", post_id=post_id, member_id=None,
                         kind=emoji, at=None, count=float(count))
