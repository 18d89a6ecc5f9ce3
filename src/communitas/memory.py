"""The memory cap: how much memory one communitas process may use, and DuckDB's share of it.

``$COMMUNITAS_MEMORY`` (default ``1GB``) is the peak resident memory a profile, network or report
run aims to stay under, whatever the community's size. DuckDB gets :data:`DUCKDB_SHARE` of it as
its ``memory_limit`` on every connection communitas opens (the store's and the scratch ones) and
spills what does not fit to its temporary directory on disk (``<store>.tmp`` beside the store, or
``$COMMUNITAS_TEMP``); the rest is left to the interpreter, its libraries and what comes back to
Python (one window's graph at a time in the network, small result frames in the profile).
Sizes are read as DuckDB reads them: ``KB``, ``MB``, ``GB`` and ``TB`` are powers of 1000, ``KiB``,
``MiB``, ``GiB`` and ``TiB`` powers of 1024, a bare number is bytes. The ingest keeps its own,
lower cap (``$COMMUNITAS_INGEST_MEMORY``, :meth:`communitas.store.Workspace.ingest`) while it loads.

>>> parse_size("1GB"), parse_size("512MiB"), parse_size("2000")
(1000000000, 536870912, 2000)
"""

from __future__ import annotations

import os
import re
import tempfile
from typing import Any

from communitas.errors import UsageError

MEMORY_ENV = "COMMUNITAS_MEMORY"
TEMP_ENV = "COMMUNITAS_TEMP"
DEFAULT_MEMORY = "1GB"
DUCKDB_SHARE = 0.3
"""DuckDB's share of the cap. An analysis process holds about 250 MB before reading anything
(the interpreter with DuckDB, Ibis, pandas and igraph loaded), DuckDB keeps what it was given
(its buffer pool), and what comes back to Python needs the rest."""
MIN_DUCKDB_BYTES = 64 * 10**6
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str) -> int:
    """Bytes in a size such as ``1GB`` or ``768MiB``; a usage error (one line) when unreadable."""
    m = _SIZE.match(text)
    unit = m.group(2).upper() if m else ""
    if m is None or unit not in _UNITS:
        raise UsageError(f"${MEMORY_ENV}={text!r}: give a size such as 1GB, 768MB or 2GiB.")
    return int(float(m.group(1)) * _UNITS[unit])


def memory_cap() -> int:
    """The cap in bytes: ``$COMMUNITAS_MEMORY``, else 1 GB."""
    return parse_size(os.environ.get(MEMORY_ENV) or DEFAULT_MEMORY)


def duckdb_limit(share: float = DUCKDB_SHARE) -> str:
    """DuckDB's ``memory_limit`` for ``share`` of the cap (at least 64 MB), as a DuckDB size."""
    return f"{max(MIN_DUCKDB_BYTES, int(memory_cap() * share)) // 1024}KiB"


def bound(con: Any, share: float = DUCKDB_SHARE) -> None:
    """Give the DuckDB connection ``con`` its share of the cap (and ``$COMMUNITAS_TEMP`` as the
    folder it spills to, when set; an in-memory connection spills to the system's temporary
    folder, never to the working folder)."""
    con.execute(f"SET memory_limit = '{duckdb_limit(share)}'")
    temp = os.environ.get(TEMP_ENV)
    if not temp and con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0] in ("", ".tmp"):
        # an in-memory connection would spill to .tmp in the working folder (a user's repository,
        # say): the system's temporary folder instead
        temp = os.path.join(tempfile.gettempdir(), f"communitas-spill-{os.getpid()}")
    if temp:
        con.execute(f"SET temp_directory = '{temp.replace(chr(39), chr(39) * 2)}'")


__all__ = ["DEFAULT_MEMORY", "DUCKDB_SHARE", "MEMORY_ENV", "TEMP_ENV", "bound", "duckdb_limit",
           "memory_cap", "parse_size"]
