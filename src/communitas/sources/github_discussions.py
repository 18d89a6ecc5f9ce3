"""GitHub Discussions: the JSON of discussions with their comments, replies, upvotes and answers.

Accepted inputs: one ``.json`` / ``.json.gz`` file, a folder of them (pages, read in name order),
or a ``.zip`` of one. A file is any of (``docs/sources/github-discussions.md``):

* what ``gh api graphql -f query=…`` prints for ``repository { discussions { nodes {…} } }``:
  ``{"data": {"repository": {"discussions": {"nodes": [...]}}}}`` (or ``edges[].node``), one
  page, pages concatenated (``--paginate``) or a list of pages (``--paginate --slurp``), or a
  single ``discussion``;
* a plain list of discussion objects, in the GraphQL shape or the flattened shape some site
  builds store (``id`` = number, ``upvotes``, ``author.name``, ``replies: null``).

Place = category (under its repository); thread = discussion; the discussion post, its comments
(which reply to it) and their replies (which reply to the comment) are posts; the chosen answer is
``threads.accepted_post_id`` and an ``accept`` reaction, as on Stack Exchange.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import ijson

from communitas.errors import BrokenInput, InputError, InputNotFound, UnknownFormat
from communitas.model import SourceInfo
from communitas.sources.archives import SafeZip
from communitas.sources.base import Batch, ReadContext, fingerprint_files, recognises
from communitas.sources.export_file import ExportFile
from communitas.sources.github_discussions_rows import Rows, nodes

JSON_SUFFIXES = (".json", ".json.gz")
PEEK_EVENTS = 400  # JSON events looked at to tell a file's shape
PROGRESS_ROWS = 500
DISCUSSION_KEYS = frozenset({"title", "number", "comments", "answer", "upvoteCount", "upvotes",
                             "commentTotal", "answerChosenAt", "category"})
_JSON_ERRORS = (ijson.JSONError, ValueError, OSError, EOFError, zlib.error)


def discussion_prefix(f: ExportFile) -> str | None:
    """The ijson prefix of the discussions in ``f``, or None when it holds none we know."""
    try:
        data, _ = f.open()
    except (OSError, InputError):
        return None
    keys: dict[str, set[str]] = {}
    try:
        with data:
            for prefix, event, value in islice(ijson.parse(data, multiple_values=True), PEEK_EVENTS):
                if event == "map_key":
                    keys.setdefault(prefix, set()).add(str(value))
                    found = _match(prefix, str(value))
                    if found:
                        return found
    except (*_JSON_ERRORS, InputError):
        return None
    return "item" if len(keys.get("item", set()) & DISCUSSION_KEYS) >= 2 else None


def _match(prefix: str, key: str) -> str | None:
    """The discussions' prefix once the key that holds them is seen.

    >>> _match("data.repository.discussions", "edges"), _match("item.data.repository", "discussion")
    ('data.repository.discussions.edges.item.node', 'item.data.repository.discussion')
    """
    for root in ("data.repository", "item.data.repository"):
        if prefix == f"{root}.discussions" and key in ("nodes", "edges"):
            return f"{prefix}.nodes.item" if key == "nodes" else f"{prefix}.edges.item.node"
        if prefix == root and key == "discussion":
            return f"{root}.discussion"
    return None


def _entries(path: Path) -> tuple[list[ExportFile], SafeZip | None]:
    if path.is_dir():
        return [ExportFile(p) for p in sorted(path.rglob("*"))
                if p.is_file() and p.name.lower().endswith(JSON_SUFFIXES)], None
    if path.name.lower().endswith(".zip"):
        archive = SafeZip(path)
        return [ExportFile(path, n, archive) for n in sorted(archive.names())
                if n.lower().endswith(JSON_SUFFIXES)], archive
    return [ExportFile(path)], None


def _locate(path: Path) -> tuple[list[tuple[ExportFile, str]], SafeZip | None]:
    if not path.exists():
        raise InputNotFound(f"{path}: no such file or folder. Check the path and try again.")
    if path.is_file() and not path.name.lower().endswith((*JSON_SUFFIXES, ".zip")):
        raise UnknownFormat(f"{path}: not a GitHub Discussions export (.json, .json.gz, .zip or a folder).")
    entries, archive = _entries(path)
    found = [(f, p) for f in entries if (p := discussion_prefix(f)) is not None]
    if not found:
        if archive is not None:
            archive.close()
        raise UnknownFormat(
            f"{path}: no GitHub Discussions JSON found (the GraphQL API's discussions, or a list of "
            "discussions with their comments). Save them with gh api graphql (see "
            "docs/sources/github-discussions.md) and ingest the file or folder."
        )
    return found, archive


def _name(path: Path) -> str:
    low = path.name.lower()
    for ext in (".json.gz", ".json", ".zip"):
        if low.endswith(ext):
            return path.name[: -len(ext)]
    return path.name


class GithubDiscussionsSource:
    """Reads GitHub Discussions JSON. See the module docstring."""

    platform = "github-discussions"
    order = 70  # auto-detection order (sources.registry)

    def detect(self, path: Path) -> bool:
        def probe() -> bool:
            _, archive = _locate(path)
            if archive is not None:
                archive.close()
            return True

        return recognises(probe)

    def describe(self, path: Path, name: str | None = None) -> SourceInfo:
        found, archive = _locate(path)
        if archive is not None:
            archive.close()
        inputs = [path] if archive is not None or path.is_file() else [f.path for f, _ in found]
        default = path.parent.name if path.is_file() and _name(path) == "discussions" else _name(path)
        return SourceInfo(self.platform, name or default, str(path.resolve()), fingerprint_files(inputs))

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        found, archive = _locate(path)
        rows = Rows(ctx)
        try:
            for f, prefix in found:
                yield from _read_file(f, prefix, rows, ctx)
        finally:
            if archive is not None:
                archive.close()
        _warn(rows, ctx)
        yield from rows.finish()


def _discussions(data: Any, prefix: str) -> Iterator[Any]:
    """The discussions of one file. A GraphQL file is read one page (``discussions``
    connection) at a time, so pages of one file may hold ``nodes`` or ``edges`` alike."""
    for tail in (".nodes.item", ".edges.item.node"):
        if prefix.endswith(".discussions" + tail):
            for page in ijson.items(data, prefix[: -len(tail)], use_float=True, multiple_values=True):
                yield from nodes(page)
            return
    yield from ijson.items(data, prefix, use_float=True, multiple_values=True)


def _read_file(f: ExportFile, prefix: str, rows: Rows, ctx: ReadContext) -> Iterator[Batch]:
    data, position = f.open()
    total, n = f.size(), 0
    try:
        for n, d in enumerate(_discussions(data, prefix), 1):
            rows.discussion(d, f.label)
            if n % PROGRESS_ROWS == 0:
                ctx.report_progress(f.label, position(), total, rows.counts["posts"])
                yield from rows.full()
    except _JSON_ERRORS as e:
        why = " ".join(str(e).split())[:200] or type(e).__name__
        raise BrokenInput(f"{f.where}: not readable GitHub Discussions JSON ({why}); "
                          "the file is truncated, damaged or not UTF-8. Fetch it again and ingest "
                          "again.") from None
    finally:
        data.close()
    ctx.report_progress(f.label, total, total, rows.counts["posts"])
    yield from rows.full()


def _warn(rows: Rows, ctx: ReadContext) -> None:
    c = rows.counts
    if c["deleted_authors"]:
        ctx.warn(f"{c['deleted_authors']} posts are by deleted accounts (author null or {{}}); "
                 "kept without an author.")
    if c["truncated"]:
        ctx.warn(f"{c['truncated']} discussions have more comments than the export holds (the "
                 "query's page size cut them); only those present are read.")
    if c["answers_added"]:
        ctx.warn(f"{c['answers_added']} chosen answers were not among the listed comments; each is "
                 "added as a comment of its own.")
