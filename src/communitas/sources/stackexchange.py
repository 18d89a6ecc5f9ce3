"""Stack Exchange data dumps: a whole site (main or meta) as XML, XML.gz or the official .7z.

Which dump file becomes what (see ``docs/data-model.md`` and ``docs/sources/stackexchange.md``):

=============== ==============================================================================
Posts.xml       questions → ``threads`` + a ``posts`` row (kind question); answers → ``posts``
                (reply to the question); tag wikis and other non-conversation posts → ``posts``
                with ``is_contribution`` false; the ``Tags`` attribute → ``thread_places``
Comments.xml    ``posts`` of kind comment, replying to the post they are attached to
Users.xml       ``members`` (user -1, "Community", is the platform's system account)
Votes.xml       ``reactions`` (up/down votes, accepts, favourites, bounties, close votes, ...)
Tags.xml        ``places`` of kind tag, under one place of kind site
Badges.xml      ``events`` of category recognition
PostHistory.xml ``events`` of category edit / moderation (closures, reopenings, deletions,
                community wiki, migrations, locks)
PostLinks.xml   ``events`` of category link (kind duplicate or related)
=============== ==============================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from communitas.errors import BrokenInput, InputNotFound, UnknownFormat
from communitas.model import SourceInfo
from communitas.sources.archives import open_plain_or_gz
from communitas.sources.base import Batch, ReadContext, fingerprint_files, recognises
from communitas.sources.parallel import Task, default_workers, read_in_workers
from communitas.sources.stackexchange_rows import DROPPED, HANDLERS, FileContext
from communitas.sources.xml_rows import MAX_LINE, iter_row_columns

PARALLEL_MIN_BYTES = 64 << 20  # smaller dumps: worker start-up would cost more than it saves
# What reading a byte of each file costs, relative to Posts.xml (one core, 500 MB benchmark dump:
# Posts 9.4 ms per MB; short rows cost more per byte, PostHistory less as its revision text is cut
# unparsed). Worker lanes are balanced on size x cost: on bytes alone, the lane holding Posts,
# Votes and Comments took 1.2 s longer than the other.
READ_COST = {"posts": 1.0, "posthistory": 0.5, "comments": 1.2, "users": 1.0, "votes": 2.3,
             "badges": 2.3, "postlinks": 2.3, "tags": 2.3}

# canonical file key -> what is lost without it
FILES: dict[str, str] = {
    "posts": "questions and answers",
    "users": "member names, join dates and reputation",
    "comments": "comments (as contributions and as replies)",
    "votes": "reactions (votes, accepts, favourites, bounties)",
    "tags": "tag usage counts (tags still come from the questions)",
    "badges": "badges (recognition events)",
    "posthistory": "edit history, closures/reopenings and community-wiki events "
    "(closure state still comes from Posts.xml)",
    "postlinks": "duplicate and related-question links",
}

FILE_NAMES = {"posts": "Posts.xml", "users": "Users.xml", "comments": "Comments.xml",
              "votes": "Votes.xml", "tags": "Tags.xml", "badges": "Badges.xml",
              "posthistory": "PostHistory.xml", "postlinks": "PostLinks.xml"}


def _key(filename: str) -> str | None:
    """``'Posts.xml.gz'`` -> ``'posts'``; None for files that are not dump tables."""
    low = filename.rsplit("/", 1)[-1].lower()
    for ext in (".xml.gz", ".xml"):
        if low.endswith(ext):
            key = low[: -len(ext)]
            return key if key in FILES else None
    return None


@dataclass
class _Layout:
    """Where a dump's files are: a folder of (gzipped) XML, or .7z archives (one per site, or one
    per dump file as Stack Overflow's ``stackoverflow.com-Posts.7z``, ...)."""

    archives: list[Path]
    files: dict[str, Path]  # key -> path (folder form)
    members: dict[str, tuple[Path, str]]  # key -> (archive, member name) (7z form)
    name: str

    @property
    def keys(self) -> set[str]:
        return set(self.files) | set(self.members)


def _site_name(archive: Path) -> str:
    """``beer.stackexchange.com.7z`` -> ``beer.stackexchange.com``; a split dump's
    ``stackoverflow.com-Posts.7z`` -> ``stackoverflow.com``."""
    stem = archive.name[: -len(".7z")]
    site, _, part = stem.rpartition("-")
    return site if site and part.lower() in FILES else stem


class _SeveralSites(UnknownFormat):
    """Stack Exchange archives, but of several sites at once (detected, then refused by name)."""


def _archives(paths: list[Path], folder: Path) -> _Layout:
    """The layout of one site's .7z archives; two archives holding the same file are refused."""
    from communitas.sources.sevenzip import list_7z  # py7zr only when a .7z is read

    members: dict[str, tuple[Path, str]] = {}
    for archive in paths:
        for name in list_7z(archive):
            key = _key(name)
            if key is None:
                continue
            if key in members:
                raise _SeveralSites(
                    f"{folder}: {members[key][0].name} and {archive.name} both hold {FILE_NAMES[key]}; "
                    "these are several sites' dumps. Point at one site's .7z (or its folder) at a time."
                )
            members[key] = (archive, name)
    names = {_site_name(a) for a in paths}
    return _Layout(paths, {}, members, names.pop() if len(names) == 1 else folder.name)


def _locate(path: Path) -> _Layout:
    if not path.exists():
        raise InputNotFound(f"{path}: no such file or folder. Check the path and try again.")
    if path.is_file() and path.name.lower().endswith(".7z"):
        return _archives([path], path.parent)
    if path.is_dir():
        files = {k: p for p in sorted(path.iterdir()) if p.is_file() and (k := _key(p.name))}
        if files:
            return _Layout([], files, {}, path.name)
        archives = sorted(p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(".7z"))
        if archives:
            return _archives(archives, path)
    raise UnknownFormat(
        f"{path}: not a Stack Exchange dump (no Posts.xml, Posts.xml.gz or site .7z found). "
        "Give the folder holding the dump's XML files, or the site's .7z archive(s)."
    )


class StackExchangeSource:
    """Reads a Stack Exchange site dump. See the module docstring for the mapping."""

    platform = "stackexchange"
    earliest = datetime(2008, 7, 31, tzinfo=UTC)  # Stack Overflow's public beta: no site is older
    order = 10  # auto-detection order (sources.registry)
    body_format = "html"  # Posts.xml bodies are HTML (sources.base.body_format)

    def detect(self, path: Path) -> bool:
        def probe() -> bool:
            try:
                return "posts" in _locate(path).keys
            except (_SeveralSites, BrokenInput):  # several sites, a damaged .7z: a Stack Exchange
                return True  # input all right, and describe() says what is wrong with it

        return recognises(probe)

    def describe(self, path: Path, name: str | None = None) -> SourceInfo:
        layout = _locate(path)
        inputs = layout.archives or list(layout.files.values())
        return SourceInfo(self.platform, name or layout.name, str(path.resolve()),
                          fingerprint_files(inputs))

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        layout = _locate(path)
        if "posts" not in layout.keys:
            raise UnknownFormat(f"{path}: the dump has no Posts.xml (or .xml.gz); nothing to ingest. "
                                "Give the folder or .7z that holds the whole dump.")
        for key, lost in FILES.items():
            if key not in layout.keys:
                ctx.warn(f"{path}: no {FILE_NAMES[key]} in this dump; unavailable: {lost}.")
        yield _site_place(ctx)
        tags: dict[str, set[str]] = {"used": set(), "listed": set()}
        workers = default_workers()
        tasks = _tasks(layout)
        if _parallel(layout, tasks, ctx, workers):
            yield from read_in_workers(tasks, ctx, workers, lambda state: _merge_tags(tags, state))
        else:
            for key, label, stream, total, position in _streams(layout):
                yield from _read_file(key, label, stream, total, position, ctx, tags)
        unlisted = sorted(tags["used"] - tags["listed"])
        if unlisted:
            yield _unlisted_tags(ctx, unlisted)


def _tasks(layout: _Layout) -> list[Task]:
    """One task per XML file, or per archive when a site comes as several .7z (Stack Overflow).

    A file's weight (what worker lanes are balanced on) is its size times :data:`READ_COST`; an
    archive's is its size (BZip2 decompression, the bulk of its cost, goes with it).
    """
    if len(layout.archives) > 1:
        return [Task(f"{__name__}:read_archive_task", str(a), a.stat().st_size) for a in layout.archives]
    return [Task(f"{__name__}:read_file_task", (key, str(p)), int(p.stat().st_size * READ_COST.get(key, 1)))
            for key, p in layout.files.items()]


def _parallel(layout: _Layout, tasks: list[Task], ctx: ReadContext, workers: int) -> bool:
    """Read in several processes: several files or archives, and >= 64 MB of them on disk."""
    on_disk = sum(p.stat().st_size for p in layout.archives or layout.files.values())
    return workers > 1 and ctx.scratch is not None and len(tasks) > 1 and on_disk >= PARALLEL_MIN_BYTES


def read_file_task(arg: tuple[str, str], ctx: ReadContext, state: dict[str, Any]) -> Iterator[Batch]:
    """One dump file, in a worker process (see ``communitas.sources.parallel``)."""
    key, name = arg
    path = Path(name)
    tags: dict[str, set[str]] = state.setdefault("tags", {"used": set(), "listed": set()})
    data, disk = open_plain_or_gz(path)
    try:
        yield from _read_file(key, str(path), data, path.stat().st_size,  # type: ignore[arg-type]
                              _position_of(disk), ctx, tags)
    finally:
        data.close()
        disk.close()


def read_archive_task(arg: str, ctx: ReadContext, state: dict[str, Any]) -> Iterator[Batch]:
    """The dump files of one .7z archive, in a worker process."""
    tags: dict[str, set[str]] = state.setdefault("tags", {"used": set(), "listed": set()})
    archive = Path(arg)
    for key, label, stream, total, position in _archive_streams(archive):
        yield from _read_file(key, label, stream, total, position, ctx, tags)


def _merge_tags(tags: dict[str, set[str]], state: dict[str, Any]) -> None:
    for k, v in state.get("tags", {}).items():
        tags[k] |= v


def _streams(
    layout: _Layout,
) -> Iterator[tuple[str, str, IO[bytes], int, Callable[[], int]]]:
    for archive in layout.archives:
        yield from _archive_streams(archive)
    for key, p in layout.files.items():
        data, disk = open_plain_or_gz(p)
        try:
            yield key, str(p), data, p.stat().st_size, _position_of(disk)  # type: ignore[misc]
        finally:
            data.close()
            disk.close()


def _archive_streams(archive: Path) -> Iterator[tuple[str, str, IO[bytes], int, Callable[[], int]]]:
    from communitas.sources.sevenzip import iter_7z, list_7z  # py7zr only when a .7z is read

    sizes = list_7z(archive)
    for member, stream in iter_7z(archive):
        key = _key(member)
        if key is not None:
            yield key, f"{archive}!{member}", stream, sizes.get(member, 0), _position_of(stream)  # type: ignore[misc]


def _position_of(stream: Any) -> Callable[[], int]:
    """How far into its input ``stream`` has read (for progress bars)."""
    return lambda: int(stream.position)


def _unlisted_tags(ctx: ReadContext, names: list[str]) -> Batch:
    """Places for tags used on questions but absent from Tags.xml (or when it is missing)."""
    sid = ctx.source_id
    n = len(names)
    return Batch("places", {"place_id": [f"{sid}:tag:{t}" for t in names],
                            "source_id": [sid] * n, "native_id": names, "kind": ["tag"] * n,
                            "name": names, "parent_id": [f"{sid}:site"] * n})


def _site_place(ctx: ReadContext) -> Batch:
    sid = ctx.source_id
    return Batch("places", {"place_id": [f"{sid}:site"], "source_id": [sid],
                            "native_id": [ctx.info.name], "kind": ["site"],
                            "name": [ctx.info.name]})


def _read_file(
    key: str, label: str, stream: IO[bytes], total: int, position: Callable[[], int],
    ctx: ReadContext, tags: dict[str, set[str]],
) -> Iterator[Batch]:
    # Errors name the whole path; skip counts and progress bars the file (or archive!member).
    short = Path(label).name
    fields, mapper = HANDLERS[key]
    fc = FileContext(ctx.source_id, ctx, short, tags)
    batches = iter_row_columns(stream, label, lambda n: ctx.skip(short, "line is not valid UTF-8", n),
                               fields, drop=DROPPED.get(key), on_long_lines=lambda n: ctx.skip(
                                   short, f"line over {MAX_LINE >> 20} MiB (no row of a dump is)", n))
    ctx.report_progress(short, 0, total, 0)
    n = 0
    for columns in batches:
        n += len(columns[fields[0]])
        yield from mapper(fc, columns)
        ctx.report_progress(short, position(), total, n)
    ctx.report_progress(short, total or position(), total, n)
