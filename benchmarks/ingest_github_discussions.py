"""GitHub Discussions ingest throughput and memory: the real payloadcms file, then a synthetic one.

    .venv/bin/python benchmarks/ingest_github_discussions.py [--discussions 4000]

Each run is in its own child process (its peak RSS is its own), one after the other:

* ``reference``  the standard library alone: ``json.loads`` of every file (the floor any reader
                 of this format pays, with the whole file in memory, which the source avoids);
* ``read``       ``GithubDiscussionsSource.read`` alone, every batch consumed (no store);
* ``ingest``     the whole ingest into a fresh DuckDB store (one transaction).

Times are also given as a ratio to the reference run of the same invocation, which travels better
between machines than messages/s. A message is a discussion, a comment or a reply. The synthetic
export (what ``gh api graphql --paginate`` prints: pages of 100 discussions back to back, each with
0-12 comments of 0-6 replies, ~300 characters of HTML each) is generated in a temporary folder and
never kept.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import re
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PAYLOAD = Path(__file__).resolve().parents[2] / "shared" / "data" / "github-discussions-payloadcms"
_SPACE = re.compile(r"\s*")
WORDS = ["collection", "field", "hook", "access", "config", "deploy", "admin", "upload", "query",
         "migration", "schema"]


def _posts(d: dict[str, Any]) -> int:
    comments = d["comments"]["nodes"] if isinstance(d["comments"], dict) else d["comments"]
    replies = [r for c in comments
               for r in ((c["replies"] or {}).get("nodes", []) if isinstance(c["replies"], dict | None)
                         else c["replies"])]
    return 1 + len(comments) + len(replies)


def _reference(path: str) -> int:
    n = 0
    for p in sorted(Path(path).glob("*.json")):
        decoder, text = json.JSONDecoder(), p.read_text("utf-8")
        at = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
        while at < len(text):
            value, at = decoder.raw_decode(text, at)
            at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
            pages = value if isinstance(value, list) and value and "data" in value[0] else [value]
            for page in pages:
                found = page if isinstance(page, list) else (
                    page.get("data", {}).get("repository", {}).get("discussions", {}).get("nodes", []))
                n += sum(_posts(d) for d in found)  # (stats.json beside the real file: no discussions)
    return n


def _read(path: str) -> int:
    from communitas.model import SourceInfo
    from communitas.sources.base import ReadContext
    from communitas.sources.github_discussions import GithubDiscussionsSource

    ctx = ReadContext(SourceInfo("github-discussions", "bench", path, ""), salt=b"bench")
    return sum(len(b) for b in GithubDiscussionsSource().read(Path(path), ctx) if b.table == "posts")


def _ingest(path: str) -> int:
    from communitas.store import Workspace

    with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "g.duckdb") as ws:
        counts = ws.ingest(path, platform="github-discussions").counts
    return int(counts["posts"])


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
        print(f"{label:>9} {name:<9} {n:>9,} posts in {elapsed:6.2f} s = {n / elapsed:>9,.0f} posts/s, "
              f"{elapsed / ref:4.1f}x the reference; peak RSS {rss:,.0f} MiB", flush=True)


def _html(rng: random.Random) -> str:
    return "<p>" + " ".join(rng.choice(WORDS) for _ in range(45)) + "</p>"


def _node(rng: random.Random, node_id: str, at: str, **kw: Any) -> dict[str, Any]:
    return {"id": node_id, "author": {"login": f"user{rng.randint(1, 3000)}"}, "bodyHTML": _html(rng),
            "createdAt": at, "upvoteCount": 1, **kw}


def synthetic(path: Path, n: int) -> None:
    """``n`` discussions as ``gh api graphql --paginate`` prints them (pages of 100)."""
    rng = random.Random(7)
    with path.open("w") as out:
        for start in range(1, n + 1, 100):
            nodes = []
            for number in range(start, min(start + 100, n + 1)):
                comments = [_node(rng, f"DC_{number}_{i}", "2024-03-01T10:00:00Z", replies={"nodes": [
                    _node(rng, f"DC_{number}_{i}_{j}", "2024-03-02T10:00:00Z")
                    for j in range(rng.randint(0, 6))]}) for i in range(rng.randint(0, 12))]
                nodes.append({"id": f"D_{number}", "number": number, "title": f"question {number}",
                              "bodyHTML": _html(rng), "createdAt": "2024-03-01T09:00:00Z", "upvoteCount": 2,
                              "url": f"https://github.com/acme/widgets/discussions/{number}",
                              "author": {"login": f"user{rng.randint(1, 3000)}"},
                              "category": {"id": "DIC_1", "name": "Q&A", "isAnswerable": True},
                              "answer": {"id": comments[0]["id"]} if comments else None,
                              "comments": {"totalCount": len(comments), "nodes": comments}})
            out.write(json.dumps({"data": {"repository": {"discussions": {"nodes": nodes}}}}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--discussions", type=int, default=4_000)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    if PAYLOAD.exists():
        bench("payload", PAYLOAD)
    with tempfile.TemporaryDirectory() as tmp:
        synthetic(Path(tmp) / "widgets.json", args.discussions)
        bench("synthetic", Path(tmp))


if __name__ == "__main__":
    main()
