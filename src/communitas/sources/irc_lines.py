"""One line of an IRC channel log: its time and what it says.

The layouts read (``docs/sources/irc.md`` has examples of each):

* Limnoria / Supybot ChannelLogger: ``2012-10-17T09:16:21+0000  <nick> text`` (the zone is
  optional), ``*** nick has joined #chan``, ``*** nick has quit IRC``, ``* nick action``;
* bracketed times: ``[YYYY-MM-DD hh:mm:ss] <nick> text``, ``[hh:mm] <nick> text``,
  ``[hh:mm:ss] *** Joins: nick (user@host)`` (ZNC, many bots and clients);
* irssi: ``hh:mm <nick> text``, ``hh:mm -!- nick [user@host] has joined #chan``, with
  ``--- Log opened Tue Oct 16 09:00:00 2012`` and ``--- Day changed Wed Oct 17 2012`` lines;
* WeeChat: ``2012-10-17 09:16:21<TAB>nick<TAB>text``, ``-->`` joins, ``<--`` parts and quits.

A line with a time only takes its date from the last ``Log opened`` / ``Day changed`` line, else
from the file name (``2012-10-17``, ``2012_10_17`` or ``20121017`` in it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

_ISO = re.compile(r"^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d)?)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)?(\s+)(.*)$")
_BRACKET = re.compile(r"^\[(?:(\d{4}-\d\d-\d\d)[T ])?(\d\d:\d\d(?::\d\d)?)\]\s*(.*)$")
_BARE = re.compile(r"^(\d\d:\d\d(?::\d\d)?)\s+(.*)$")
_DAY = re.compile(r"^--- (?:Day changed|Log opened) \w{3} (\w{3}) (\d\d?) (?:[\d:]+ )?(\d{4})")
_MARK = re.compile(r"^--- (?:Log closed|Log opened|Day changed)")
_FILE_DATE = re.compile(r"(\d{4})[-_.]?(\d\d)[-_.]?(\d\d)")
_MSG = re.compile(r"^<[@+%&~! ]?([^>\s]+)>(?: (.*))?$")
_ACTION = re.compile(r"^\* (\S+) (.*\S.*)$")
_NOTICE = re.compile(r"^-(\S+?)-(?: |$)")
_STATUS = re.compile(r"^(?:\*\*\*|-!-|-->|<--|--)\s*(.*)$")
_EVENTS = (
    (re.compile(r"^(?:Joins: (\S+)|(\S+) (?:<\S+> |\[\S+\] |\(\S+\) )?has joined)"), "join"),
    (re.compile(r"^(?:Parts: (\S+)|(\S+) (?:<\S+> |\[\S+\] |\(\S+\) )?has left)"), "leave"),
    (re.compile(r"^(?:Quits: (\S+)|(\S+) (?:<\S+> |\[\S+\] |\(\S+\) )?has quit)"), "quit"),
    (re.compile(r"^(\S+) was kicked by (\S+)"), "kick"),
)
_NICK = re.compile(r"^(?:Nick change: )?(\S+) is now known as (\S+)")
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                                       "Oct", "Nov", "Dec"), 1)}


@dataclass(frozen=True)
class Line:
    """What one log line is: ``kind`` message, action, join, leave, quit, kick, nick, notice,
    status, empty, day (a date marker) or unknown; ``nick`` who; ``text`` what (for a nick change:
    the new nick); ``at`` epoch seconds (None: no date known)."""

    kind: str
    at: float | None = None
    nick: str = ""
    text: str = ""
    zoned: bool = True


def file_date(name: str) -> date | None:
    """The date in a log file's name, or None.

    >>> file_date("#ceph.2012-10-17.log"), file_date("supybot_2012_10_18.log"), file_date("x.log")
    (datetime.date(2012, 10, 17), datetime.date(2012, 10, 18), None)
    """
    found = _FILE_DATE.search(name)
    if found is None:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


@lru_cache(maxsize=1024)
def _midnight(day: date | str, zone: str | None) -> float | None:
    """Epoch seconds of 00:00 on ``day`` in ``zone`` (``+0200``, ``Z``; None: UTC), cached."""
    try:
        d = date.fromisoformat(day) if isinstance(day, str) else day
        tz = UTC
        if zone and zone != "Z":
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        return datetime(d.year, d.month, d.day, tzinfo=tz).timestamp()
    except ValueError:
        return None


def _seconds(day: date | str, hms: str, zone: str | None) -> float | None:
    base = _midnight(day, zone)
    h, m, sec = int(hms[:2]), int(hms[3:5]), int(hms[6:8] or 0)
    if base is None or h > 23 or m > 59 or sec > 60:
        return None
    return base + h * 3600 + m * 60 + sec


def parse(raw: str, day: date | None) -> Line:
    """One line (without its newline); ``day`` is the date a time-only line belongs to.

    >>> parse("2012-10-17T09:16:21+0000  <benpol> hi there", None)
    Line(kind='message', at=1350465381.0, nick='benpol', text='hi there', zoned=True)
    >>> parse("[09:16] *** Joins: ann (~a@example.org)", date(2012, 10, 17)).kind
    'join'
    >>> parse("09:16 -!- bob [~b@h] has quit [Ping timeout]", None)
    Line(kind='quit', at=None, nick='bob', text='', zoned=False)
    """
    m = _ISO.match(raw)
    if m is not None:
        at, zoned, rest = _seconds(m[1], m[2], m[3]), m[3] is not None, m[5]
        if m[4][0] == "\t":  # WeeChat: time, nick and text separated by tabs
            return _weechat(raw[m.start(4) + 1:], at)
        return _body(rest, at, zoned)
    m = _BRACKET.match(raw)
    if m is not None:
        when = m[1] or day
        return _body(m[3], None if when is None else _seconds(when, m[2], None), False)
    m = _BARE.match(raw)
    if m is not None:
        return _body(m[2], None if day is None else _seconds(day, m[1], None), False)
    d = _DAY.match(raw)
    if d is not None and d[1] in _MONTHS:
        try:
            return Line("day", date(int(d[3]), _MONTHS[d[1]], int(d[2])).toordinal())
        except ValueError:
            return Line("unknown")
    if _MARK.match(raw):
        return Line("status")
    return Line("empty" if not raw.strip() else "unknown")


def _weechat(rest: str, at: float | None) -> Line:
    prefix, _, text = rest.partition("\t")
    prefix = prefix.strip()
    if prefix in ("-->", "<--", "--"):
        return _status(text, at, False)
    if prefix == "*":
        nick, _, action = text.partition(" ")
        return Line("action", at, nick, action, False) if action.strip() else Line("unknown", at)
    nick = prefix.lstrip("@+%&~")
    if not nick:
        return Line("unknown", at)
    return Line("message", at, nick, text, False) if text.strip() else Line("empty", at, nick)


def _body(rest: str, at: float | None, zoned: bool) -> Line:
    m = _MSG.match(rest)
    if m is not None:
        text = m[2] or ""
        return Line("message", at, m[1], text, zoned) if text.strip() else Line("empty", at, m[1])
    s = _STATUS.match(rest)
    if s is not None:
        return _status(s[1], at, zoned)
    m = _ACTION.match(rest)
    if m is not None:
        return Line("action", at, m[1], m[2], zoned)
    if _NOTICE.match(rest):
        return Line("notice", at)
    return Line("unknown", at)


def _status(text: str, at: float | None, zoned: bool) -> Line:
    nick = _NICK.match(text)
    if nick is not None:
        return Line("nick", at, nick[1], nick[2], zoned)
    for pattern, kind in _EVENTS:
        m = pattern.match(text)
        if m is not None:
            return Line(kind, at, m[1] or m[2], "", zoned)
    return Line("status", at)
