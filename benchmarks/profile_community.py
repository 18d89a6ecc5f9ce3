"""Time and peak memory of ``build_profile`` (the whole four-component profile) on a synthetic
community of 1 M posts, generated straight into a store with DuckDB SQL.

Usage: .venv/bin/python benchmarks/profile_community.py [--posts 1000000] [--members 50000] [--keep PATH]

The community: ``--members`` members (1 in 500 a bot) whose activity is heavily skewed, threads
(one in five posts opens one) over 300 tags (1-3 per thread, skewed) across five years, answers
and comments arriving after their question (exponential delays, some threads never answered).
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

SID = "bench:synthetic"
TAGS = 300
SPAN_DAYS = 5 * 365

GENERATE = [
    "SELECT setseed(0.42)",
    f"""INSERT INTO sources (source_id, platform, name) VALUES ('{SID}', 'bench', 'synthetic')""",
    f"""INSERT INTO members (member_id, source_id, native_id, is_bot, is_system)
        SELECT '{SID}:u:' || i, '{SID}', i::VARCHAR, i % 500 = 7, i = 0 FROM range($members) t(i)""",
    f"""INSERT INTO places (place_id, source_id, native_id, kind, name)
        SELECT '{SID}:tag:' || i, '{SID}', i::VARCHAR, 'tag', 'tag' || i FROM range({TAGS}) t(i)""",
    # Threads: skewed starters, spread over the span.
    f"""CREATE TEMP TABLE th AS SELECT i AS n,
          floor($members * pow(random(), 2.5))::BIGINT AS author,
          TIMESTAMPTZ '2019-01-01 00:00:00+00' + to_seconds(CAST(i * {SPAN_DAYS} * 86400.0 / $threads
              + random() * 3600 AS BIGINT)) AS created,
          floor({TAGS} * pow(random(), 2))::BIGINT AS tag, (random() * 3)::INT AS extra
        FROM range($threads) t(i)""",
    f"""INSERT INTO threads (thread_id, source_id, native_id, place_id, author_id, created_at,
          accepted_post_id)
        SELECT '{SID}:t:' || n, '{SID}', n::VARCHAR, '{SID}:tag:' || tag, '{SID}:u:' || author,
          created, CASE WHEN n % 3 = 0 THEN '{SID}:r:' || n ELSE NULL END FROM th""",
    f"""INSERT INTO thread_places (thread_id, place_id, source_id, position)
        SELECT DISTINCT '{SID}:t:' || n, '{SID}:tag:' || ((tag + k * 37) % {TAGS}), '{SID}', k
        FROM th, range(3) r(k) WHERE k <= extra""",
    f"""INSERT INTO posts (post_id, source_id, native_id, thread_id, author_id, created_at, kind,
          is_contribution, length)
        SELECT '{SID}:p:' || n, '{SID}', n::VARCHAR, '{SID}:t:' || n, '{SID}:u:' || author,
          created, 'question', true, 400 FROM th""",
    # Replies: each to a random thread, after it, by a skewed author.
    f"""INSERT INTO posts (post_id, source_id, native_id, thread_id, author_id, created_at,
          reply_to_post_id, reply_to_member_id, kind, is_contribution, length)
        SELECT '{SID}:r:' || r.i, '{SID}', r.i::VARCHAR, '{SID}:t:' || th.n,
          '{SID}:u:' || floor($members * pow(random(), 3))::BIGINT,
          th.created + to_seconds(CAST(-ln(1 - random()) * 36000 AS BIGINT)),
          '{SID}:p:' || th.n, '{SID}:u:' || th.author,
          CASE WHEN r.i % 5 < 3 THEN 'answer' ELSE 'comment' END, true, 200
        FROM (SELECT i, floor(pow(random(), 1.3) * $threads)::BIGINT AS t FROM range($replies) x(i)) r
        JOIN th ON th.n = r.t""",
    "DROP TABLE th",
]


def generate(path: Path, posts: int, members: int) -> float:
    """Write the synthetic community into a new store at ``path``; returns seconds taken."""
    threads = posts // 5
    params = {"$members": str(members), "$threads": str(threads), "$replies": str(posts - threads)}
    started = time.perf_counter()
    with Workspace(path) as ws:
        for stmt in GENERATE:
            for key, value in params.items():
                stmt = stmt.replace(key, value)
            ws.con.execute(stmt)
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
    parser.add_argument("--members", type=int, default=50_000)
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
        gen_s = generate(path, args.posts, args.members)
        print(f"generated {args.posts:,} posts, {args.members:,} members in {gen_s:.1f} s")
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
