"""The dashboard's only writable state: done/dismissed marks on brief items.

Kept in a side file next to the store (``<store>.brief.json``), never in the store itself, so the
dashboard opens the store read-only and an ingest can run while it is up. Writes are atomic
(temporary file + rename).
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


def state_path(store: Path) -> Path:
    return store.with_name(store.name + ".brief.json")


def load(store: Path) -> dict[str, dict[str, Any]]:
    """``{item_id: {"state": "done"|"dismissed", "at": iso}}``; empty when no file yet."""
    path = state_path(store)
    if not path.exists():
        return {}
    data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def mark(store: Path, item_id: str, state: str) -> dict[str, Any]:
    """Record ``state`` (done, dismissed, or open to clear) for ``item_id``."""
    if state not in (*STATES, "open"):
        raise UsageError(f"brief state {state!r}: use done, dismissed or open.")
    with _LOCK:
        data = load(store)
        if state == "open":
            data.pop(item_id, None)
        else:
            data[item_id] = {"state": state, "at": datetime.now(UTC).isoformat()}
        path = state_path(store)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    return data.get(item_id, {"state": "open"})
