"""The engines the metric layer runs on: DuckDB (the store itself) or Spark (the canonical tables
as Parquet, read by PySpark in local mode or through Spark Connect against a cluster).

Every metric is an Ibis expression (``docs/architecture.md``), so the engine is only the Ibis
backend it is run on. What differs between engines is gathered here:

* :func:`spark_backend` — an Ibis PySpark backend over the Parquet tables that
  ``communitas export --format parquet`` writes (a local folder or an object-store path), on a
  local Spark (``local[N]``) or a Spark Connect server (``sc://host:port``);
* :func:`scratch_for` — where :class:`communitas.metrics.scope.Prepared` materialises the tables
  many metrics share: a compressed in-memory DuckDB database, cached Spark views, or plain
  temporary tables on any other backend.

PySpark is an optional extra (``pip install 'communitas[spark]'``) and Java 17 must be installed;
nothing here imports it until a Spark backend is asked for.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import ibis.expr.types as ir

from communitas.errors import CommunitasError, InputNotFound, UsageError
from communitas.model import TABLES

ENGINES = ("duckdb", "spark")
SPARK_REMOTE_ENV = "SPARK_REMOTE"  # pyspark's own variable for a Spark Connect URL
SPARK_MEMORY_ENV = "COMMUNITAS_SPARK_MEMORY"
SPARK_DEFAULT_MEMORY = "1g"  # Spark's own default driver heap
SPARK_MIN_MEMORY_MB = 512  # below some 450 MB of heap Spark refuses to start
# Spark's sizes (JavaUtils.byteStringAs): a whole number and a binary unit; a bare number is MiB
REMOTE_MEMORY = ("--spark-memory sizes Spark on this machine; a Spark Connect cluster's memory is set "
                 "where its server starts (spark.driver.memory, spark.executor.memory): leave it out "
                 "with --spark-remote.")
_SPARK_SIZE = re.compile(r"^([0-9]+)(b|k|kb|m|mb|g|gb|t|tb)?$")
_SPARK_UNIT_MB = {"b": 2**-20, "k": 2**-10, "kb": 2**-10, "m": 1, "mb": 1, "g": 2**10, "gb": 2**10,
                  "t": 2**20, "tb": 2**20}


class Scratch(Protocol):
    """Where a :class:`~communitas.metrics.scope.Prepared` backend keeps its materialised tables."""

    def put(self, name: str, expr: ir.Table) -> ir.Table: ...

    def close(self) -> None: ...


class DuckDBScratch:
    """An attached in-memory DuckDB database that compresses what it holds (``COMPRESS``, then a
    checkpoint after each table): DuckDB keeps temporary tables uncompressed, and on a store of
    815,000 posts the two largest took 736 MB that way, 92 MB compressed."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.name = f"_communitas_scratch_{uuid.uuid4().hex}"
        # READ_ONLY false: a store opened read-only would otherwise attach it read-only too
        backend.raw_sql(f"ATTACH ':memory:' AS \"{self.name}\" (COMPRESS, READ_ONLY false)")

    def put(self, name: str, expr: ir.Table) -> ir.Table:
        self.backend.create_table(name, expr, database=f"{self.name}.main")
        self.backend.raw_sql(f'CHECKPOINT "{self.name}"')  # compresses what was just written
        return self.backend.table(name, database=(self.name, "main"))

    def close(self) -> None:
        self.backend.raw_sql(f'DETACH "{self.name}"')


class SparkScratch:
    """Temporary Spark views over cached DataFrames (computed once, in executor memory spilling
    to disk), made from the query's plan rather than its SQL text so views may build on views;
    unpersisted and dropped on close."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.frames: dict[str, Any] = {}

    def put(self, name: str, expr: ir.Table) -> ir.Table:
        session = self.backend._session
        frame = session.sql(self.backend.compile(expr)).cache()
        frame.createOrReplaceTempView(name)
        self.frames[name] = frame
        return self.backend.table(name)

    def close(self) -> None:
        session = self.backend._session
        for name, frame in self.frames.items():
            frame.unpersist()
            session.catalog.dropTempView(name)
        self.frames.clear()


class TempScratch:
    """Plain temporary tables, for any other Ibis backend."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.names: list[str] = []

    def put(self, name: str, expr: ir.Table) -> ir.Table:
        self.backend.create_table(name, expr, temp=True)
        self.names.append(name)
        return self.backend.table(name)

    def close(self) -> None:
        for name in self.names:
            try:
                self.backend.drop_table(name, force=True)
            except Exception:  # ibis 12's DROP breaks with sqlglot 30; the name is ours (hex)
                self.backend.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
        self.names.clear()


def scratch_for(backend: Any) -> Scratch:
    """The scratch space that suits ``backend``'s engine."""
    kind = getattr(backend, "name", "")
    if kind == "duckdb":
        return DuckDBScratch(backend)
    if kind == "pyspark":
        return SparkScratch(backend)
    return TempScratch(backend)


def quantile(value: ir.NumericColumn, q: float) -> ir.FloatingScalar:
    """The ``q`` quantile of ``value`` (NULLs left out), interpolated between the two nearest
    ranks like ``percentile_cont``: at rank ``r = (n - 1) q`` (0-based), ``lo + (hi - lo) (r - ⌊r⌋)``.

    Written out rather than left to each engine's own percentile, whose interpolations round
    differently (DuckDB's ``quantile_cont`` and Spark's ``percentile`` disagree in the last bits),
    so every engine gives the same bits. The values of each group are collected and sorted, as
    any exact percentile must."""
    import ibis

    ranked = value.cast("float64").collect().sort()
    n = ranked.length()
    rank = (n - 1).cast("float64") * q
    low, high = rank.floor(), rank.ceil()
    lo, hi = ranked[low.cast("int32")], ranked[high.cast("int32")]  # Spark indexes by int
    return ibis.ifelse(n > 0, lo + (hi - lo) * (rank - low), ibis.null("float64"))


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Every place where two results (nested dicts and lists, as the profile's JSON holds them)
    differ in value or type: the parity rule between engines (1 and 1.0 differ).

    >>> differences({"n": 1, "xs": [1.0, 2]}, {"n": 1.0, "xs": [1.0], "m": 0})
    ['.m: only one side', '.n: 1 vs 1.0', '.xs: 2 vs 1 items']
    """
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only one side" for k in sorted(set(a) ^ set(b))]
        return out + [d for k in sorted(set(a) & set(b)) for d in differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        out = [f"{path}: {len(a)} vs {len(b)} items"] if len(a) != len(b) else []
        return out + [d for i, (x, y) in enumerate(zip(a, b, strict=False))
                      for d in differences(x, y, f"{path}[{i}]")]
    return [] if type(a) is type(b) and a == b else [f"{path}: {a!r} vs {b!r}"]


class SparkOutOfMemory(CommunitasError):
    """Spark on this machine ran out of its driver's heap (which, in local mode, is the executors' too)."""


def spark_memory(size: str) -> str:
    """``size`` checked as Spark reads ``spark.driver.memory`` (``6g``, ``512m``, ``6144`` MiB;
    binary units ``k``, ``m``, ``g``, ``t``, with or without ``b``), lower-cased; a usage error
    (one line) when Spark could not read it or would not start with it.

    >>> spark_memory("6G"), spark_memory("6144")
    ('6g', '6144')
    """
    text = size.strip().lower()
    m = _SPARK_SIZE.match(text)
    if m is None:
        raise UsageError(f"Spark memory {size!r}: give a size as Spark writes it, such as 6g, 512m or 12g.")
    if int(m.group(1)) * _SPARK_UNIT_MB[m.group(2) or "m"] < SPARK_MIN_MEMORY_MB:
        raise UsageError(f"Spark memory {size!r} is too small: Spark needs at least "
                         f"{SPARK_MIN_MEMORY_MB}m of heap to start.")
    return text


def spark_conf(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``KEY=VALUE`` settings (as ``spark-submit --conf`` takes them) as a dict; a usage error
    (one line) for one without ``=`` or with a key that is not a Spark setting (``spark.*``)."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().startswith("spark.") or not value.strip():
            raise UsageError(f"Spark setting {pair!r}: write it as KEY=VALUE with a Spark key, "
                             "e.g. spark.sql.shuffle.partitions=8.")
        out[key.strip()] = value.strip()
    if "spark.driver.memory" in out:
        out["spark.driver.memory"] = spark_memory(out["spark.driver.memory"])
    return out


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}.")
    return engine


# Local Spark on small data (the tests): no whole-stage code generation and no adaptive
# re-planning (both pay off on large data only), and the JVM's quick compiler only. Measured on
# the beer site's profile: 42 s of JVM CPU time instead of 100 s, the same figures.
SMALL_DATA = {"spark.sql.codegen.wholeStage": "false", "spark.sql.adaptive.enabled": "false",
              "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1"}


def spark_settings(master: str = "local[*]", *, small: bool = False, memory: str | None = None,
                   conf: dict[str, str] | None = None) -> dict[str, str]:
    """The settings a local Spark session starts with: communitas's (UTC, no web UI, one shuffle
    partition per core, Arrow), :data:`SMALL_DATA` when ``small``, then ``conf`` (``--spark-conf``) over
    them all, so a user's own setting wins. The heap: ``memory``, else ``spark.driver.memory`` in
    ``conf``, else ``$COMMUNITAS_SPARK_MEMORY``, else Spark's own default (1g)."""
    cores = master.removeprefix("local[").rstrip("]")
    settings = {**(SMALL_DATA if small else {}),
                "spark.master": master, "spark.sql.session.timeZone": "UTC",
                "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                # one shuffle partition per core: the default 200 is meant for clusters
                "spark.sql.shuffle.partitions": cores if cores.isdigit() else str(os.cpu_count() or 2),
                "spark.sql.execution.arrow.pyspark.enabled": "true",
                **(conf or {})}
    memory = memory or settings.get("spark.driver.memory") or os.environ.get(SPARK_MEMORY_ENV)
    if memory:
        settings["spark.driver.memory"] = spark_memory(memory)
    return settings


def spark_session(remote: str | None = None, *, master: str = "local[*]", small: bool = False,
                  memory: str | None = None, conf: dict[str, str] | None = None) -> Any:
    """A Spark session: through Spark Connect when ``remote`` (or ``$SPARK_REMOTE``) is a
    ``sc://host:port`` URL, else a local Spark with :func:`spark_settings` (``master``:
    ``local[N]``; ``small``: tuned for small data; ``memory``: the driver's heap, which in local
    mode is the executors' too). Settings that size the JVM take effect only where this call starts
    it (the first session of the process). A Spark Connect server's memory is set where the server
    starts, so ``memory`` is refused with ``remote``; ``conf`` is passed to it (runtime settings,
    such as ``spark.sql.*``). Times are UTC."""
    remote = remote or os.environ.get(SPARK_REMOTE_ENV)
    if remote:  # the usage errors first, with or without PySpark installed
        if not remote.startswith("sc://"):
            raise UsageError(f"{remote!r} is not a Spark Connect URL; write it as sc://host:port.")
        if memory or (conf or {}).get("spark.driver.memory"):
            raise UsageError(REMOTE_MEMORY)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError("the Spark engine needs PySpark: pip install 'communitas[spark]' "
                         "(and Java 17).") from None
    builder = SparkSession.builder.appName("communitas")
    if remote:
        for key, value in {"spark.sql.session.timeZone": "UTC", **(conf or {})}.items():
            builder = builder.config(key, value)
        return builder.remote(remote).getOrCreate()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no lookup of this host's public name
    for key, value in spark_settings(master, small=small, memory=memory, conf=conf).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")  # Spark's own warnings would mix into the output
    return session


@contextmanager
def spark_failures(memory: str | None = None) -> Iterator[None]:
    """Spark's running out of heap as one line that says what to do (:class:`SparkOutOfMemory`)
    instead of a Java stack trace: the error's text names ``java.lang.OutOfMemoryError``."""
    try:
        yield
    except CommunitasError:
        raise
    except Exception as e:
        if "OutOfMemoryError" not in str(e):
            raise
        size = memory or os.environ.get(SPARK_MEMORY_ENV) or SPARK_DEFAULT_MEMORY
        raise SparkOutOfMemory(f"Spark ran out of its {size} heap; give it more with --spark-memory "
                               "(e.g. 6g for 10 million posts, docs/scale.md) and run it again.") from None


def _align_spark_compiler() -> None:
    """Make Ibis's Spark SQL read a timestamp's epoch seconds as DuckDB does: a double with the
    fraction (``epoch_us / 1e6``); Ibis's own ``unix_timestamp`` drops the fraction, so response
    times would differ by up to a second per thread."""
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    def visit_epoch_seconds(self: Any, op: Any, *, arg: Any) -> Any:
        import ibis.expr.datatypes as dt
        import sqlglot.expressions as sge

        micros = self.cast(self.f.unix_micros(self.cast(arg, dt.timestamp)), dt.float64)
        return sge.Div(this=micros, expression=sge.Literal.number("1e6"))

    PySparkCompiler.visit_ExtractEpochSeconds = visit_epoch_seconds
    _times_in_utc()


def _times_in_utc() -> None:
    """Spark's ``TIMESTAMP`` is an instant (shown in the session's zone, UTC here): read it as a
    UTC time, as the store's ``TIMESTAMPTZ`` is, not as a naive one."""
    import functools

    import ibis.expr.datatypes as dt
    from ibis.backends.pyspark import datatypes
    from pyspark.sql import types

    datatypes._from_pyspark_dtypes[types.TimestampType] = functools.partial(dt.Timestamp, timezone="UTC")


def spark_backend(tables: str | Path, *, session: Any = None, remote: str | None = None,
                  memory: str | None = None, conf: dict[str, str] | None = None) -> Any:
    """An Ibis PySpark backend whose tables are the canonical tables in ``tables``: a folder (or
    an object-store path such as ``s3a://bucket/community``) holding ``<table>.parquet`` for each
    table, as ``communitas export --format parquet`` writes it. Each becomes a temporary view."""
    import ibis

    location = str(tables)
    if "://" not in location and not (Path(location) / "posts.parquet").exists():
        raise InputNotFound(f"{location}: no posts.parquet there; write the tables with "
                            "`communitas export --format parquet DIR` first.")
    _align_spark_compiler()
    session = session or spark_session(remote, memory=memory, conf=conf)
    for table in TABLES:
        session.read.parquet(f"{location.rstrip('/')}/{table}.parquet").createOrReplaceTempView(table)
    return ibis.pyspark.connect(session)


@contextmanager
def store_on_spark(ws: Any, *, tables: str | Path | None = None, remote: str | None = None,
                   session: Any = None, memory: str | None = None,
                   conf: dict[str, str] | None = None) -> Iterator[Any]:
    """A Spark backend for the store ``ws``: over ``tables`` (its Parquet export, local or on an
    object store) when given, else over a fresh export into a temporary folder (local Spark only:
    a cluster cannot read this machine's disk). ``memory`` and ``conf``: as for
    :func:`spark_session`; Spark's running out of heap in the block is :class:`SparkOutOfMemory`."""
    heap = memory or (conf or {}).get("spark.driver.memory")
    if tables is not None:
        with spark_failures(heap):
            yield spark_backend(tables, session=session, remote=remote, memory=memory, conf=conf)
        return
    if remote or os.environ.get(SPARK_REMOTE_ENV):
        raise UsageError("a Spark Connect cluster cannot read this machine's store: export it with "
                         "`communitas export --format parquet` to a path the cluster reads, and "
                         "give that path with --tables.")
    with tempfile.TemporaryDirectory(prefix="communitas-spark-") as folder:
        ws.export(folder, "parquet")
        with spark_failures(heap):
            yield spark_backend(folder, session=session, memory=memory, conf=conf)
