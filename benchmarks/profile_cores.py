"""How many cores the profile keeps busy: ``build_profile`` with its groups of queries in turn and at
once (``communitas.metrics.concurrent``), each in a fresh process, one after the other, so both
see the same load.

Usage:
    .venv/bin/python benchmarks/profile_cores.py STORE [--runs 2] [--threads 2] [--results FILE.jsonl]

STORE is opened read-only (e.g. one made by ``benchmarks/profile_community.py``). For each run:
wall and CPU seconds of ``build_profile`` (the process's user + system time; DuckDB's threads
included), peak RSS (``VmHWM``) and whether the profile equals the first run's. On a machine
other processes load, CPU/wall only shows the share of the cores the process got: compare the
pairs' wall times, or run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from peers import append_results, hwm_mb, machine


def child(store: str, threads: int, out: str) -> None:
    """In the child: one profile, its measures as one JSON line."""
    from communitas.metrics import concurrent
    from communitas.metrics.profile import build_profile
    from communitas.store import Workspace

    concurrent.workers = lambda: threads  # type: ignore[assignment]
    with Workspace(store, read_only=True) as ws:
        before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        profile = build_profile(ws)
        wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
    Path(out).write_text(json.dumps(profile))
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(json.dumps({"threads": threads, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": hwm_mb()}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--runs", type=int, default=2, help="pairs of runs (in turn, at once)")
    ap.add_argument("--threads", type=int, default=2, help="threads at once (default 2)")
    ap.add_argument("--results", type=Path)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return
    print(machine())
    first: str | None = None
    for _ in range(args.runs):
        for threads in (1, args.threads):
            out = Path(f"/tmp/profile_cores-{os.getpid()}.json")
            done = subprocess.run([sys.executable, __file__, str(args.store), "--child", str(args.store),
                                   str(threads), str(out)],
                                  capture_output=True, text=True, check=True)
            r: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
            text = out.read_text()
            out.unlink()
            first = first or text
            r.update(same_profile=text == first, load=os.getloadavg()[0], store=str(args.store))
            append_results(args.results, [r])
            print(f"groups {'in turn' if threads == 1 else f'at once ({threads} threads)':22} "
                  f"{r['wall_s']:7.1f} s wall {r['cpu_s']:6.1f} s CPU "
                  f"({r['cpu_s'] / r['wall_s']:.2f} of wall) {r['peak_rss_mb']:6,.0f} MB peak; "
                  f"same profile: {r['same_profile']}; load {r['load']:.1f}", flush=True)


if __name__ == "__main__":
    main()
