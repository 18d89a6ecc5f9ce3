"""The workspace store: one embedded DuckDB file holding the canonical model.

* :meth:`Workspace.ingest` first reads the whole source into Parquet staging files beside the
  store (``communitas.staging``; a broken input fails here, before the store is touched), then in
  **one transaction** deletes the old rows of that source, loads the new ones, fills derived
  columns and writes the ``sources`` row; any error (or a killed process) leaves the store exactly
  as it was before. A store file that did not exist before is removed again (with its WAL)
  when its first ingest fails or is interrupted: a failed first ingest leaves nothing behind.
* Re-ingesting an input whose fingerprint is already in the store does nothing (idempotent);
  a different input with the same platform and name (a newer dump) replaces that source's rows.
* Metrics read the store through Ibis (:meth:`Workspace.ibis`), never through SQL strings, so
  the same metric code can run on another Ibis backend.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from communitas import memory
from communitas.errors import EmptyStore, StoreError, StoreLocked, UsageError
from communitas.model import SOURCE_TABLES, TABLES, SourceInfo, added_columns, create_statements
from communitas.privacy import reapply
from communitas.sources.base import ProgressFn, ReadContext, body_format, time_bounds
from communitas.sources.parallel import duckdb_threads
from communitas.sources.registry import find_source, platform_body_format
from communitas.staging import Staging, load, release_memory

if TYPE_CHECKING:
    import pandas as pd
    from ibis.backends.duckdb import Backend as IbisBackend

STORE_ENV = "COMMUNITAS_STORE"
DEFAULT_STORE = "communitas.duckdb"


def store_path(path: str | Path | None = None) -> Path:
    """The store file: ``path``, else ``$COMMUNITAS_STORE``, else ``./communitas.duckdb``."""
    return Path(path or os.environ.get(STORE_ENV) or DEFAULT_STORE)


@dataclass
class IngestReport:
    """What one ingest did."""

    source_id: str
    platform: str
    name: str
    origin: str
    fingerprint: str
    unchanged: bool = False
    replaced: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def held_elsewhere(path: Path, *, read_only: bool = False) -> bool:
    """Whether another process holds a lock on the store file that opening it would conflict with.

    DuckDB locks the whole file with ``fcntl``: a shared lock when it opens it read-only, an
    exclusive one otherwise. The probe asks for the same lock without waiting and releases it at
    once; refused (``EACCES``/``EAGAIN``) means busy. Where ``fcntl`` does not exist (Windows), or
    the file cannot be opened for the probe, it says False (the caller reports DuckDB's error).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return False
    wanted = fcntl.LOCK_SH if read_only else fcntl.LOCK_EX
    try:
        with path.open("rb" if read_only else "r+b") as f:
            try:
                fcntl.lockf(f, wanted | fcntl.LOCK_NB)
            except OSError as e:
                return e.errno in (errno.EACCES, errno.EAGAIN)
            fcntl.lockf(f, fcntl.LOCK_UN)
    except OSError:
        return False
    return False


class Workspace:
    """An open store. Use as a context manager, or call :meth:`close`.

    >>> import tempfile, pathlib
    >>> with Workspace(pathlib.Path(tempfile.mkdtemp()) / "w.duckdb") as ws:
    ...     ws.counts()["posts"]
    0
    """

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = store_path(path)
        if read_only and not self.path.exists():
            raise EmptyStore(
                f"{self.path}: no store here yet. Run `communitas ingest PATH` first "
                f"(or point --store / ${STORE_ENV} at an existing store)."
            )
        # A store this Workspace creates is removed again if nothing was ever ingested into it
        # and an ingest fails (see :meth:`_discard_if_new`).
        self._new = not read_only and not self.path.exists()
        self._con: duckdb.DuckDBPyConnection | None = None
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as e:
            if held_elsewhere(self.path, read_only=read_only):
                raise StoreLocked(
                    f"{self.path}: another communitas process is using this store. "
                    "Wait for it to finish, or use another --store."
                ) from None
            raise StoreError(f"{self.path}: cannot open the store ({e}).") from None
        self.con.execute("SET TimeZone='UTC'")
        self.con.execute("SET enable_progress_bar = false")  # the CLI owns the terminal
        # DuckDB counts the machine's cores: use $COMMUNITAS_WORKERS, else those this process may
        # run on (taskset, container cpuset).
        self.con.execute(f"SET threads = {duckdb_threads()}")
        memory.bound(self.con)  # $COMMUNITAS_MEMORY: DuckDB's share of the cap, spilling beyond
        self.read_only = read_only
        if not read_only:
            for stmt in create_statements():
                self.con.execute(stmt)
            self._upgrade()
            self._salt()
        self._ibis: IbisBackend | None = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:
            self._discard_if_new()
        self.close()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection. After a failed first ingest removed the new store file, the
        next use opens (so creates) the store again, as ``Workspace(path)`` would."""
        if self._con is None:
            Workspace.__init__(self, self.path)
        assert self._con is not None
        return self._con

    @con.setter
    def con(self, value: duckdb.DuckDBPyConnection) -> None:
        self._con = value

    def _discard_if_new(self) -> None:
        """Close and delete the store file (and its WAL) if this Workspace created it and no
        ingest has succeeded since: a failed first ingest must leave nothing behind."""
        if not self._new or self._con is None:
            return
        self._new = False
        self._con.close()
        self._con = None
        for leftover in (self.path, self.path.with_name(self.path.name + ".wal")):
            leftover.unlink(missing_ok=True)

    def _upgrade(self) -> None:
        """Bring a store made by an older communitas up to the model: the columns added since are
        added (empty), and ``sources.body_format`` is filled from each source's own declaration
        (:func:`communitas.sources.base.body_format`) for the sources ingested before it existed."""
        have = {(str(t), str(c)) for t, c in self.con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main'").fetchall()}
        for stmt in added_columns(have):
            self.con.execute(stmt)
        for (platform,) in self.con.execute(
                "SELECT DISTINCT platform FROM sources WHERE body_format IS NULL").fetchall():
            self.con.execute("UPDATE sources SET body_format = ? WHERE platform = ? AND body_format IS NULL",
                             [platform_body_format(platform), platform])

    # -- identity -------------------------------------------------------------------------
    def _salt(self) -> bytes:
        row = self._one("SELECT value FROM meta WHERE key = 'salt'")
        if row is None:
            value = secrets.token_hex(32)
            self.con.execute("INSERT INTO meta VALUES ('salt', ?)", [value])
            return bytes.fromhex(value)
        return bytes.fromhex(row[0])

    def _one(self, sql: str, params: list[Any] | None = None) -> tuple[Any, ...] | None:
        """The first row of a query, with the result fully consumed.

        DuckDB 2 keeps a half-read result (``fetchone``) open on the connection and refuses the
        next relation call (``con.sql``, Ibis) until it is finished; ``fetchall`` finishes it.
        """
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0] if rows else None

    # -- reading ----------------------------------------------------------------------------
    def ibis(self) -> IbisBackend:
        """An Ibis backend over this store's connection (what the metric layer uses)."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis

    def counts(self, source_id: str | None = None) -> dict[str, int]:
        """Rows per canonical table (of one source, if given)."""
        out = {}
        for table in TABLES:
            if source_id is not None and table in SOURCE_TABLES:
                q = f"SELECT count(*) FROM {table} WHERE source_id = ?"
                out[table] = self._one(q, [source_id])[0]  # type: ignore[index]
            else:
                out[table] = self._one(f"SELECT count(*) FROM {table}")[0]  # type: ignore[index]
        return out

    def _source_counts(self, source_id: str) -> dict[str, int]:
        counts = self.counts(source_id)
        return {t: counts[t] for t in SOURCE_TABLES}

    def sources(self) -> pd.DataFrame:
        """One row per ingested source."""
        return self.con.sql("SELECT * FROM sources ORDER BY source_id").to_arrow_table().to_pandas()

    def export(self, directory: str | Path, fmt: str = "parquet") -> list[Path]:
        """Write every canonical table to ``directory`` as ``<table>.parquet`` (or ``.csv``)."""
        if fmt not in ("parquet", "csv"):
            raise UsageError(f"unknown export format {fmt!r}; choose parquet or csv.")
        out_dir = Path(directory)
        if out_dir.exists() and not out_dir.is_dir():
            raise UsageError(f"{out_dir}: is a file, not a folder. Give a folder to export into.")
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for table in TABLES:
            target = out_dir / f"{table}.{fmt}"
            opts = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER"
            self.con.execute(f"COPY {table} TO '{_sql_path(target)}' ({opts})")
            written.append(target)
        return written

    # -- writing ----------------------------------------------------------------------------
    def ingest(
        self,
        path: str | Path,
        *,
        platform: str | None = None,
        name: str | None = None,
        keep_bodies: bool = True,
        force: bool = False,
        progress: ProgressFn | None = None,
    ) -> IngestReport:
        """Read ``path`` into the store in one transaction; see the module docstring.

        When the store file was created by this Workspace and nothing was ingested into it yet,
        a failure (any error, or an interrupt) deletes the file again (see :attr:`con`).
        """
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only; cannot ingest.")
        try:
            report = self._ingest(Path(path), platform, name, keep_bodies, force, progress)
        except BaseException:
            self._discard_if_new()
            raise
        self._new = False
        return report

    def _ingest(self, src_path: Path, platform: str | None, name: str | None, keep_bodies: bool,
                force: bool, progress: ProgressFn | None) -> IngestReport:
        started = time.perf_counter()
        source = find_source(src_path, platform)
        info = source.describe(src_path, name)
        options = {"keep_bodies": keep_bodies}
        report = IngestReport(info.source_id, info.platform, info.name, info.origin,
                              info.fingerprint)
        previous = self._previous(info.source_id)
        if previous is not None and not force and previous == (info.fingerprint, options):
            report.unchanged = True
            report.counts = self._source_counts(info.source_id)
            report.elapsed_s = time.perf_counter() - started
            return report
        report.replaced = previous is not None
        with Staging(self.path) as staging:
            ctx = ReadContext(info, self._salt(), keep_bodies=keep_bodies, progress=progress,
                              scratch=staging.dir, time_bounds=time_bounds(source))
            for batch in source.read(src_path, ctx):  # a broken input stops here: store untouched
                staging.write(batch, ctx)
            release_memory()
            self._bound_memory(True)
            self.con.execute("BEGIN TRANSACTION")
            try:
                self._delete_source(info.source_id)
                for table, files in staging.tables():
                    load(self.con, table, files, ctx)
                derive(self.con, info.source_id)
                forgotten = reapply(self.con, info.source_id, self._salt())
                if forgotten:
                    ctx.warn(f"{forgotten} member(s) forgotten again, at their earlier request "
                             "(`communitas forget`).")
                report.counts = self._source_counts(info.source_id)
                report.skipped = {f"{f}: {r}": n for (f, r), n in sorted(ctx.skipped.items())}
                report.warnings = list(ctx.warnings)
                self._record_source(info, report, options, body_format(source))
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            finally:
                self._bound_memory(False)
        self.con.execute("CHECKPOINT")
        report.elapsed_s = time.perf_counter() - started
        return report

    def _bound_memory(self, on: bool) -> None:
        """While loading, cap DuckDB's memory (it spills to disk beyond) and drop insertion order.

        The cap is ``$COMMUNITAS_INGEST_MEMORY`` (default 224MB: with what the read keeps, an
        ingest stays under 500 MB); queries afterwards get their share of ``$COMMUNITAS_MEMORY``
        back (:mod:`communitas.memory`).
        """
        if on:
            limit = os.environ.get("COMMUNITAS_INGEST_MEMORY", "224MB")
            self.con.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
            self.con.execute("SET preserve_insertion_order = false")
        else:
            memory.bound(self.con)
            self.con.execute("RESET preserve_insertion_order")

    def _previous(self, source_id: str) -> tuple[str, dict[str, Any]] | None:
        row = self._one("SELECT fingerprint, options FROM sources WHERE source_id = ?", [source_id])
        return None if row is None else (row[0], json.loads(row[1] or "{}"))

    def _delete_source(self, source_id: str) -> None:
        for table in (*SOURCE_TABLES, "sources"):
            self.con.execute(f"DELETE FROM {table} WHERE source_id = ?", [source_id])

    def _record_source(self, info: SourceInfo, report: IngestReport, options: dict[str, Any],
                       body_fmt: str) -> None:
        self.con.execute(
            """INSERT INTO sources (source_id, platform, name, origin, fingerprint, ingested_at,
                 first_activity_at, last_activity_at, counts, skipped, warnings, options, body_format)
               SELECT ?, ?, ?, ?, ?, ?,
                 (SELECT min(created_at) FROM posts WHERE source_id = ?),
                 (SELECT max(created_at) FROM posts WHERE source_id = ?), ?, ?, ?, ?, ?""",
            [info.source_id, info.platform, info.name, info.origin, info.fingerprint,
             datetime.now(UTC), info.source_id, info.source_id, json.dumps(report.counts),
             json.dumps(report.skipped), json.dumps(report.warnings), json.dumps(options), body_fmt],
        )


# Derivations filled in after a source's rows are loaded, the same for every platform.
_DERIVE = [
    # A reply whose thread the source did not know inherits its parent's thread.
    """UPDATE posts AS c SET thread_id = p.thread_id FROM posts AS p
       WHERE c.source_id = $sid AND p.source_id = $sid AND c.thread_id IS NULL
         AND c.reply_to_post_id = p.post_id""",
    # A reply is addressed to the author of the post it replies to.
    """UPDATE posts AS c SET reply_to_member_id = p.author_id FROM posts AS p
       WHERE c.source_id = $sid AND p.source_id = $sid AND c.reply_to_member_id IS NULL
         AND c.reply_to_post_id = p.post_id""",
    # Events about a post belong to that post's thread.
    """UPDATE events AS e SET thread_id = p.thread_id FROM posts AS p
       WHERE e.source_id = $sid AND p.source_id = $sid AND e.thread_id IS NULL
         AND e.post_id = p.post_id""",
    # A closed thread with a duplicate link is a duplicate of the linked thread.
    """UPDATE threads AS t SET status = 'duplicate', duplicate_of = d.target
       FROM (SELECT thread_id, min(target_id) AS target FROM events
             WHERE source_id = $sid AND category = 'link' AND kind = 'duplicate'
             GROUP BY thread_id) AS d
       WHERE t.source_id = $sid AND t.thread_id = d.thread_id AND t.status = 'closed'""",
]


def derive(con: duckdb.DuckDBPyConnection, source_id: str) -> None:
    """Fill the derived columns of one source (see ``docs/data-model.md``, "Derived")."""
    for stmt in _DERIVE:
        con.execute(stmt, {"sid": source_id})


def _sql_path(p: Path) -> str:
    return str(p).replace("'", "''")
