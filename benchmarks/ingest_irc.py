"""IRC log reader: throughput and peak memory on generated Limnoria channel logs, as a ratio to a
plain loop that reads the same lines and matches one regular expression each, in the same run.

    .venv/bin/python benchmarks/ingest_irc.py [--mb 256] [--dir /tmp/irc-bench] [--ingest] [--keep]

It writes one channel (``#bench/#bench.<date>.log``, one file a day) of about ``--mb`` MB: 2,000
nicks, talk in bursts with 40-minute silences, a quarter of the lines addressed (``nick: ...``),
joins and quits, and the same channel cut at a quarter of its days. Each contender runs in its own
child process (its own peak RSS):

* ``regex loop``        read every line and match the Limnoria message pattern (the reference);
* ``communitas read``   ``IrcSource.read`` with every batch consumed (and dropped);
* ``communitas ingest`` (``--ingest``) the whole ingest into a fresh DuckDB store.

The generated files are removed unless ``--keep``; never commit them.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import random
import re
import resource
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

Result = tuple[int, float, float]  # messages, wall s, peak RSS MB
WORDS = ("the", "build", "is", "broken", "again", "did", "you", "try", "restart", "works", "for", "me",
         "ceph", "osd", "patch", "merged", "thanks", "ok", "why", "because")
_REF = re.compile(r"^(\S+)\s+<([^>\s]+)> (.*)$")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reference(folder: str) -> Result:
    t, n = time.perf_counter(), 0
    for p in sorted(Path(folder).rglob("*.log")):
        with p.open("rb") as f:
            for raw in f:
                n += _REF.match(raw.decode("utf-8")) is not None
    return n, time.perf_counter() - t, _rss_mb()


def _read(folder: str) -> Result:
    from communitas.model import SourceInfo
    from communitas.sources.base import ReadContext
    from communitas.sources.irc import IrcSource

    t = time.perf_counter()
    ctx = ReadContext(SourceInfo("irc", "bench", folder, ""), b"salt")
    n = sum(len(b) for b in IrcSource().read(Path(folder), ctx) if b.table == "posts")
    return n, time.perf_counter() - t, _rss_mb()


def _ingest(folder: str) -> Result:
    import tempfile

    from communitas.store import Workspace

    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as d, Workspace(Path(d) / "b.duckdb") as ws:
        n = ws.ingest(Path(folder), platform="irc").counts["posts"]
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


def _line(rng: random.Random, at: datetime, nicks: list[str]) -> str:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S+0000  ")
    who, r = rng.choice(nicks), rng.random()
    if r < 0.05:
        return f"{stamp}*** {who} <{who}!~{who}@example.org> has joined #bench"
    if r < 0.08:
        return f"{stamp}*** {who} has quit IRC"
    text = " ".join(rng.choices(WORDS, k=rng.randrange(3, 25)))
    if r < 0.33:
        text = f"{rng.choice(nicks)}: {text}"
    return f"{stamp}<{who}> {text}"


def generate(folder: Path, mb: int, seed: int = 5) -> int:
    """About ``mb`` MB of daily log files; returns the days written."""
    rng = random.Random(seed)
    nicks = [f"nick{i}" for i in range(2000)]
    limit, size, day = mb << 20, 0, 0
    at = datetime(2020, 1, 1, tzinfo=UTC)
    while size < limit:
        lines, start = [], at.date()
        while at.date() == start:
            at += timedelta(seconds=rng.choice([5, 20, 60, 120]) if rng.random() > 0.02 else 2400)
            lines.append(_line(rng, at, nicks))
        text = "\n".join(lines) + "\n"
        (folder / f"#bench.{start}.log").write_text(text)
        size, day = size + len(text), day + 1
    return day


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=256)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/irc-bench"))
    ap.add_argument("--ingest", action="store_true", help="also time a whole ingest into DuckDB")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    whole, quarter = args.dir / "whole" / "#bench", args.dir / "quarter" / "#bench"
    whole.mkdir(parents=True, exist_ok=True)
    quarter.mkdir(parents=True, exist_ok=True)
    days = generate(whole, args.mb)
    for p in sorted(whole.iterdir())[: max(1, days // 4)]:
        shutil.copy(p, quarter / p.name)
    size = sum(p.stat().st_size for p in whole.iterdir()) / 1e6
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, {mp.cpu_count()} CPUs; "
          f"{size:,.0f} MB of logs, {days:,} days", flush=True)
    try:
        runs = [("regex loop", _reference), ("communitas read", _read)]
        if args.ingest:
            runs.append(("communitas ingest", _ingest))
        for label, fn in runs:
            for which, path in (("quarter", quarter.parent), ("whole", whole.parent)):
                n, wall, rss = _once(fn, str(path))
                mb = sum(p.stat().st_size for p in path.rglob("*.log")) / 1e6
                print(f"{label} [{which}]: {n:,} messages in {wall:.1f} s = {n / wall:,.0f}/s, "
                      f"{mb / wall:.1f} MB/s, peak RSS {rss:,.0f} MB", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
