"""communitas: read an online community's traces into one model, and help its animators.

The public API::

    from communitas import Workspace
    with Workspace("communitas.duckdb") as ws:
        report = ws.ingest("path/to/export")     # one transaction
        backend = ws.ibis()                       # what metrics read

``Workspace`` and ``IngestReport`` are imported on first use (the store pulls in DuckDB and every
source), so a worker process that only parses files starts without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from communitas.errors import CommunitasError

if TYPE_CHECKING:
    from communitas.store import IngestReport, Workspace

__all__ = ["CommunitasError", "IngestReport", "Workspace"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in ("IngestReport", "Workspace"):
        from communitas import store

        return getattr(store, name)
    raise AttributeError(f"module 'communitas' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
