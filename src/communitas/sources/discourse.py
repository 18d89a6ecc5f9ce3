"""Discourse forums: the site's public JSON API responses, saved as files.

Accepted inputs (``docs/sources/discourse.md`` has the whole mapping):

* a folder (searched recursively) of ``.json`` / ``.json.gz`` files: topic files
  (``/t/<id>.json``, with their ``post_stream``), post files (``/posts/<id>.json``), topic lists
  (``/latest.json``, ``/c/<slug>.json``, or a plain list of topic summaries), ``/categories.json``
  and the ``discourse-site.json`` that ``communitas crawl discourse`` writes;
* a ``.tar.gz`` / ``.tgz`` of such files, read as a stream (nothing extracted), or a folder
  holding exactly one such archive and no Discourse JSON of its own (the archive is read);
* a single topic or post file.

Files are read one at a time; each is classified by its shape, never by its name. A file that is
not a Discourse API object (an exporter's own summary, a tag list) is skipped and counted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from communitas.errors import InputNotFound, UnknownFormat
from communitas.model import SourceInfo
from communitas.sources.archives import iter_tar_gz, open_plain_or_gz
from communitas.sources.base import Batch, ReadContext, fingerprint_files, recognises
from communitas.sources.discourse_rows import Collector

SITE_FILE = "discourse-site.json"  # written by the crawler: {"base_url": ..., "site": ...}
JSON_SUFFIXES = (".json", ".json.gz")
# One saved API response (a topic, a page of posts) is at most a few MB; Ask.CI's largest is 0.1 MB.
MAX_JSON_FILE = 64 << 20
TAR_SUFFIXES = (".tar.gz", ".tgz")
DETECT_PEEK = 5  # JSON files looked at by detect()
PROGRESS_FILES = 200
CONTAINER_NAMES = frozenset({"topics", "posts", "t", "archive"})
_EXPORTER_NAME = re.compile(
    r"^(?P<host>[\w.-]+?\.[a-z]{2,})-(?P<slug>.+?)-(?:topics|post-\d+)-\d{4}-\d\d-\d\d\.json(?:\.gz)?$")


def classify(obj: Any) -> str:
    """What a decoded JSON file is: topic, post, topic_list, categories, site, or other.

    >>> classify({"id": 1, "post_stream": {"posts": []}})
    'topic'
    >>> classify({"id": 2, "post_number": 1, "topic_id": 1})
    'post'
    >>> classify([{"id": 3, "title": "t", "posts_count": 1}]), classify({"topic_list": {"topics": []}})
    ('topic_list', 'topic_list')
    >>> classify({"category_list": {"categories": []}}), classify(["slurm"]), classify({"a": 1})
    ('categories', 'other', 'other')
    """
    if isinstance(obj, dict):
        if isinstance(obj.get("post_stream"), dict):
            return "topic"
        if "post_number" in obj and "topic_id" in obj:
            return "post"
        if isinstance(obj.get("topic_list"), dict):
            return "topic_list"
        if isinstance(obj.get("category_list"), dict):
            return "categories"
        if obj.get("generator") == "communitas" and "base_url" in obj:
            return "site"
    if isinstance(obj, list) and obj and all(
            isinstance(x, dict) and "id" in x and "title" in x and "posts_count" in x for x in obj):
        return "topic_list"
    return "other"


def _is_json_name(name: str) -> bool:
    return name.lower().endswith(JSON_SUFFIXES)


def _json_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and _is_json_name(p.name))


def _is_tar(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(TAR_SUFFIXES)


def _resolve(path: Path) -> Path:
    """The archive, for a folder holding exactly one ``.tar.gz`` and no Discourse JSON of its own
    (a ``stats.json`` or other notes beside the archive are not Discourse objects)."""
    if not path.is_dir():
        return path
    archives = [p for p in path.iterdir() if _is_tar(p)]
    if len(archives) != 1:
        return path
    for n, (_, value, _) in enumerate(_iter_inputs(path), 1):
        if classify(value) in ("topic", "post", "site") or n >= DETECT_PEEK:
            return path
    return archives[0]


def _decode(stream: IO[bytes] | Any, label: str, ctx: ReadContext | None) -> Any:
    """The JSON value of one file, or None (counted) when it is not valid JSON or is larger than
    any saved API response (:data:`MAX_JSON_FILE`: it is then not read further, so a small file
    that decompresses to gigabytes costs no memory)."""
    data = stream.read(MAX_JSON_FILE + 1)
    if len(data) > MAX_JSON_FILE:
        if ctx is not None:
            ctx.skip(label, f"file over {MAX_JSON_FILE >> 20} MiB decompressed (not an API response)")
        return None
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        if ctx is not None:
            ctx.skip(label, "file is not valid JSON")
        return None


def _iter_inputs(path: Path, ctx: ReadContext | None = None) -> Iterator[tuple[str, Any, int]]:
    """``(label, decoded JSON or None, bytes read)`` for each JSON file of the input."""
    if _is_tar(path):
        for name, stream, size in iter_tar_gz(path):
            if _is_json_name(name):
                yield f"{path.name}!{name}", _decode(stream, f"{path.name}!{name}", ctx), size
        return
    files = _json_files(path) if path.is_dir() else [path]
    for p in files:
        label = str(p.relative_to(path)) if path.is_dir() else p.name
        data, disk = open_plain_or_gz(p)
        try:
            value = _decode(data, label, ctx)
            yield label, value, disk.position
        finally:
            data.close()
            disk.close()


def _site_name(path: Path) -> str:
    """The dataset name: the crawled host, else the folder or archive name."""
    if path.is_dir() and (path / SITE_FILE).is_file():
        try:
            site = json.loads((path / SITE_FILE).read_text("utf-8")).get("site")
            if isinstance(site, str) and site:
                return site
        except (OSError, ValueError, AttributeError):
            pass
    if path.is_dir():
        return path.parent.name if path.name.lower() in CONTAINER_NAMES else path.name
    low = path.name.lower()
    for suffix in (*TAR_SUFFIXES, *JSON_SUFFIXES):
        if low.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.name


class DiscourseSource:
    """Reads saved Discourse API responses. See the module docstring."""

    platform = "discourse"
    order = 30  # auto-detection order (sources.registry)

    def detect(self, path: Path) -> bool:
        path = _resolve(path)
        if not (path.is_dir() or _is_tar(path) or (path.is_file() and _is_json_name(path.name))):
            return False

        def probe() -> bool:
            for n, (_, value, _) in enumerate(_iter_inputs(path), 1):
                if classify(value) in ("topic", "post", "site"):
                    return True
                if n >= DETECT_PEEK:
                    return False
            return False

        return recognises(probe)

    def describe(self, path: Path, name: str | None = None) -> SourceInfo:
        if not path.exists():
            raise InputNotFound(f"{path}: no such file or folder. Check the path and try again.")
        path = _resolve(path)
        inputs = _json_files(path) if path.is_dir() else [path]
        if not inputs:
            raise UnknownFormat(f"{path}: no .json or .json.gz files here; not a Discourse dump.")
        return SourceInfo(self.platform, name or _site_name(path), str(path.resolve()),
                          fingerprint_files(inputs))

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        path = _resolve(path)
        col = Collector(ctx)
        total = path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in _json_files(path))
        done = files = 0
        kinds = {"topic": 0, "post": 0}
        ctx.report_progress(path.name, 0, total, 0)
        for label, value, size in _iter_inputs(path, ctx):
            kind = classify(value) if value is not None else "invalid"
            _dispatch(col, kind, value, label, ctx)
            kinds[kind] = kinds.get(kind, 0) + 1
            done, files = done + size, files + 1
            if files % PROGRESS_FILES == 0:
                ctx.report_progress(path.name, min(done, total), total, len(col.seen_posts))
            yield from col.full()
        if not kinds["topic"] and not kinds["post"]:
            raise UnknownFormat(
                f"{path}: no Discourse topic (/t/<id>.json) or post (/posts/<id>.json) files found. "
                "Point at the folder or .tar.gz holding the saved API responses."
            )
        yield from col.finish()
        ctx.report_progress(path.name, total, total, len(col.seen_posts))


def _dispatch(col: Collector, kind: str, value: Any, label: str, ctx: ReadContext) -> None:
    if kind == "topic":
        col.topic(value, label)
        _name_category_from_file(col, [value], label)
    elif kind == "post":
        col.post(value, label)
    elif kind == "topic_list":
        topics = value if isinstance(value, list) else value["topic_list"].get("topics") or []
        col.topic_list(topics, label)
        _name_category_from_file(col, topics, label)
    elif kind == "categories":
        col.category_list(value["category_list"].get("categories") or [], label)
    elif kind == "other":
        ctx.skip(label, "not a Discourse topic, post, topic list or category list (ignored)")


def _name_category_from_file(col: Collector, topics: list[Any], label: str) -> None:
    """A category's slug from exporter file names: ``<host>-<slug>-topics-<date>.json`` (a
    category's topic list) or ``<host>-<slug>-post-<topic id>-<date>.json`` (one of its topics),
    as the ``discourse-cluster`` exporter names them; used only when no categories.json names it.
    """
    ids = {t.get("category_id") for t in topics if isinstance(t, dict)}
    match = _EXPORTER_NAME.match(label.rsplit("/", 1)[-1].rsplit("!", 1)[-1])
    if len(ids) != 1 or match is None:
        return
    (cid,) = ids
    if isinstance(cid, int):
        col.category_names.setdefault(cid, match["slug"])
