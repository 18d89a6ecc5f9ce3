"""Discourse ingest throughput: the real Delving Bitcoin tar.gz, then a synthetic post-file dump.

Run: .venv/bin/python benchmarks/ingest_discourse.py [--posts 100000]

Each ingest runs in a child process so its peak RSS is its own. The synthetic dump is generated
here (never committed): N post files (``/posts/<id>.json`` shape, ~1.5 KB of Markdown each) in
topics of 1-40 posts, packed as a .tar.gz like the Delving archive.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import random
import resource
import tarfile
import tempfile
import time
from pathlib import Path

DELVING = Path(__file__).resolve().parents[2] / "shared" / "data" / "discourse-delvingbitcoin" / \
    "delvingbitcoin-posts.tar.gz"


def _synthetic(path: Path, n_posts: int) -> None:
    rng = random.Random(5)
    topic, number = 1, 0
    with tarfile.open(path, "w:gz", compresslevel=6) as tar:
        for pid in range(1, n_posts + 1):
            number += 1
            if number > rng.randint(1, 40):
                topic, number = topic + 1, 1
            post = {"id": pid, "post_number": number, "topic_id": topic, "post_type": 1,
                    "user_id": rng.randint(1, 2000), "username": f"user{rng.randint(1, 2000)}",
                    "created_at": f"2024-{1 + pid % 12:02d}-{1 + pid % 28:02d}T10:00:00.000Z",
                    "reply_to_post_number": rng.randint(1, number - 1) if number > 2 and pid % 2 else None,
                    "trust_level": rng.randint(0, 4), "staff": False, "moderator": False,
                    "topic_title": f"topic {topic}", "category_id": 1 + topic % 8,
                    "actions_summary": [{"id": 2, "count": rng.randint(0, 3)}],
                    "reactions": [{"id": "+1", "type": "emoji", "count": rng.randint(0, 2)}],
                    "raw": " ".join(rng.choice(["bitcoin", "script", "fee", "node", "relay"])
                                    for _ in range(250))}
            data = json.dumps(post).encode()
            info = tarfile.TarInfo(f"archive/posts/{pid:010d}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _ingest(path: str, store: str, out: mp.Queue) -> None:  # type: ignore[type-arg]
    from communitas.store import Workspace

    started = time.perf_counter()
    with Workspace(store) as ws:
        report = ws.ingest(path, platform="discourse")
    out.put((time.perf_counter() - started, report.counts["posts"],
             resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def _measure(label: str, path: Path, store: Path) -> None:
    q: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    child = mp.Process(target=_ingest, args=(str(path), str(store), q))
    child.start()
    elapsed, posts, rss_kb = q.get()
    child.join()
    mb = path.stat().st_size / 1e6
    print(f"{label}: {posts:,} posts in {elapsed:.2f} s = {posts / elapsed:,.0f} posts/s, "
          f"{mb / elapsed:.1f} MB/s compressed ({mb:.1f} MB); peak RSS {rss_kb / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        if DELVING.exists():
            _measure("delvingbitcoin (real)", DELVING, tmpdir / "real.duckdb")
        synthetic = tmpdir / "synthetic-posts.tar.gz"
        started = time.perf_counter()
        _synthetic(synthetic, args.posts)
        print(f"generated {args.posts:,} synthetic post files in {time.perf_counter() - started:.1f} s")
        _measure("synthetic", synthetic, tmpdir / "synthetic.duckdb")


if __name__ == "__main__":
    main()
