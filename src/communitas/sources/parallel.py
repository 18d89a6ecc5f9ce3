"""Read the files of one export in several processes, the workers writing staged Parquet.

A dump made of several large files (a Stack Exchange site: Posts, PostHistory, Votes, ...) can be
parsed one file per CPU core: the files are split into lanes (:func:`lanes`), one read by this
process itself (its batches go to the store as usual), the others by spawned workers. Each worker
runs an ordinary per-file reader (a function yielding :class:`~communitas.sources.base.Batch` es)
with its own :class:`ReadContext`, writes every batch straight into the store's staging folder
(``ctx.scratch``) and sends back what it counted: skipped rows, warnings, and a small ``state``
dict the source merges (e.g. the tags seen). The parent then yields the staged batches, so the
store loads them exactly as if the source had read sequentially.

Workers are started with the ``spawn`` method (the parent holds an open DuckDB connection and
its threads; forking it is not safe), and without re-running the caller's ``__main__`` script
(which ``spawn`` does by default, so a script calling ``Workspace.ingest`` without an
``if __name__ == "__main__"`` guard would ingest again in every worker). Progress travels through a
queue; an error in any worker (a broken file) cancels the others and is raised in the parent,
before the store is touched.

A source that must see every file's result in one place (the mailing-list source threads the
whole archive) uses :func:`map_in_processes` instead: one picklable result per file, in order.
Both take their worker count from :func:`default_workers` (``$COMMUNITAS_WORKERS``).
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import queue
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from communitas.model import SourceInfo
from communitas.sources.base import Batch, ReadContext

# A per-file reader: reader(arg, ctx, state) -> batches. Must be importable by name.
Reader = Callable[[Any, ReadContext, dict[str, Any]], Iterator[Batch]]

_progress: Any = None  # the worker's end of the progress queue
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Task:
    """One file for one worker: ``reader`` is ``"package.module:function"``."""

    reader: str
    arg: Any
    weight: int = 0  # bytes, to start the largest files first


@dataclass
class _Result:
    staged: list[tuple[str, Path, str]] = field(default_factory=list)  # (table, path, origin)
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


def usable_cpus() -> int:
    """CPU cores this process may run on (``taskset``, container cpusets), not the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def default_workers() -> int:
    """Worker processes to use: ``$COMMUNITAS_WORKERS``, else the usable CPU cores (at most 4)."""
    env = os.environ.get("COMMUNITAS_WORKERS", "")
    return int(env) if env.isdigit() and int(env) > 0 else min(usable_cpus(), 4)


def duckdb_threads() -> int:
    """DuckDB threads for every connection communitas opens: ``$COMMUNITAS_WORKERS`` when set (so
    ``COMMUNITAS_WORKERS=1`` keeps a run on one core), else the usable CPU cores (no cap: the cap
    of 4 on parsing processes is about their memory, not DuckDB's)."""
    env = os.environ.get("COMMUNITAS_WORKERS", "")
    return int(env) if env.isdigit() and int(env) > 0 else usable_cpus()


def _init(progress: Any) -> None:
    global _progress
    _progress = progress


def _report(label: str, done: int, total: int, rows: int) -> None:
    _progress.put((label, done, total, rows))


def _reader(task: Task) -> Reader:
    module, name = task.reader.split(":")
    reader: Reader = getattr(importlib.import_module(module), name)
    return reader


def _run(task: Task, index: int, info: SourceInfo, salt: bytes, keep_bodies: bool,
         scratch: Path) -> _Result:
    from communitas.staging import write_parquet

    reader = _reader(task)
    ctx = ReadContext(info, salt, keep_bodies=keep_bodies, progress=_report, scratch=scratch)
    result = _Result()
    for n, batch in enumerate(reader(task.arg, ctx, result.state)):
        if len(batch):
            path = scratch / f"w{index:03d}-{batch.table}-{n:06d}.parquet"
            if write_parquet(batch, path, ctx):
                result.staged.append((batch.table, path, batch.origin))
    result.skipped, result.warnings = ctx.skipped, ctx.warnings
    return result


# Weight the parent reads while a spawned worker starts (imports its libraries: ~0.45 s), in the
# unit task weights use for Stack Exchange files: bytes of Posts.xml (~106 MB/s on one core).
SPAWN_HEAD = 48 << 20


def lanes(weights: list[int], workers: int, head: int = SPAWN_HEAD) -> tuple[list[int], list[int]]:
    """Split tasks (by their ``weights``) between the parent and ``workers - 1`` spawned workers.

    Largest first, each onto the lane with the least work so far; the workers' lanes start
    ``head`` behind, as a spawned worker first has to start. Returns the task indexes the parent
    reads itself, and those for the workers (largest first).

    >>> lanes([170, 170, 45, 40, 40, 25, 5, 5], 2, head=32)  # a Stack Exchange dump, in MB
    ([0, 2, 4, 6, 7], [1, 3, 5])

    (here 170 + 45 + 40 + 5 + 5 = 265 MB; the worker 32 + 170 + 40 + 25 = 267.)
    """
    load = [0] + [head] * (workers - 1)
    here: list[int] = []
    there: list[int] = []
    for i in sorted(range(len(weights)), key=lambda i: -weights[i]):
        lane = min(range(len(load)), key=lambda k: load[k])
        load[lane] += weights[i]
        (here if lane == 0 else there).append(i)
    return here, there


def read_in_workers(
    tasks: list[Task], ctx: ReadContext, workers: int,
    merge: Callable[[dict[str, Any]], None] = lambda state: None,
) -> Iterator[Batch]:
    """Run ``tasks`` on ``workers`` lanes: this process and ``workers - 1`` spawned ones.

    Yields the parent's batches as it reads them, then the workers' staged batches; ``merge``
    gets each task's state.
    """
    if ctx.scratch is None:
        raise ValueError("read_in_workers needs ctx.scratch (the staging folder)")
    here, there = lanes([t.weight for t in tasks], workers)
    spawn = mp.get_context("spawn")
    progress = spawn.Queue()
    with ProcessPoolExecutor(max(1, workers - 1), mp_context=spawn, initializer=_init,
                             initargs=(progress,)) as pool:
        with _main_hidden():  # the workers start here
            pending: set[Future[_Result]] = {
                pool.submit(_run, tasks[i], i, ctx.info, ctx.salt, ctx.keep_bodies, ctx.scratch)
                for i in there
            }
        try:
            yield from _read_here([tasks[i] for i in here], ctx, merge, progress)
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(progress, ctx)
                for future in done:
                    yield from _collect(future.result(), ctx, merge)
            _drain(progress, ctx)
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def map_in_processes(function: Callable[[T], R], items: list[T], workers: int, *, fork: bool = False
                     ) -> Iterator[R]:
    """``function(item)`` for every item, run in ``workers`` processes; the results in the order of
    ``items`` (each waits for those before it). ``function`` must be a module-level function and
    items and results picklable. An error in any call is raised here, and the calls not started
    yet are cancelled.

    The processes are spawned, as :func:`read_in_workers`' are, unless ``fork``: forked ones start
    at once (nothing is imported again), which only a ``function`` running pure Python (no DuckDB,
    no threads of its own) may ask for; where fork does not exist they are spawned."""
    method = "fork" if fork and "fork" in mp.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max(1, workers), mp_context=mp.get_context(method)) as pool:
        with _main_hidden():  # the workers start here
            futures = [pool.submit(function, item) for item in items]
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def _read_here(tasks: list[Task], ctx: ReadContext, merge: Callable[[dict[str, Any]], None],
               progress: Any) -> Iterator[Batch]:
    """The parent's lane: the same readers, in this process (the store stages the batches)."""
    for task in tasks:
        state: dict[str, Any] = {}
        for batch in _reader(task)(task.arg, ctx, state):
            yield batch
            _drain(progress, ctx)  # the workers' progress bars move meanwhile
        merge(state)


@contextmanager
def _main_hidden() -> Iterator[None]:
    """Start processes as if from an interactive session: ``spawn`` then skips ``__main__``."""
    main = sys.modules["__main__"]
    saved = {k: main.__dict__.pop(k) for k in ("__file__",) if k in main.__dict__}
    spec = getattr(main, "__spec__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.update(saved)
        main.__spec__ = spec


def _drain(progress: Any, ctx: ReadContext) -> None:
    while True:
        try:
            ctx.report_progress(*progress.get_nowait())
        except queue.Empty:
            return


def _collect(result: _Result, ctx: ReadContext, merge: Callable[[dict[str, Any]], None]
             ) -> Iterator[Batch]:
    ctx.skipped.update(result.skipped)
    ctx.warnings.extend(result.warnings)
    merge(result.state)
    for table, path, origin in result.staged:
        yield Batch(table, {}, origin, staged=path)
