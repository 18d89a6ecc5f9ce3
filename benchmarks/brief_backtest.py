"""Benchmark: the brief and its backtest (``communitas brief --backtest``) on a synthetic
community of 1 M posts, drawn by ``communitas synth`` (``benchmarks/profile_community.py``'s
``generate``), its built-in community or one fitted to a store (``--like``).

Usage: .venv/bin/python benchmarks/brief_backtest.py [--posts 1000000] [--like STORE] [--every 30d]
[--keep PATH]

Each contender runs in its own child process (its own peak RSS), on the same store, one after
the other:

* ``reference``  one DuckDB pass over the posts (count, distinct authors, per-thread first post):
  the floor a machine and its load give, so the others can be read as a ratio to it;
* ``brief``      ``communitas.brief.items`` as of the end (every kind);
* ``backtest``   ``communitas.brief.backtest.run`` (every predictive kind, every ``--every``; on a
                 large store its dates go to worker processes, ``$COMMUNITAS_WORKERS`` of them,
                 default the usable cores: their CPU time is counted, their peak RSS shown apart).

Printed per contender: wall and CPU seconds, posts per wall second, peak RSS, the ratios of
time and peak RSS to the reference, and the one-minute load average before and after it.
Target (issue 11): brief + backtest under 2 minutes on a 2-core machine. The generated store is
removed unless ``--keep``; never commit it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from communitas.store import Workspace

sys.path.insert(0, str(Path(__file__).parent))
from profile_community import generate  # the benchmarks' shared generator

REFERENCE = """SELECT count(*), count(DISTINCT author_id),
                      (SELECT count(*) FROM (SELECT thread_id, min(created_at) FROM posts GROUP BY thread_id))
               FROM posts"""


def _kids() -> resource.struct_rusage:
    return resource.getrusage(resource.RUSAGE_CHILDREN)


def child(path: str, which: str, every: str) -> None:
    """In the child: run one contender, print ``{wall_s, cpu_s, peak_rss_mb, worker_rss_mb, detail}``
    as JSON (``cpu_s`` counts the backtest's worker processes too; ``worker_rss_mb`` is the
    largest worker's peak)."""
    with Workspace(path, read_only=which != "backtest") as ws:
        before = _kids()
        wall, cpu = time.perf_counter(), time.process_time()
        detail: Any
        if which == "reference":
            detail = ws.con.execute(REFERENCE).fetchall()[0][0]
        elif which == "brief":
            from communitas import brief

            items = brief.items(ws)
            detail = {k: sum(i["kind"] == k for i in items) for k in sorted({i["kind"] for i in items})}
        else:
            from communitas.brief import backtest

            rows = backtest.run(ws, every=every)
            detail = {f"{r['kind']} {r['measure']}": [r["value"], r["baseline_value"], r["lift"], r["dates"]]
                      for r in rows}
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        after = _kids()
        cpu += (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak,
                      "worker_rss_mb": after.ru_maxrss / 1024, "detail": detail}, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--like", type=Path, help="Fit the synthetic community to this store.")
    parser.add_argument("--every", default="30d")
    parser.add_argument("--keep", type=Path, help="Write the store here and keep it (reused if there).")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, {mp.cpu_count()} CPUs",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.duckdb"
        if not path.exists():
            took = generate(path, args.posts, args.like)
            print(f"generated {args.posts:,} posts in {took:.1f} s", flush=True)
        ref: dict[str, float] = {}
        for which in ("reference", "brief", "backtest"):
            load = os.getloadavg()[0]
            out = subprocess.run([sys.executable, __file__, "--child", str(path), which, args.every],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            ref = ref or r
            print(f"{which}: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU "
                  f"({args.posts / r['wall_s']:,.0f} posts/s), peak RSS {r['peak_rss_mb']:,.0f} MB; "
                  f"x{r['wall_s'] / ref['wall_s']:.0f} the reference's time, "
                  f"x{r['peak_rss_mb'] / ref['peak_rss_mb']:.1f} its peak RSS"
                  + (f"; workers' peak RSS {r['worker_rss_mb']:,.0f} MB each at most"
                     if r["worker_rss_mb"] > 0 else "")
                  + f"; load average {load:.1f} before, {os.getloadavg()[0]:.1f} after", flush=True)
            if which != "reference":
                print(f"  {r['detail']}", flush=True)


if __name__ == "__main__":
    main()
