"""Reddit reader: throughput and peak memory on a synthetic Pushshift NDJSON dump, as a ratio to a
plain ``json.loads`` line loop over the same file, measured in the same run.

    .venv/bin/python benchmarks/ingest_reddit.py [--mb 1024] [--dir /tmp/reddit-bench] [--ingest] [--keep]

It writes ``RC_2030-01.ndjson`` of about ``--mb`` MB (comments shaped like the 2005 sample's 18
keys, 20,000 authors, 1 thread per 10 comments, submissions absent) and the same file cut at a
quarter, then runs each contender in its own child process (so each peak RSS is its own):

* ``json.loads loop``   read the file line by line and decode each line (the reference);
* ``communitas read``   ``RedditSource.read`` with every batch consumed (and dropped);
* ``communitas ingest`` (``--ingest``) the whole ingest into a fresh DuckDB store.

Flat memory: the reader's peak RSS on the quarter file and on the whole file differ by its
per-post id set (8 bytes a comment) and per-thread first time (1 thread per 10 comments), not by
the text read. The generated files are removed unless ``--keep``; never commit them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import random
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path

Result = tuple[int, float, float]  # lines or posts, wall s, peak RSS MB
WORDS = ("the", "community", "reddit", "thread", "reply", "link", "python", "data", "good", "why",
         "because", "I", "think", "this", "is", "not", "a", "great", "idea", "but", "works")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reference(path: str) -> Result:
    t, n = time.perf_counter(), 0
    with open(path, "rb") as f:
        for line in f:
            json.loads(line)
            n += 1
    return n, time.perf_counter() - t, _rss_mb()


def _read(path: str) -> Result:
    from communitas.model import SourceInfo
    from communitas.sources.base import ReadContext
    from communitas.sources.reddit import RedditSource

    t = time.perf_counter()
    ctx = ReadContext(SourceInfo("reddit", "bench", path, ""), b"salt")
    n = sum(len(b) for b in RedditSource().read(Path(path), ctx) if b.table == "posts")
    return n, time.perf_counter() - t, _rss_mb()


def _ingest(path: str) -> Result:
    import tempfile

    from communitas.store import Workspace

    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as d, Workspace(Path(d) / "b.duckdb") as ws:
        n = ws.ingest(Path(path), platform="reddit").counts["posts"]
    return n, time.perf_counter() - t, _rss_mb()


def _child(fn: Callable[[str], Result], path: str, q: mp.Queue) -> None:  # type: ignore[type-arg]
    q.put(fn(path))


def _once(fn: Callable[[str], Result], path: str) -> Result:
    spawn = mp.get_context("spawn")
    q = spawn.Queue()
    p = spawn.Process(target=_child, args=(fn, path, q))
    p.start()
    result: Result = q.get()
    p.join()
    return result


def generate(path: Path, mb: int, seed: int = 7) -> int:
    """Write about ``mb`` MB of comment lines; returns how many."""
    rng = random.Random(seed)
    limit, size, n = mb << 20, 0, 0
    with path.open("w", encoding="utf-8") as f:
        while size < limit:
            n += 1
            link = max(1, n // 10 - rng.randrange(50))
            parent = f"t3_{link:x}" if rng.random() < 0.6 else f"t1_{max(1, n - rng.randrange(1, 40)):x}"
            body = " ".join(rng.choices(WORDS, k=rng.randrange(5, 80)))
            line = json.dumps({
                "author": f"user{rng.randrange(20_000)}", "body": body, "controversiality": 0,
                "created_utc": 1_893_456_000 + n, "distinguished": None, "edited": False, "gilded": 0,
                "id": f"{n:x}", "link_id": f"t3_{link:x}", "parent_id": parent, "retrieved_on": 0,
                "score": rng.randrange(-5, 50), "stickied": False, "subreddit": "bench",
                "subreddit_id": "t5_b", "ups": 1, "author_flair_text": None,
                "author_flair_css_class": None}) + "\n"
            f.write(line)
            size += len(line)
    return n


def _cut(src: Path, dst: Path, fraction: float) -> None:
    limit = int(src.stat().st_size * fraction)
    with src.open("rb") as f, dst.open("wb") as out:
        done = 0
        for line in f:
            if done >= limit:
                break
            out.write(line)
            done += len(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=1024)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/reddit-bench"))
    ap.add_argument("--ingest", action="store_true", help="also time a whole ingest into DuckDB")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    whole, quarter = args.dir / "whole" / "RC_2030-01.ndjson", args.dir / "quarter" / "RC_2030-01.ndjson"
    whole.parent.mkdir(exist_ok=True)
    quarter.parent.mkdir(exist_ok=True)
    lines = generate(whole, args.mb)
    _cut(whole, quarter, 0.25)
    print(f"machine: {platform.machine()}, {platform.processor() or '?'}, "
          f"Python {platform.python_version()}, {mp.cpu_count()} CPUs; "
          f"file {whole.stat().st_size / 1e6:,.0f} MB, {lines:,} comments")
    try:
        runs = [("json.loads loop", _reference), ("communitas read", _read)]
        if args.ingest:
            runs.append(("communitas ingest", _ingest))
        for label, fn in runs:
            for which, path in (("quarter", quarter), ("whole", whole)):
                n, wall, rss = _once(fn, str(path))
                mb = path.stat().st_size / 1e6
                print(f"{label} [{which}]: {n:,} in {wall:.1f} s = {n / wall:,.0f}/s, {mb / wall:.1f} MB/s, "
                      f"peak RSS {rss:,.0f} MB")
    finally:
        if not args.keep:
            shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
