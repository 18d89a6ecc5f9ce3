"""The platform registry: ``SOURCES`` is what ``communitas ingest`` consults, in order, to
auto-detect a path's platform. A new platform adds its module under ``sources/`` and one line here.
"""

from __future__ import annotations

from pathlib import Path

from communitas.errors import InputNotFound, UnknownFormat, UsageError
from communitas.sources.base import Source
from communitas.sources.discord import DiscordSource
from communitas.sources.discourse import DiscourseSource
from communitas.sources.irc import IrcSource
from communitas.sources.mbox import MboxSource
from communitas.sources.reddit import RedditSource
from communitas.sources.slack import SlackSource
from communitas.sources.stackexchange import StackExchangeSource

SOURCES: dict[str, Source] = {
    "stackexchange": StackExchangeSource(),
    "mbox": MboxSource(),
    "discourse": DiscourseSource(),
    "slack": SlackSource(),
    "discord": DiscordSource(),
    "reddit": RedditSource(),
    "irc": IrcSource(),
}


def find_source(path: Path, platform: str | None = None) -> Source:
    """The source for ``path``: the named ``platform``, or the first that recognises it."""
    if platform is not None:
        if platform not in SOURCES:
            raise UsageError(
                f"unknown platform {platform!r}; choose one of: {', '.join(sorted(SOURCES))}."
            )
        return SOURCES[platform]
    if not path.exists():
        raise InputNotFound(f"{path}: no such file or folder. Check the path and try again.")
    for source in SOURCES.values():
        if source.detect(path):
            return source
    raise UnknownFormat(
        f"{path}: no source recognises this as a community export "
        f"(tried: {', '.join(SOURCES)}). Point at the export's folder or archive, "
        "or name the platform with --platform."
    )
