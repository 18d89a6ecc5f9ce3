"""Growth and memory at scale: profile, network and report of stores of 1 M, 3 M and 10 M posts,
each under the memory cap (``$COMMUNITAS_MEMORY``), with the growth exponent between sizes.

Usage:
    .venv/bin/python benchmarks/scale.py STORE [STORE ...] [--cap 1GB] [--steps profile network report]
        [--results scale.jsonl]

Each STORE is a store made by ``benchmarks/profile_community.py --posts N --keep STORE`` (a
community drawn by ``communitas synth``); it is opened read-only. Every step is the CLI command a
user runs (``communitas profile --json``, ``communitas network --json``, ``communitas report``), a
whole process started with ``COMMUNITAS_MEMORY=CAP``, measured by ``benchmarks/peers.py``: wall
seconds, CPU seconds (user + system, from ``os.wait4``) and peak RSS (the process's own high-water
mark, ``VmHWM``, read as it exits, plus any child's: never ``ru_maxrss``, which Linux carries
across fork and exec). The growth exponent between
two sizes is ``log(t2 / t1) / log(n2 / n1)`` of CPU seconds (steadier than wall time on a shared
machine) and of wall seconds, ``n`` the number of posts (or of ties, for the network).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from peers import append_results, machine

COMMAND = [sys.executable, "-c", "import sys; from communitas.cli.app import main; main(sys.argv[1:])"]


def size(store: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        posts = int(con.execute("SELECT count(*) FROM posts").fetchall()[0][0])
        members = int(con.execute("SELECT count(DISTINCT author_id) FROM posts").fetchall()[0][0])
    finally:
        con.close()
    return {"posts": posts, "members": members}


def step(name: str, store: Path, cap: str, out: Path) -> dict[str, Any]:
    """Run one CLI step on ``store`` under ``cap``; its measures (and the network's tie count)."""
    from peers import run

    args = {"profile": ["profile", "--json"], "network": ["network", "--json"],
            "report": ["report", "-o", str(out / "report.html")]}[name]
    r = run(f"{name} {store.name}", [*COMMAND, *args, "--store", str(store)],
            env={"COMMUNITAS_MEMORY": cap}, stdout=out / f"{name}.out")
    r.update(step=name, store=str(store), cap=cap)
    if name == "network" and r.get("rc") == 0:
        try:
            windows = json.loads((out / "network.out").read_text())["windows"]
        except ValueError as e:
            r["error"] = f"network output is not JSON ({e})"
            return r
        r["ties"] = sum(int(w["ties"]) for w in windows)
        r["windows"] = len(windows)
        r["largest_window_members"] = max(int(w["members"]) for w in windows)
    return r


def exponents(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for name in sorted({r["step"] for r in rows}):
        done = sorted((r for r in rows if r["step"] == name and r.get("rc") == 0), key=lambda r: r["posts"])
        for a, b in itertools.pairwise(done):
            n = "ties" if name == "network" else "posts"
            grow = math.log(b[n] / a[n])
            out.append(f"{name}: {a['posts']:,} -> {b['posts']:,} posts ({n} x{b[n] / a[n]:.2f}): exponent "
                       f"{math.log(b['cpu_s'] / a['cpu_s']) / grow:.2f} (CPU), "
                       f"{math.log(b['wall_s'] / a['wall_s']) / grow:.2f} (wall)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stores", type=Path, nargs="+")
    ap.add_argument("--cap", default="1GB", help="COMMUNITAS_MEMORY for every step (default 1GB)")
    ap.add_argument("--steps", nargs="+", default=["profile", "network", "report"])
    ap.add_argument("--results", type=Path, help="append one JSON line per step here")
    ap.add_argument("--keep", type=Path, help="keep each step's output in this folder (STORE-STEP.out)")
    args = ap.parse_args()
    print(machine())
    rows = []
    for store in args.stores:
        sized = size(store)
        for name in args.steps:
            with tempfile.TemporaryDirectory() as tmp:
                r = {**step(name, store, args.cap, Path(tmp)), **sized, "load": os.getloadavg()[0]}
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    for f in Path(tmp).iterdir():
                        f.replace(args.keep / f"{store.stem}-{f.name}")
            rows.append(r)
            append_results(args.results, [r])
            ok = "" if r.get("rc") == 0 and "error" not in r else f" FAILED ({r.get('error', r.get('rc'))})"
            ties = f", {r['ties']:,} ties in {r['windows']} windows" if "ties" in r else ""
            print(f"{name:8} {sized['posts']:>11,} posts{ties}: {r['wall_s']:7.1f} s wall "
                  f"{r['cpu_s']:7.1f} s CPU ({r['cpu_s'] / r['wall_s']:.2f} of wall) "
                  f"{r['peak_rss_mb']:7,.0f} MB peak RSS (cap {args.cap}; load {r['load']:.1f}){ok}",
                  flush=True)
    for line in exponents(rows):
        print(line)


if __name__ == "__main__":
    main()
