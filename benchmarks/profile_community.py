"""Time and peak memory of ``build_profile`` (the whole four-component profile) on a synthetic
community of 1 M posts, generated straight into a store with DuckDB SQL.

Usage: .venv/bin/python benchmarks/profile_community.py [--posts 1000000] [--like STORE] [--keep PATH]

The community is drawn by ``communitas synth`` (docs/scale.md): heavy-tailed participation,
newcomers and churn, replies that follow ties and places, growth and decline, fitted to
``--like`` (e.g. a store holding the beer site) or the built-in community.
The profile runs in a fresh child process so its peak RSS is its own; rates are given per
wall-clock second and per CPU second of the child (DuckDB uses both cores; on a busy shared
machine the CPU figure is the steadier one). Target: under 30 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from communitas.store import Workspace


def generate(path: Path, posts: int, like: Path | None, seed: int = 42) -> float:
    """Draw the synthetic community (``communitas synth``, canonical Parquet) and load it into a
    new store at ``path``; returns seconds taken."""
    from communitas.synth import synthesize
    from communitas.synth.parquet import load_into

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        synthesize(Path(tmp) / "synthetic", posts, fmt="parquet", like=like, seed=seed)
        with Workspace(path) as ws:
            load_into(ws.con, Path(tmp) / "synthetic")
            ws.con.execute("CHECKPOINT")
    return time.perf_counter() - started


def child(path: str) -> None:
    """Run in the child: build the profile once, print timings and peak RSS as JSON."""
    from communitas.metrics.profile import build_profile

    with Workspace(path, read_only=True) as ws:
        count = ws.con.execute("SELECT count(*) FROM posts").fetchone()[0]  # type: ignore[index]
        wall, cpu = time.perf_counter(), time.process_time()
        profile = build_profile(ws)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    head = profile["social_interaction"]["headline"]
    print(json.dumps({"posts": count, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak,
                      "threads": head["threads"], "no_response_share": head["no_response_share"],
                      "active_members": profile["people"]["headline"]["active_members"],
                      "overlap_sampled": profile["common_ties"]["headline"]["overlap_sampled_members"]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--like", type=Path, help="Fit the community to this store (default: built in).")
    parser.add_argument("--keep", type=Path, help="Write the store here and keep it.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.duckdb"
        if path.exists():
            path.unlink()
        gen_s = generate(path, args.posts, args.like)
        print(f"generated {args.posts:,} posts in {gen_s:.1f} s")
        out = subprocess.run([sys.executable, __file__, "--child", str(path)], check=True,
                             capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"build_profile: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU "
              f"({r['posts'] / r['wall_s']:,.0f} posts/s wall, {r['posts'] / r['cpu_s']:,.0f} posts/CPU-s); "
              f"peak RSS {r['peak_rss_mb']:,.0f} MB (target < 30 s)")
        print(f"  {r['threads']:,} threads, {r['no_response_share']:.1%} without response, "
              f"{r['active_members']:,} active members, overlap on {r['overlap_sampled']:,} sampled members")


if __name__ == "__main__":
    main()
