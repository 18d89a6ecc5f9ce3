"""Independent metric queries run at once, one DuckDB cursor per thread.

A profile is some sixty queries in four groups that do not depend on one another. Run one after
another, each query keeps the cores only as busy as DuckDB can split it (the small ones, and the
Python around them, use one). :func:`run` runs such tasks in a thread pool instead: each thread
reads through its own cursor (another connection to the same DuckDB database: a connection is
not shared between threads) and a :class:`View` of the caller's
:class:`~communitas.metrics.scope.PreparedBackend`, which reads the tables the caller already
materialised. DuckDB releases the GIL while it executes, so the threads' queries overlap; compiling
with Ibis and the pandas work around a query hold it.

The threads share the database's ``memory_limit`` (one per database, ``$COMMUNITAS_MEMORY``) and
its worker threads. The number of threads is :func:`communitas.sources.parallel.duckdb_threads`
(``$COMMUNITAS_WORKERS``, else the usable cores); one thread, or an engine other than DuckDB,
runs the tasks in order on the caller's backend. The results are the same either way: every task
runs the same queries on the same data.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import ibis
import ibis.expr.types as ir

from communitas.metrics.scope import PreparedBackend
from communitas.sources.parallel import duckdb_threads

Get = Callable[[str], Any]
"""``get(name)``: the result of the task ``name``, added earlier (waits for it)."""
Task = Callable[[Any, Get], Any]
"""``task(backend, get)``: one group of queries on ``backend`` (a PreparedBackend)."""


class View(PreparedBackend):
    """A thread's PreparedBackend: its own cursor, the parent's materialised tables. A table the
    parent has not made is built into the query (not materialised: the scratch database cannot be
    checkpointed while other threads read) and counted in :attr:`misses`."""

    def __init__(self, parent: PreparedBackend, backend: Any) -> None:
        super().__init__(backend, source_id=parent.source_id)
        self.parent = parent
        self.misses: list[Any] = []

    def memo(self, key: Any, build: Callable[[], ir.Table]) -> ir.Table:
        if key not in self._made:
            made = self.parent.made(key, self.backend)
            if made is None:
                self.misses.append(key)
                made = build()
            self._made[key] = made
        return self._made[key]


def workers() -> int:
    """Threads for the metric queries: ``$COMMUNITAS_WORKERS``, else the usable cores."""
    return duckdb_threads()


def run(pb: PreparedBackend, tasks: dict[str, Task], threads: int | None = None,
        misses: list[Any] | None = None) -> dict[str, Any]:
    """Every task's result, by name. Tasks start in the order given; one may ``get`` the result of
    an earlier one (it was started first, so waiting cannot deadlock). The keys of the tables the
    threads needed but ``pb`` had not made are added to ``misses``."""
    threads = min(threads or workers(), len(tasks))
    if threads <= 1 or getattr(pb.backend, "name", "") != "duckdb":
        done: dict[str, Any] = {}
        for name, task in tasks.items():
            done[name] = task(pb, done.__getitem__)
        return done
    return _in_threads(pb, tasks, threads, [] if misses is None else misses)


def _in_threads(pb: PreparedBackend, tasks: dict[str, Task], threads: int,
                misses: list[Any]) -> dict[str, Any]:
    local, lock, views = threading.local(), threading.Lock(), list[View]()
    futures: dict[str, Future[Any]] = {}

    def call(task: Task) -> Any:
        view = getattr(local, "view", None)
        if view is None:
            view = local.view = View(pb, ibis.duckdb.from_connection(pb.backend.con.cursor()))
            with lock:
                views.append(view)
        return task(view, lambda name: futures[name].result())

    pool = ThreadPoolExecutor(threads, thread_name_prefix="communitas-metrics")
    try:
        for name, task in tasks.items():
            futures[name] = pool.submit(call, task)
        return {name: f.result() for name, f in futures.items()}
    finally:
        pool.shutdown(cancel_futures=True)
        for view in views:
            view.backend.con.close()
        misses.extend(key for view in views for key in view.misses)
