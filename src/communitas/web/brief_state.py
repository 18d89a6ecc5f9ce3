"""The dashboard's only writable state: done/dismissed marks on brief items.

Kept in a side file next to the store (``<store>.brief.json``), never in the store itself, so the
dashboard opens the store read-only and an ingest can run while it is up. Writes are atomic
(temporary file + rename).

A mark remembers the item's **situation** (:func:`situation`: the figures that selected it, per
kind) and holds only while that situation lasts: when a figure has changed materially
(:func:`changed`), the item is open again (``docs/brief.md`` *Done and dismissed*).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from communitas.errors import UsageError

STATES = ("done", "dismissed")
_LOCK = threading.Lock()
SITUATION: dict[str, tuple[str, ...]] = {
    "welcome": (),  # waiting unanswered: the item leaves the brief when answered
    "unanswered": ("interest",),
    "checkin": ("last_at",),  # they came back and went quiet again
    "dependency": ("top_share", "staff_share"),
    "introduce": ("shared_places", "across_communities"),
    "spotlight": ("appreciators", "accepted", "newcomers_answered", "path"),
    "nugget": ("participants",),
    "place": ("share", "last_at", "recent_threads", "growth"),
}
"""Per kind, the figures that make an item's situation."""
MATERIAL = 0.25
"""A number has changed materially when it moved by at least a quarter of the larger value."""


def situation(item: dict[str, Any]) -> dict[str, Any]:
    """The figures of ``item`` (a brief item dict) that make its situation."""
    figures = item.get("figures") or {}
    return {k: figures[k] for k in SITUATION.get(str(item.get("kind")), ()) if k in figures}


def changed(before: dict[str, Any] | None, now: dict[str, Any]) -> bool:
    """True when a figure of the situation changed materially: a number by at least
    :data:`MATERIAL` of the larger of the two values, anything else (a date, a list) at all.
    A mark that remembers no situation (made before situations were kept) never reopens."""
    if before is None:
        return False
    for key in set(before) | set(now):
        old, new = before.get(key), now.get(key)
        if _number(old) and _number(new):
            a, b = float(old), float(new)  # type: ignore[arg-type]
            if abs(b - a) >= MATERIAL * max(abs(a), abs(b)) > 0:
                return True
        elif old != new:
            return True
    return False


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def state_of(item: dict[str, Any], marks: dict[str, dict[str, Any]]) -> tuple[str, bool]:
    """The item's state (``open``, ``done``, ``dismissed``) and whether a mark lapsed because its
    situation changed. ``item`` is a brief item, or the dashboard's view of one (with ``situation``)."""
    mark_ = marks.get(str(item.get("id")))
    if mark_ is None:
        return "open", False
    now = item["situation"] if "situation" in item else situation(item)
    if changed(mark_.get("situation"), now):
        return "open", True
    return str(mark_.get("state", "open")), False


def state_path(store: Path) -> Path:
    return store.with_name(store.name + ".brief.json")


def load(store: Path) -> dict[str, dict[str, Any]]:
    """``{item_id: {"state": "done"|"dismissed", "at": iso}}``; empty when no file yet."""
    path = state_path(store)
    if not path.exists():
        return {}
    data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def mark(store: Path, item_id: str, state: str, situation_: dict[str, Any] | None = None) -> dict[str, Any]:
    """Record ``state`` (done, dismissed, or open to clear) for ``item_id``, with the item's
    situation at the time (:func:`situation`)."""
    if state not in (*STATES, "open"):
        raise UsageError(f"brief state {state!r}: use done, dismissed or open.")
    with _LOCK:
        data = load(store)
        if state == "open":
            data.pop(item_id, None)
        else:
            data[item_id] = {"state": state, "at": datetime.now(UTC).isoformat()}
            if situation_ is not None:
                data[item_id]["situation"] = situation_
        path = state_path(store)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    return data.get(item_id, {"state": "open"})
