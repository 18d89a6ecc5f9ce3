"""Zulip ingest throughput and memory: the real zulip-archive sample, then a synthetic one.

    .venv/bin/python benchmarks/ingest_zulip.py [--messages 200000]

Each run is in its own child process (its peak RSS is its own), one after the other:

* ``reference``  the standard library alone: gunzip and ``json.loads`` every topic file (the
                 floor any reader of this format pays);
* ``read``       ``ZulipSource.read`` alone, every batch consumed (no store);
* ``ingest``     the whole ingest into a fresh DuckDB store (one transaction).

Times are also given as a ratio to the reference run of the same invocation, which travels better
between machines than messages/s. The synthetic export (zulip-archive layout, a gzip'd JSON file
per topic, ~300 characters of HTML per message, mentions and quotes) is generated in a temporary
folder and never kept.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing as mp
import os
import platform
import random
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

BRLCAD = Path(__file__).resolve().parents[2] / "shared" / "data" / "zulip-brlcad"
WORDS = ["mesh", "brep", "raytrace", "tessellate", "commit", "build", "cmake", "gsoc", "mentor", "patch",
         "ticket", "geometry"]


def _reference(path: str) -> int:
    n = 0
    for p in Path(path).rglob("*.json.gz"):
        if p.name != "stream_index.json.gz":
            n += len(json.loads(gzip.decompress(p.read_bytes())))
    return n


def _read(path: str) -> int:
    from communitas.model import SourceInfo
    from communitas.sources.base import ReadContext
    from communitas.sources.zulip import ZulipSource

    ctx = ReadContext(SourceInfo("zulip", "bench", path, ""), salt=b"bench")
    return sum(len(b) for b in ZulipSource().read(Path(path), ctx) if b.table in ("posts", "events"))


def _ingest(path: str) -> int:
    from communitas.store import Workspace

    with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "z.duckdb") as ws:
        counts = ws.ingest(path, platform="zulip").counts
    return counts["posts"] + counts["events"]


def _child(fn: Callable[[str], int], path: str, q: mp.Queue) -> None:  # type: ignore[type-arg]
    started = time.perf_counter()
    try:
        n = fn(path)
    except BaseException as e:
        q.put(e)
        raise
    q.put((time.perf_counter() - started, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def _run(fn: Callable[[str], int], path: Path) -> tuple[float, int, float]:
    spawn = mp.get_context("spawn")  # a fresh interpreter: each run pays its own imports
    q: mp.Queue = spawn.Queue()  # type: ignore[type-arg]
    child = spawn.Process(target=_child, args=(fn, str(path), q))
    child.start()
    result = q.get()
    child.join()
    if isinstance(result, BaseException):
        raise SystemExit(f"{fn.__name__} failed on {path}: {result!r}")
    return result  # type: ignore[no-any-return]


def bench(label: str, path: Path) -> None:
    ref = None
    for name, fn in (("reference", _reference), ("read", _read), ("ingest", _ingest)):
        elapsed, n, rss = _run(fn, path)
        ref = ref or elapsed
        print(f"{label:>9} {name:<9} {n:>9,} messages in {elapsed:6.2f} s = {n / elapsed:>9,.0f} msg/s, "
              f"{elapsed / ref:4.1f}x the reference; peak RSS {rss:,.0f} MiB", flush=True)


def synthetic(root: Path, n: int) -> None:
    """A zulip-archive export of ``n`` messages: 6 streams, topics of 1-300 messages."""
    rng = random.Random(7)
    index: dict[str, dict[str, object]] = {}
    mid, at = 1000, 1_500_000_000
    while mid - 1000 < n:
        stream = rng.randrange(6)
        folder = root / f"{100 + stream}-stream-{stream}"
        folder.mkdir(parents=True, exist_ok=True)
        topic = f"topic {mid} {rng.choice(WORDS)}"
        msgs = []
        for _ in range(min(rng.randint(1, 300), n - (mid - 1000))):
            mid, at = mid + 1, at + rng.randint(1, 4000)
            who = f"Member {rng.randint(1, 3000)}"
            text = " ".join(rng.choice(WORDS) for _ in range(45))
            if rng.random() < 0.1:
                mention = f"@Member {rng.randint(1, 3000)}"
                text = f'<span class="user-mention" data-user-id="1">{mention}</span> {text}'
            msgs.append({"content": f"<p>{text}</p>", "id": mid, "sender_full_name": who, "timestamp": at})
        name = quote(topic, safe="").replace(".", "%2E").replace("%", ".")
        (folder / f"{name}.json.gz").write_bytes(gzip.compress(json.dumps(msgs).encode(), 6))
        entry = index.setdefault(f"stream {stream}", {"id": 100 + stream, "topic_data": {}})
        entry["topic_data"][topic] = {"size": len(msgs)}  # type: ignore[index]
    (root / "stream_index.json.gz").write_bytes(gzip.compress(json.dumps({"streams": index}).encode()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    if BRLCAD.exists():
        bench("brlcad", BRLCAD)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "zulip_json"
        synthetic(root, args.messages)
        bench("synthetic", root)


if __name__ == "__main__":
    main()
