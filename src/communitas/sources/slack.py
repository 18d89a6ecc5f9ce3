"""Slack workspace exports ("standard export"): a folder or the ``.zip`` Slack hands out.

Which part becomes what (see ``docs/sources/slack.md``):

======================== =====================================================================
users.json               ``members`` (e-mail only as a salted hash; ``is_bot``; admins/owners
(org_users.json: Grid)   as staff; ``USLACKBOT`` as the system account). Optional: without it,
                         members are known by id (names from messages' ``user_profile``)
channels.json            ``places`` kind channel (purpose as description); optional: without
                         it, each channel folder is a channel named after the folder
groups.json, dms.json,   private channels and direct messages: their folders are not read
mpims.json               (their messages are counted as skipped)
<channel>/<day>.json     messages: conversation → ``posts`` (kind message); joins/leaves →
                         ``events`` membership; topic, purpose, rename, archive, pins, bots
                         added, any other subtype → ``events`` system
threads                  ``thread_ts`` replies join their parent's thread; top-level messages
                         are grouped into conversations (new one after 30 min of silence)
reactions                ``reactions``, one per reacting member
integration_logs.json    ``events`` system (integration added / removed)
======================== =====================================================================
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from communitas.errors import BrokenInput, InputNotFound, UnknownFormat
from communitas.model import SourceInfo
from communitas.sources.archives import SafeZip
from communitas.sources.base import Batch, ReadContext, fingerprint_files, recognises
from communitas.sources.chat_rows import ChatRows, iso_from_epoch
from communitas.sources.slack_messages import ChannelState, SlackMessages

USER_FILES = ("users.json", "org_users.json")  # org_users.json: an Enterprise Grid export
NOT_READ = {"groups.json": "private channel", "dms.json": "direct message",
            "mpims.json": "group direct message"}
INDEX_FILES = ("channels.json", *NOT_READ)
GENERIC_NAMES = {"export", "slack-export", "slack_export"}
_DAY_FILE = re.compile(r"[^/]+/\d{4}-\d{2}-\d{2}\.json")


@dataclass
class _Layout:
    """Where an export's files are: a folder or a zip, and the prefix of its root inside it."""

    path: Path
    zip_path: Path | None
    root: str  # "" or "folder/" (zip: member prefix; folder: sub-folder)
    name: str

    def names(self) -> list[str]:
        """Export-relative file names (``general/2015-06-05.json``)."""
        if self.zip_path is not None:
            with SafeZip(self.zip_path) as z:
                return [n[len(self.root):] for n in z.names() if n.startswith(self.root)]
        base = self.path / self.root if self.root else self.path
        return [p.relative_to(base).as_posix() for p in sorted(base.rglob("*.json")) if p.is_file()]

    def load(self, name: str, z: SafeZip | None) -> Any:
        """Decoded JSON of one export file; BrokenInput when it is not JSON."""
        label = f"{self.zip_path}!{self.root}{name}" if self.zip_path else str(self._file(name))
        try:
            if z is not None:
                with z.open(self.root + name) as f:
                    return json.load(f)
            with self._file(name).open("rb") as g:
                return json.load(g)
        except (ValueError, UnicodeDecodeError) as e:
            raise BrokenInput(f"{label}: not valid JSON ({e}). Export the workspace again, "
                              "or fix this file, and ingest again.") from None

    def size(self, name: str, z: SafeZip | None) -> int:
        """Bytes of one export file (decompressed size for a zip member)."""
        return z.sizes.get(self.root + name, 0) if z is not None else self._file(name).stat().st_size

    def _file(self, name: str) -> Path:
        return (self.path / self.root / name) if self.root else self.path / name

    def inputs(self) -> list[Path]:
        if self.zip_path is not None:
            return [self.zip_path]
        base = self.path / self.root if self.root else self.path
        return sorted(base.rglob("*.json"))


def _is_export(has: Callable[[str], bool], has_day: Callable[[], bool]) -> bool:
    """Slack's layout: channels.json with a user list, or any of Slack's index files
    (channels, groups, dms, mpims, users, org_users ``.json``) beside channel folders of
    ``YYYY-MM-DD.json`` day files. Another platform's ``channels.json`` alone is not enough."""
    if has("channels.json") and any(has(f) for f in USER_FILES):
        return True
    return any(has(f) for f in (*INDEX_FILES, *USER_FILES)) and has_day()


def _folder_has_day(base: Path) -> bool:
    return any(_DAY_FILE.fullmatch(f"{sub.name}/{f.name}") for sub in base.iterdir() if sub.is_dir()
               for f in sub.iterdir())


def _any_day_file(names: set[str]) -> bool:
    return any(_DAY_FILE.fullmatch(n) for n in names)


def _zip_root(path: Path, strict: bool = False) -> str | None:
    """The member prefix (depth 0 or 1) under which a zip holds a Slack export; None if none.

    A zip that cannot be read is None, or BrokenInput when ``strict``.
    """
    try:
        with SafeZip(path) as z:
            names = set(z.names())
    except BrokenInput:
        if strict:
            raise
        return None
    roots = {n[: n.rfind("/") + 1] for n in names if n.rsplit("/", 1)[-1] in (*INDEX_FILES, *USER_FILES)}
    for root in sorted(r for r in roots if r.count("/") <= 1):
        inside = {n[len(root):] for n in names if n.startswith(root)}
        if _is_export(inside.__contains__, partial(_any_day_file, inside)):
            return root
    return None


def _is_export_folder(p: Path) -> bool:
    return p.is_dir() and _is_export(lambda f: (p / f).is_file(), lambda: _folder_has_day(p))


def _locate(path: Path) -> _Layout:
    if not path.exists():
        raise InputNotFound(f"{path}: no such file or folder. Check the path and try again.")
    stem = path.name[:-4] if path.name.lower().endswith(".zip") else path.name
    name = path.parent.name if stem.lower() in GENERIC_NAMES and path.parent.name else stem
    if path.is_file() and path.name.lower().endswith(".zip"):
        root = _zip_root(path, strict=True)
        if root is not None:
            return _Layout(path, path, root, name)
    elif path.is_dir():
        if _is_export_folder(path):
            return _Layout(path, None, "", name)
        subs = [p for p in path.iterdir() if _is_export_folder(p)]
        zips = [p for p in path.iterdir() if p.name.lower().endswith(".zip") and _zip_root(p) is not None]
        if len(subs) + len(zips) == 1:
            return _Layout(path, None, subs[0].name, name) if subs else _Layout(
                path, zips[0], _zip_root(zips[0]) or "", name)
    raise UnknownFormat(
        f"{path}: not a Slack export (neither channels.json with users.json, nor Slack's .json "
        "lists beside channel folders of YYYY-MM-DD.json day files). Give the folder or the .zip "
        "that Slack's workspace export produced."
    )


class SlackSource:
    """Reads a Slack workspace export. See the module docstring for the mapping."""

    platform = "slack"
    order = 40  # auto-detection order (sources.registry)

    def detect(self, path: Path) -> bool:
        return recognises(lambda: _locate(path) is not None)

    def describe(self, path: Path, name: str | None = None) -> SourceInfo:
        layout = _locate(path)
        return SourceInfo(self.platform, name or layout.name, str(path.resolve()),
                          fingerprint_files(layout.inputs()))

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        layout = _locate(path)
        names = layout.names()
        z = SafeZip(layout.zip_path) if layout.zip_path is not None else None
        try:
            yield from _read(layout, names, z, ctx)
        finally:
            if z is not None:
                z.close()


def _read(layout: _Layout, names: list[str], z: SafeZip | None, ctx: ReadContext) -> Iterator[Batch]:
    out = ChatRows(ctx)
    mapper = SlackMessages(ctx, out)  # one for the workspace: a file comment may be elsewhere
    mapper.listed = _user_list(layout, names, z, out, ctx)
    private = _private_folders(layout, names, z)
    if "channels.json" in names:
        channels = _channels(layout.load("channels.json", z), out, ctx)
    else:
        channels = {}
        ctx.warn(f"{layout.path}: no channels.json: each channel folder is read as a public "
                 "channel named after the folder.")
    days: dict[str, list[str]] = {}
    for n in names:
        if _DAY_FILE.fullmatch(n):
            days.setdefault(n.split("/", 1)[0], []).append(n)
    others = [n for n in names if "/" in n and not _DAY_FILE.fullmatch(n)]
    if others:
        ctx.warn(f"{layout.path}: {len(others)} .json file(s) in folders are not day files "
                 f"(YYYY-MM-DD.json) and are not read, e.g. {others[0]}.")
    unread: dict[str, int] = {}  # index file -> private conversations not read
    for folder in sorted(days):
        if folder not in channels and folder in private:
            _skip_private(layout, z, sorted(days[folder]), private[folder], ctx)
            unread[private[folder]] = unread.get(private[folder], 0) + 1
            continue
        if folder not in channels:
            if "channels.json" in names:
                ctx.warn(f"{layout.path}: folder {folder!r} is not in channels.json; read as a channel.")
            channels[folder] = _place(out, folder, {"name": folder})
        yield from _channel(layout, z, sorted(days[folder]), channels[folder], mapper)
    for index, count in sorted(unread.items()):
        ctx.warn(f"{layout.path}: {count} {NOT_READ[index]} folder(s) listed in {index} not read: only "
                 "public channels are (their messages are counted as skipped).")
    for subtype in sorted(mapper.unknown_subtypes):
        ctx.warn(f"message subtype {subtype!r} is not known; kept as a system event.")
    if "integration_logs.json" in names:
        _integrations(layout.load("integration_logs.json", z), out, ctx)
    mapper.settle_bots()
    out.member_rows()
    yield from out.drain()


def _user_list(layout: _Layout, names: list[str], z: SafeZip | None, out: ChatRows,
               ctx: ReadContext) -> dict[str, bool]:
    """Members from users.json (org_users.json in a Grid export); a warning when there is none."""
    users_file = next((f for f in USER_FILES if f in names), None)
    if users_file is not None:
        return _users(layout.load(users_file, z), out, ctx, users_file)
    ctx.warn(f"{layout.path}: no users.json: members are known by their Slack id only (names "
             "from the messages' user_profile where given; no e-mail hashes, no admins, and bot "
             "accounts only from the messages).")
    return {}


def _private_folders(layout: _Layout, names: list[str], z: SafeZip | None) -> dict[str, str]:
    """{folder: index file} for the conversations groups.json, dms.json and mpims.json list (a
    folder is named after the conversation's name, or its id for a direct message)."""
    found: dict[str, str] = {}
    for file in NOT_READ:
        raw = layout.load(file, z) if file in names else []
        for c in raw if isinstance(raw, list) else []:
            if isinstance(c, dict):
                found.update({str(c[k]): file for k in ("name", "id") if c.get(k)})
    return found


def _skip_private(layout: _Layout, z: SafeZip | None, files: list[str], index: str,
                  ctx: ReadContext) -> None:
    """Private channels and direct messages are not read: their messages are counted as skipped."""
    n = sum(len(day) for day in (layout.load(f, z) for f in files) if isinstance(day, list))
    ctx.skip(index, f"message in a {NOT_READ[index]} (only public channels are read)", n)


def _channel(layout: _Layout, z: SafeZip | None, files: list[str], chan: ChannelState,
             mapper: SlackMessages) -> Iterator[Batch]:
    """Every day file of one channel, in date order (progress in bytes of JSON read)."""
    sizes = [layout.size(name, z) for name in files]
    label, done, n = files[0].split("/", 1)[0] if files else chan.channel_id, 0, 0
    for name, size in zip(files, sizes, strict=True):
        day = layout.load(name, z)
        if not isinstance(day, list):
            raise BrokenInput(f"{layout.path}: {name} is not a list of messages. Export the "
                              "workspace again, or remove this file, and ingest again.")
        for msg in sorted(day, key=_ts_key):
            mapper.message(msg, chan, name)
        done, n = done + size, n + len(day)
        mapper.ctx.report_progress(label, done, sum(sizes), n)
        yield from mapper.out.full()


def _ts_key(msg: Any) -> float:
    try:
        return float(msg.get("ts"))  # type: ignore[union-attr]
    except (AttributeError, TypeError, ValueError):
        return 0.0


def _users(users: Any, out: ChatRows, ctx: ReadContext, file: str) -> dict[str, bool]:
    """The members of the user list; returns {user id: is_bot} for every user it lists."""
    if not isinstance(users, list):
        raise BrokenInput(f"{file} is not a list of users. Export the workspace again.")
    listed = {}
    for u in users:
        if not isinstance(u, dict) or not isinstance(u.get("id"), str):
            ctx.skip(file, "user without an id")
            continue
        profile = u.get("profile") if isinstance(u.get("profile"), dict) else {}
        email = profile.get("email")  # type: ignore[union-attr]
        name = u.get("real_name") or profile.get("real_name") or u.get("name")  # type: ignore[union-attr]
        listed[u["id"]] = bool(u.get("is_bot"))
        out.member(out.id("u", u["id"]), display_name=str(name) if name else None,
                   is_bot=listed[u["id"]],
                   is_staff=bool(u.get("is_admin") or u.get("is_owner") or u.get("is_primary_owner")),
                   email_hash=ctx.hash_identifier(email) if isinstance(email, str) and email else None)
    return listed


def _place(out: ChatRows, native: str, c: dict[str, Any]) -> ChannelState:
    place_id = out.id("c", native)
    purpose = c.get("purpose") if isinstance(c.get("purpose"), dict) else {}
    created = c.get("created")
    try:
        created_at = iso_from_epoch(float(created)) if created else None
    except (TypeError, ValueError):
        created_at = None
    out.place(place_id, native, "channel", str(c.get("name") or native), created_at=created_at,
              description=(purpose or {}).get("value") or None)
    return ChannelState(native, place_id)


def _channels(raw: Any, out: ChatRows, ctx: ReadContext) -> dict[str, ChannelState]:
    """channels.json -> {folder name: channel state}."""
    if not isinstance(raw, list):
        raise BrokenInput("channels.json is not a list of channels. Export the workspace again.")
    found = {}
    for c in raw:
        if not isinstance(c, dict) or not c.get("id") or not c.get("name"):
            ctx.skip("channels.json", "channel without an id or name")
            continue
        found[str(c["name"])] = _place(out, str(c["id"]), c)
    return found


def _integrations(raw: Any, out: ChatRows, ctx: ReadContext) -> None:
    for n, entry in enumerate(raw if isinstance(raw, list) else [], 1):
        if not isinstance(entry, dict):
            ctx.skip("integration_logs.json", "entry is not a JSON object")
            continue
        try:
            at = iso_from_epoch(float(entry.get("date") or ""))
        except ValueError:
            at = None
        what = entry.get("app_type") or entry.get("service_type") or entry.get("reason")
        user = entry.get("user_id")
        out.event(native=f"integration:{n}", category="system",
                  kind=f"integration_{entry.get('change_type') or 'changed'}", at=at,
                  member_id=out.id("u", user) if isinstance(user, str) else None, place_id=None,
                  detail=str(what) if what else None)
