"""Zulip: the zulip-archive JSON store, the organisation export, or saved ``GET /messages`` JSON.

Accepted inputs (a folder, a ``.zip`` of one, read in place, or a single ``.json``/``.json.gz``):

* **zulip-archive** (``docs/sources/zulip.md``): ``stream_index.json`` and one folder per stream
  (``<stream id>-<slug>/``) of per-topic files ``<encoded topic>.json`` (``.gz`` allowed), each
  an array of ``{id, sender_full_name, timestamp, content}``; also found under ``zulip_json/``;
* **organisation export** (``manage.py export`` or the web UI's export, extracted):
  ``realm.json`` and ``messages-000001.json``, ``messages-000002.json``, ...;
* **API** responses of ``GET /messages`` saved as files (``{"messages": [...]}`` or a bare list).

Place = stream (kind channel), thread = (stream, topic), post = message; replies are inferred
within each topic (rules in :mod:`communitas.sources.zulip_rows`). System bots' notices are
events; a bridge bot's relayed lines go to the relayed speaker. Direct messages are left out.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import ijson

from communitas.errors import BrokenInput, InputError, InputNotFound, UnknownFormat
from communitas.model import SourceInfo
from communitas.sources.archives import SafeZip
from communitas.sources.base import Batch, ReadContext, fingerprint_files, recognises
from communitas.sources.export_file import ExportFile
from communitas.sources.zulip_export import (
    broken,
    read_api_file,
    read_export,
    realm_name,
)
from communitas.sources.zulip_rows import Message, ZulipRows

JSON_SUFFIXES = (".json", ".json.gz")
PROGRESS_FILES = 20
INDEX_NAMES = ("stream_index.json", "stream_index.json.gz")
_STREAM_DIR = re.compile(r"^(\d+)-(.*)$")
_MESSAGES_FILE = re.compile(r"^messages-\d+\.json(?:\.gz)?$")


@dataclass
class _Layout:
    shape: str  # "archive", "export" or "api"
    name: str
    files: list[tuple[str, ExportFile]] = field(default_factory=list)  # (relative name, file)
    inputs: list[Path] = field(default_factory=list)
    archive: SafeZip | None = None

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()


def decode_topic(file_name: str) -> str:
    """The topic of a zulip-archive file name (``quote(topic, safe='')``, then ``.`` written
    ``%2E`` and every ``%`` written ``.``): the encoding is reversible.

    >>> decode_topic(".28no.20topic.29.json.gz"), decode_topic("v1.2E0.20plans.json")
    ('(no topic)', 'v1.0 plans')
    """
    for suffix in JSON_SUFFIXES[::-1]:
        if file_name.endswith(suffix):
            file_name = file_name[: -len(suffix)]
            break
    return unquote(file_name.replace(".", "%"))


def _stem(name: str) -> str:
    for ext in (".json.gz", ".json", ".zip"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name


def _entries(path: Path) -> tuple[list[tuple[str, ExportFile]], SafeZip | None]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        return [(p.relative_to(path).as_posix(), ExportFile(p)) for p in files], None
    if path.name.lower().endswith(".zip"):
        archive = SafeZip(path)
        return [(n, ExportFile(path, n, archive)) for n in sorted(archive.names())], archive
    return [(path.name, ExportFile(path))], None


def _shape(path: Path, files: list[tuple[str, ExportFile]]) -> tuple[str, list[tuple[str, ExportFile]]]:
    """Which export ``files`` are, and the files to read (in reading order)."""
    names = {rel.rsplit("/", 1)[-1].lower() for rel, _ in files}
    index = [(rel, f) for rel, f in files if rel.rsplit("/", 1)[-1].lower() in INDEX_NAMES]
    if index:
        root = index[0][0].rsplit("/", 1)[0] + "/" if "/" in index[0][0] else ""
        topics = [(rel, f) for rel, f in files if rel.startswith(root) and rel.lower().endswith(JSON_SUFFIXES)
                  and rel[len(root):].count("/") == 1 and _STREAM_DIR.match(rel[len(root):].split("/")[0])]
        return "archive", index[:1] + topics
    if "realm.json" in names:
        msgs = [(rel, f) for rel, f in files if _MESSAGES_FILE.match(rel.rsplit("/", 1)[-1].lower())]
        realm = [(rel, f) for rel, f in files if rel.rsplit("/", 1)[-1].lower() == "realm.json"]
        return "export", realm[:1] + sorted(msgs, key=lambda x: x[0].rsplit("/", 1)[-1])
    api = [(rel, f) for rel, f in files if rel.lower().endswith(JSON_SUFFIXES) and _is_api(f)]
    if api:
        return "api", api
    raise UnknownFormat(
        f"{path}: not a Zulip export (no stream_index.json of zulip-archive, no realm.json of an "
        "organisation export, no saved GET /messages JSON). Give the folder, its .zip, or a file."
    )


def _is_api(f: ExportFile) -> bool:
    head = f.head(16_384)
    return b'"sender_full_name"' in head and (b'"subject"' in head or b'"display_recipient"' in head)


def _locate(path: Path) -> _Layout:
    if not path.exists():
        raise InputNotFound(f"{path}: no such file or folder. Check the path and try again.")
    if path.is_file() and path.name.lower().endswith((".tar.gz", ".tgz")):
        raise UnknownFormat(f"{path}: a Zulip organisation export is read extracted (its messages "
                            "files must follow realm.json in order): run tar xzf on it and ingest "
                            "the folder.")
    if path.is_file() and not path.name.lower().endswith((*JSON_SUFFIXES, ".zip")):
        raise UnknownFormat(f"{path}: not a Zulip export (.json, .json.gz, .zip or a folder).")
    files, archive = _entries(path)
    try:
        shape, chosen = _shape(path, files)
    except BaseException:
        if archive is not None:
            archive.close()
        raise
    name = _stem(path.name) if path.is_file() else (
        path.parent.name if path.name == "zulip_json" else path.name)
    inputs = [path] if archive is not None or path.is_file() else [f.path for _, f in chosen]
    return _Layout(shape, name, chosen, inputs, archive)


class ZulipSource:
    """Reads Zulip exports. See the module docstring."""

    platform = "zulip"
    order = 60  # auto-detection order (sources.registry)

    def detect(self, path: Path) -> bool:
        def probe() -> bool:
            _locate(path).close()
            return True

        return recognises(probe)

    def describe(self, path: Path, name: str | None = None) -> SourceInfo:
        layout = _locate(path)
        try:
            derived = realm_name(layout.files[0][1]) if layout.shape == "export" else None
        finally:
            layout.close()
        return SourceInfo(self.platform, name or derived or layout.name, str(path.resolve()),
                          fingerprint_files(layout.inputs))

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        layout = _locate(path)
        rows = ZulipRows(ctx)
        try:
            if layout.shape == "archive":
                yield from _read_archive(layout, rows, ctx)
            elif layout.shape == "export":
                yield from read_export([f for _, f in layout.files], rows, ctx)
            else:
                for _, f in layout.files:
                    yield from read_api_file(f, rows, ctx)
        finally:
            layout.close()
        _warn_counts(rows, ctx)
        yield from rows.finish()


def _warn_counts(rows: ZulipRows, ctx: ReadContext) -> None:
    if rows.counts["relayed"]:
        ctx.warn(f"{rows.counts['relayed']} messages were relayed by a bridge bot; each is the "
                 "relayed speaker's (a member of its own, known by name only).")


# -- zulip-archive ---------------------------------------------------------------------------

def _read_index(f: ExportFile) -> dict[str, tuple[str, dict[str, int]]]:
    """stream_index.json -> {stream id: (stream name, {topic: size})}."""
    try:
        data, _ = f.open()
        with data:
            streams = next(ijson.items(data, "streams", use_float=True), None)
    except (ijson.JSONError, ValueError, OSError, EOFError, zlib.error, InputError) as e:
        raise broken(f, e, "zulip-archive's stream_index.json") from None
    if not isinstance(streams, dict):
        raise BrokenInput(f"{f.where}: has no \"streams\" object; not a zulip-archive stream index. "
                          "Run zulip-archive again and ingest its zulip_json folder.")
    out = {}
    for name, s in streams.items():
        if isinstance(s, dict) and s.get("id") is not None:
            raw = s.get("topic_data")
            topics: dict[str, Any] = raw if isinstance(raw, dict) else {}
            out[str(s["id"])] = (str(name), {str(t): int((v or {}).get("size") or 0)
                                             for t, v in topics.items() if isinstance(v, dict)})
    return out


def _read_archive(layout: _Layout, rows: ZulipRows, ctx: ReadContext) -> Iterator[Batch]:
    index = _read_index(layout.files[0][1])
    found: set[tuple[str, str]] = set()
    label = layout.files[0][0].rsplit("/", 2)[-2] if "/" in layout.files[0][0] else layout.name
    total = sum(f.size() for _, f in layout.files[1:])
    done = 0
    for n, (rel, f) in enumerate(layout.files[1:], 1):
        folder, file_name = rel.split("/")[-2:]
        match = _STREAM_DIR.match(folder)
        assert match is not None  # chosen by _shape
        stream_id = match.group(1)
        stream_name = index.get(stream_id, (match.group(2), {}))[0]
        if stream_id not in index:
            ctx.warn(f"{folder}: stream {stream_id} is not in stream_index.json; named after its folder.")
        rows.stream(stream_id, stream_name)
        topic = decode_topic(file_name)
        found.add((stream_id, topic))
        yield from _read_topic(f, stream_id, topic, rows, ctx)
        done += f.size()
        if n % PROGRESS_FILES == 0 or n == len(layout.files) - 1:  # one bar for the whole export
            ctx.report_progress(label, done, total, rows.out.counts["posts"])
    missing = [(s, t, n) for s, (_, topics) in index.items() for t, n in topics.items()
               if (s, t) not in found]
    if missing:
        ctx.warn(f"{len(missing)} topics listed in stream_index.json have no file here "
                 f"({sum(n for *_, n in missing):,} messages not in this export).")


def _read_topic(f: ExportFile, stream_id: str, topic: str, rows: ZulipRows,
                ctx: ReadContext) -> Iterator[Batch]:
    data, _ = f.open()
    try:
        msgs = list(ijson.items(data, "item", use_float=True))
    except (ijson.JSONError, ValueError, OSError, EOFError, zlib.error) as e:
        raise broken(f, e, "zulip-archive topic file") from None
    finally:
        data.close()
    msgs = [m for m in msgs if _archive_ok(m, f.label, ctx)]
    for m in sorted(msgs, key=lambda m: int(m["id"])):
        text = str(m.get("content") or "")
        author = rows.member_by_name(m["sender_full_name"])
        rows.message(Message(int(m["id"]), stream_id, topic, float(m["timestamp"]), author, text,
                             rows.mentions_by_name(text)), f.label)
    yield from rows.full()


def _archive_ok(m: object, label: str, ctx: ReadContext) -> bool:
    if not isinstance(m, dict) or not isinstance(m.get("id"), int) or isinstance(m.get("id"), bool):
        ctx.skip(label, "message without an id")
        return False
    if not isinstance(m.get("timestamp"), int | float) or isinstance(m.get("timestamp"), bool):
        ctx.skip(label, "message without a timestamp")
        return False
    if not isinstance(m.get("sender_full_name"), str) or not m["sender_full_name"].strip():
        ctx.skip(label, "message without a sender name")
        return False
    return True
