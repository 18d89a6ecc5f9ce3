"""What the JSON chat exports (Telegram, Mattermost, Rocket.Chat) share: finding their files, peeking
at them, and streaming their objects.

An input is a folder (its top-level files), a ``.zip`` (read in place with :class:`SafeZip`:
nothing extracted, a member name outside the archive or a zip bomb refused), or one file; files
may be gzipped. :func:`stream_objects` builds only the JSON objects found at the prefixes asked
for (a message at a time), so a multi-gigabyte export never sits in memory; :func:`json_lines`
does the same for JSON Lines. Every decoding problem (truncated file, bad JSON, bytes that are
not UTF-8) becomes one :class:`BrokenInput` line naming the file.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ijson
from ijson.common import ObjectBuilder

from communitas.errors import BrokenInput, InputError
from communitas.sources.archives import SafeZip
from communitas.sources.export_file import ExportFile

JSON_EXTENSIONS = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
DECODE_ERRORS = (ijson.JSONError, ValueError, OSError, EOFError, zlib.error, UnicodeDecodeError)


def natural(name: str) -> list[Any]:
    """Sort key putting ``page_2`` before ``page_10``."""
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", name)]


def export_entries(path: Path) -> tuple[list[ExportFile], SafeZip | None]:
    """The JSON files of ``path``: a folder's top-level files, a zip's members, or the file itself.

    The zip (its names and sizes checked on opening) is returned open; the caller closes it.
    """
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if p.is_file()
                        and p.name.lower().endswith(JSON_EXTENSIONS)), key=lambda p: natural(p.name))
        return [ExportFile(p) for p in files], None
    if path.name.lower().endswith(".zip"):
        archive = SafeZip(path)
        names = sorted((n for n in archive.names() if n.lower().endswith(JSON_EXTENSIONS)
                        and n.count("/") <= 1), key=natural)
        return [ExportFile(path, n, archive) for n in names], archive
    return [ExportFile(path)], None


def stem(name: str) -> str:
    """A file or folder name without its export extensions."""
    name = name.rsplit("/", 1)[-1]
    for ext in (*JSON_EXTENSIONS, ".zip"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name


def broken(entry: ExportFile, e: BaseException, what: str, fix: str) -> BrokenInput:
    """The one-line error for a file that cannot be decoded."""
    reason = str(e).splitlines()[0] if str(e) else type(e).__name__
    if isinstance(e, UnicodeDecodeError) or "utf" in reason.lower():
        reason += "; the file must be UTF-8 JSON"
    return BrokenInput(f"{entry.where}: not a readable {what} ({reason}). {fix}")


def stream_objects(entry: ExportFile, objects: set[str], scalars: set[str], what: str, fix: str,
                   position: list[Callable[[], int]] | None = None) -> Iterator[tuple[str, Any]]:
    """``(prefix, value)`` for every object found at a prefix in ``objects`` (built whole) and
    every scalar at a prefix in ``scalars``, in file order; also ``(prefix, None)`` at the start
    and end of every map or array whose prefix is in ``scalars`` (a boundary marker). When
    ``position`` is given, the function telling the bytes of input read is appended to it."""
    data, where = entry.open()
    if position is not None:
        position.append(where)
    try:
        events = ijson.parse(data, use_float=True)
        for prefix, event, value in events:
            if prefix in objects and event != "map_key":
                yield prefix, _build(events, event, value) if event in ("start_map", "start_array") \
                    else value
            elif prefix in scalars and event != "map_key":
                yield prefix, None if event in ("start_map", "start_array", "end_map", "end_array") \
                    else value
    except DECODE_ERRORS as e:
        raise broken(entry, e, what, fix) from None
    except InputError:
        raise
    finally:
        data.close()


def stream_items(entry: ExportFile, prefix: str, what: str, fix: str,
                 position: list[Callable[[], int]] | None = None) -> Iterator[Any]:
    """Every value at ``prefix`` (``ijson.items``, built in C: the fast path when one prefix is
    enough)."""
    data, where = entry.open()
    if position is not None:
        position.append(where)
    try:
        yield from ijson.items(data, prefix, use_float=True)
    except DECODE_ERRORS as e:
        raise broken(entry, e, what, fix) from None
    finally:
        data.close()


def head_fields(entry: ExportFile, keys: set[str], what: str, fix: str) -> dict[str, Any]:
    """The top-level scalar ``keys`` found before the first other top-level key (a cheap peek)."""
    found: dict[str, Any] = {}
    data, _ = entry.open()
    try:
        for prefix, event, value in ijson.parse(data, use_float=True):
            if prefix == "" and event == "map_key" and value not in keys:
                break
            if prefix in keys and event not in ("start_map", "start_array", "map_key"):
                found[prefix] = value
    except DECODE_ERRORS as e:
        raise broken(entry, e, what, fix) from None
    finally:
        data.close()
    return found


def _build(events: Iterator[tuple[str, str, Any]], event: str, value: Any) -> Any:
    builder = ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for _, ev, val in events:
        builder.event(ev, val)
        if ev in ("start_map", "start_array"):
            depth += 1
        elif ev in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                break
    return builder.value


def json_lines(entry: ExportFile, what: str, fix: str, skip: Callable[[str], None],
               position: list[Callable[[], int]] | None = None) -> Iterator[Any]:
    """Every object of a JSON Lines file; a line that is not JSON is ``skip(reason)``-ed, a file
    that cannot be decoded at all (gzip damage) is BrokenInput. Blank lines are ignored."""
    data, where = entry.open()
    if position is not None:
        position.append(where)
    try:
        for raw in data:
            if not raw.strip():
                continue
            try:
                yield json.loads(raw)
            except ValueError:  # includes bad UTF-8 and a line cut short by truncation
                skip("line is not valid JSON (UTF-8)")
    except (OSError, EOFError, zlib.error) as e:
        raise broken(entry, e, what, fix) from None
    finally:
        data.close()


def load_whole(entry: ExportFile, what: str, fix: str) -> Any:
    """A small JSON file (an API response page) decoded whole."""
    data, _ = entry.open()
    try:
        return json.load(data)
    except (ValueError, OSError, EOFError, zlib.error) as e:
        raise broken(entry, e, what, fix) from None
    finally:
        data.close()
