"""Network analysis at scale: graph build + every whole-network figure + member roles.

Run: .venv/bin/python benchmarks/network.py [--members 200000] [--replies 1150000]

A synthetic community is generated here (never committed) straight into a DuckDB store as
canonical ``members`` and ``posts`` rows: each member asks one question, and ``--replies``
replies go from a uniformly drawn member to a skewed one (a few members receive many replies),
999,889 distinct ties over one year by default. The measured part runs in a child process, so its peak
RSS is its own: the whole-history graph is built by the real path (SQL aggregation in the
store, then igraph), then every figure and every member's role is computed (Leiden, k-cores,
components, sampled betweenness above 5,000 members; Burt constraint is skipped above 20,000).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SID = "bench:synthetic"


def generate(path: Path, members: int, replies: int) -> None:
    from communitas.store import Workspace

    with Workspace(path) as ws:
        con = ws.con
        con.execute("SELECT setseed(0.42)")
        con.execute(f"""INSERT INTO members (member_id, source_id, native_id, is_bot, is_system)
            SELECT 'm' || i, '{SID}', i::VARCHAR, false, false FROM range({members}) t(i)""")
        con.execute(f"""INSERT INTO posts (post_id, source_id, thread_id, author_id, created_at, kind,
                                           is_contribution)
            SELECT 'q' || i, '{SID}', 't' || i, 'm' || i,
                   TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds((i * 157) % 31536000),
                   'question', true FROM range({members}) t(i)""")
        con.execute(f"""INSERT INTO posts (post_id, source_id, thread_id, author_id, created_at,
                                           reply_to_member_id, kind, is_contribution)
            SELECT 'r' || i, '{SID}', 't' || tgt, 'm' || src,
                   TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds((i * 7919) % 31536000),
                   'm' || tgt, 'answer', true
            FROM (SELECT i, floor(random() * {members})::BIGINT AS src,
                         floor({members} * pow(random(), 2.2))::BIGINT AS tgt FROM range({replies}) t(i))""")
        con.execute(f"INSERT INTO sources (source_id, platform, name) VALUES ('{SID}', 'bench', 'synthetic')")
        con.execute("CHECKPOINT")


def measure(path: Path) -> None:
    from communitas.network.figures import figures, leiden, undirected
    from communitas.network.graph import whole_history, window_graphs
    from communitas.network.roles import member_roles
    from communitas.network.stages import classify_stage
    from communitas.store import Workspace

    steps: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        steps[name] = now - t
        t = now

    with Workspace(path, read_only=True) as ws:
        backend = ws.ibis()
        g = window_graphs(backend, whole_history(backend))[-1]
        lap("build (SQL aggregation + igraph)")
        u = undirected(g)
        parts = leiden(u)
        lap("undirected shadow + Leiden")
        fig = figures(g, u=u, parts=parts)
        stage = classify_stage(fig)
        lap("other whole-network figures + stage")
        roles = member_roles(g, u=u, parts=parts)
        lap("roles (sampled betweenness, cores, flags)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = sum(steps.values())
    print(f"graph: {fig['members']:,} members, {fig['ties']:,} ties, {fig['interactions']:,.0f} replies")
    for name, secs in steps.items():
        print(f"  {name:<44} {secs:6.2f} s")
    print(f"  {'total':<44} {total:6.2f} s  ({fig['ties'] / total:,.0f} ties/s, {len(roles):,} member rows)")
    print(f"stage: {stage}; communities: {fig['communities']:,}; modularity {fig['modularity']:.3f}; "
          f"max core {fig['max_core']}")
    print(f"peak RSS (measuring process): {rss:,.0f} MiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=200_000)
    ap.add_argument("--replies", type=int, default=1_000_000)
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(args.measure)
        return
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "bench.duckdb"
        t = time.perf_counter()
        generate(store, args.members, args.replies)
        took = time.perf_counter() - t
        print(f"generated {args.members:,} members / {args.replies:,} replies in {took:.1f} s")
        subprocess.run([sys.executable, __file__, "--measure", str(store)], check=True)


if __name__ == "__main__":
    main()
