"""Staging: a source's batches go to Parquet files in a scratch folder, then into the store at once.

Why: reading an export is the slow, fallible part (parsing, decompression, bad files); loading
columnar files into DuckDB is fast and bounded in memory. So an ingest first writes every batch
to ``.<store name>.staging-<pid>/<table>-<n>.parquet`` beside the store, **outside** any
transaction — a broken input aborts here and the store is never touched — and then loads all
files of each table with one ``INSERT ... SELECT`` inside the ingest transaction. The folder is
removed afterwards, whatever happened; a folder left by a killed process is removed by the
next ingest into the same store.

Type handling: a source may hand any column as strings (e.g. times as ISO 8601, numbers as
text). While staging, a text column whose every value has the plain shape of its model type
(``2014-01-21T20:26:05.383``, ``-42``) is parsed with Arrow (``sources.columns.typed``) and
rows missing a required column are dropped and counted; any other text is parsed by the load
with ``TRY_CAST``, which counts what it could not parse (see :func:`select_exprs`). A column a
batch leaves empty is written with the model's type.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from communitas.masking import TEXT_COLUMNS, mask_column
from communitas.model import REQUIRED, TABLES
from communitas.sources.base import Batch, ReadContext
from communitas.sources.columns import ARROW_TYPES, repeated, typed

if TYPE_CHECKING:
    import duckdb

ORIGIN = "_origin"


def _column(values: Sequence[object] | pa.Array, sql_type: str) -> tuple[pa.Array, int]:
    """The column as Arrow, and how many values were dropped for not being what the model holds
    (a list or an object where text belongs: a broken export; the row is kept)."""
    if isinstance(values, pa.Array):
        return values, 0
    if values.count(None) == len(values):
        return pa.nulls(len(values), ARROW_TYPES[sql_type]), 0
    first = values[0]
    try:
        if isinstance(first, str):  # the common case: skip type inference
            if values.count(first) == len(values):  # one value (the source id): stored once
                return repeated(first, len(values)), 0
            return pa.array(values, pa.string()), 0
        arr = pa.array(values)
        if not (pa.types.is_nested(arr.type) or pa.types.is_null(arr.type)):
            return arr, 0
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # mixed types: hand them over as text
        pass
    kept = [None if v is None or isinstance(v, list | dict | tuple | set) else str(v) for v in values]
    dropped = sum(1 for v in values if isinstance(v, list | dict | tuple | set))
    return pa.array(kept, pa.string()), dropped


class Staging:
    """A scratch folder of Parquet files, one per batch. Use as a context manager."""

    def __init__(self, store: Path) -> None:
        for stale in store.parent.glob(f".{store.name}.staging-*"):
            pid = stale.name.rsplit("-", 1)[-1]
            if not (pid.isdigit() and _alive(int(pid))):
                shutil.rmtree(stale, ignore_errors=True)
        self.dir = store.parent / f".{store.name}.staging-{os.getpid()}"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.files: dict[str, list[Path]] = {}

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, batch: Batch, ctx: ReadContext) -> None:
        """Write one batch as a Parquet file (no-op for a batch left empty).

        A batch a worker already staged (``batch.staged``) is only recorded.
        """
        files = self.files.setdefault(batch.table, [])
        if batch.staged is not None:
            files.append(batch.staged)
        elif len(batch):
            path = self.dir / f"{batch.table}-{len(files):06d}.parquet"
            if write_parquet(batch, path, ctx):
                files.append(path)

    def tables(self) -> Iterator[tuple[str, list[Path]]]:
        yield from ((t, f) for t, f in self.files.items() if f)


def write_parquet(batch: Batch, path: Path, ctx: ReadContext) -> bool:
    """Write ``batch`` as one Parquet file in the staging layout (model columns + origin).

    Text in plain shape is typed and rows missing a required column are dropped and counted in
    ``ctx`` (module docstring). False when no row is left (nothing written).
    """
    schema = TABLES[batch.table]
    unknown = set(batch.columns) - set(schema)
    if unknown:
        raise ValueError(f"{batch.table}: columns not in the model: {sorted(unknown)}")
    arrays = {}
    for c, v in batch.columns.items():
        column, dropped = _column(v, schema[c])
        if dropped:
            ctx.skip(batch.origin or batch.table, f"malformed {c} (row kept, value dropped)", dropped)
        arrays[c] = typed(column, schema[c])
    for col in TEXT_COLUMNS.get(batch.table, ()):  # no address is stored in clear (masking.py)
        if col in arrays:
            # posts.length stays the length of the text as written, with or without --no-text
            arrays[col] = mask_column(arrays[col], ctx.hash_identifier)
    origin = batch.origin or batch.table
    present = _required_rows(batch.table, arrays, len(batch), origin, ctx)
    if present is not None:
        if not pc.any(present).as_py():
            return False
        arrays = {c: a.filter(present) for c, a in arrays.items()}
    n = len(next(iter(arrays.values())))
    arrays[ORIGIN] = repeated(origin, n)
    # Uncompressed, no statistics, no dictionaries: each file is read once, right away, and these
    # cost more CPU (~0.3 s per 500 MB of XML) than the disk they would save.
    # Only constant columns (dictionary arrays: the source id, the origin) stay dictionaries.
    pq.write_table(pa.table(arrays), path, compression="none", write_statistics=False,
                   use_dictionary=[c for c, a in arrays.items() if pa.types.is_dictionary(a.type)])
    return True


def _required_rows(table: str, arrays: dict[str, pa.Array], n: int, origin: str,
                   ctx: ReadContext) -> pa.BooleanArray | None:
    """Rows that have every required column (None: all of them); the others are counted."""
    keep: pa.BooleanArray | None = None
    for col in REQUIRED.get(table, ()):
        values = arrays.get(col)
        missing = n if values is None else values.null_count
        if not missing:
            continue
        ctx.skip(origin, f"missing {col}", missing)
        has = pa.nulls(n, pa.bool_()).fill_null(False) if values is None else pc.is_valid(values)
        keep = has if keep is None else pc.and_(keep, has)
    return keep


def release_memory() -> None:
    """Give back what reading freed before DuckDB takes its share (peak RSS): Arrow's pool keeps
    freed blocks, and glibc keeps freed heap pages until asked (``malloc_trim``)."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):  # not glibc (musl): nothing to trim
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def load(con: duckdb.DuckDBPyConnection, table: str, files: list[Path], ctx: ReadContext) -> None:
    """Insert the staged ``files`` of ``table``, counting rows skipped or repaired per origin."""
    names = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
    src = f"read_parquet([{names}], union_by_name = true)"
    staged = {name: typ for name, typ, *_ in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
    select, checks, keep = select_exprs(table, staged, count_missing=False,  # counted when staged
                                        bounds=ctx.time_bounds)
    if checks:
        q = ", ".join(f"count(*) FILTER (WHERE {cond})" for _, cond in checks)
        for origin, *found in con.execute(f"SELECT {ORIGIN}, {q} FROM {src} GROUP BY 1").fetchall():
            for (reason, _), n in zip(checks, found, strict=True):
                if n:
                    ctx.skip(origin, reason, n)
    cols = ", ".join(f'"{c}"' for c in TABLES[table])
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {', '.join(select)} FROM {src} WHERE {keep}")


def select_exprs(table: str, staged: dict[str, str], count_missing: bool = True,
                 bounds: tuple[datetime, datetime] | None = None,
                 ) -> tuple[list[str], list[tuple[str, str]], str]:
    """SELECT expressions casting staged columns to ``table``'s types, the checks, the filter.

    ``staged`` maps the staged column names to their DuckDB types. Text handed for a typed column
    is parsed with TRY_CAST; a required column that comes out NULL drops the row (counted as
    missing — unless not ``count_missing`` — or malformed); an optional one is set to NULL
    (counted; the row is kept). With ``bounds`` (earliest, latest), a time outside them is treated
    the same way (:func:`communitas.sources.base.time_bounds`: a date before the platform existed or
    after the ingest is an error in the export, and one such date would stretch every windowed
    computation over empty centuries).

    >>> sel, checks, keep = select_exprs("reactions", {"reaction_id": "VARCHAR", "value": "VARCHAR"})
    >>> sel[-1], keep
    ('TRY_CAST("value" AS DOUBLE)', '"reaction_id" IS NOT NULL')
    """
    select, checks, keep = [], [], []
    required = REQUIRED.get(table, ())
    for col, sql_type in TABLES[table].items():
        if col not in staged:
            select.append(f"CAST(NULL AS {sql_type})")
            if col in required:
                if count_missing:
                    checks.append((f"missing {col}", "true"))
                keep.append("false")
            continue
        raw = f'"{col}"'
        parse = staged[col] == "VARCHAR" and sql_type not in ("VARCHAR", "JSON")
        expr = f"TRY_CAST({raw} AS {sql_type})" if parse else f"CAST({raw} AS {sql_type})"
        outside = _outside(expr, bounds) if sql_type == "TIMESTAMPTZ" and bounds else None
        select.append(f"CASE WHEN NOT ({outside}) THEN {expr} END" if outside else expr)
        if col in required:
            if count_missing:
                checks.append((f"missing {col}", f"{raw} IS NULL"))
            keep.append(f"{raw} IS NOT NULL")
            if parse:
                checks.append((f"malformed {col}", f"{raw} IS NOT NULL AND {expr} IS NULL"))
                keep.append(f"{expr} IS NOT NULL")
        elif parse:
            checks.append((f"malformed {col} (row kept, value dropped)",
                           f"{raw} IS NOT NULL AND {expr} IS NULL"))
        if outside and bounds:
            why = f"{col} outside {bounds[0]:%Y-%m-%d}..{bounds[1]:%Y-%m-%d}"
            checks.append((why if col in required else f"{why} (row kept, value dropped)", outside))
            if col in required:
                keep.append(f"NOT ({outside})")
    return select, checks, " AND ".join(keep) or "true"


def _outside(expr: str, bounds: tuple[datetime, datetime]) -> str:
    """SQL: ``expr`` is a time before ``bounds[0]`` or after ``bounds[1]`` (NULL is neither)."""
    lo, hi = (f"TIMESTAMPTZ '{b.isoformat()}'" for b in bounds)
    return f"coalesce({expr} < {lo} OR {expr} > {hi}, false)"
