"""Discord CSV ingest throughput (rows/s) and peak memory, on a synthetic export made here.

Usage: .venv/bin/python benchmarks/ingest_discord.py [--rows 1000000] [--channels 8]

Writes a DiscordChatExporter-shaped CSV export (gzipped, one file per channel, 2019 ``;``
format, with @mentions, reactions, "Joined the server." lines and 1% of rows from a relay webhook
under 50 names) to a temporary folder, then
measures, each in a fresh child process so peak RSS is the child's own:

* ``read``   — the source alone (both passes, rows built, nothing stored);
* ``ingest`` — ``Workspace.ingest`` into a new DuckDB store (the whole transaction).

Rates are given per wall-clock second and per CPU second of the child (DuckDB may use more
than one core while inserting; on a busy shared machine the CPU figure is the steadier one).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

HEADER = "AuthorID;Author;Date;Content;Attachments;Reactions;\n"
WORDS = ["the", "node", "is", "syncing", "again", "after", "restart", "can", "someone", "check",
         "swap", "status", "wallet", "please", "thanks", "block", "explorer", "release", "notes",
         "update", "version"]


def generate(folder: Path, rows: int, channels: int, seed: int = 7) -> int:
    """Write ``rows`` messages over ``channels`` gzipped CSV files; returns bytes on disk."""
    rng = random.Random(seed)
    authors = [(str(10**17 + i * 7919), f"user{i}#{i % 10000:04d}") for i in range(5000)]
    per = rows // channels
    for c in range(channels):
        t = datetime(2019, 1, 1)
        with gzip.open(folder / f"bench_channel-{c}.csv.gz", "wt", encoding="utf-8",
                       compresslevel=6, newline="") as f:
            f.write(HEADER)
            for i in range(per + (rows % channels if c == 0 else 0)):
                t += timedelta(seconds=rng.choice((0, 10, 30, 60, 120, 600, 3600)))
                aid, name = authors[int(rng.paretovariate(1.2)) % len(authors)]
                if i % 100 == 1:  # a relay webhook posting under 50 bridged people's names
                    aid, name = "999999999999999999", f"bridged{rng.randrange(50)}#0000"
                text = " ".join(rng.choices(WORDS, k=rng.randint(2, 20)))
                if i % 10 == 0:
                    text = f"@{authors[rng.randrange(len(authors))][1].split('#')[0]} {text}"
                if i % 50 == 0:
                    text = "Joined the server."
                react = "👍 (2),🎈 (1)" if i % 20 == 0 else ""
                date = t.strftime("%d-%b-%y %I:%M %p")
                f.write(f'"{aid}";"{name}";"{date}";"{text}";"";"{react}";\n')
    return sum(p.stat().st_size for p in folder.iterdir())


CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from communitas.sources.discord import DiscordSource
from communitas.sources.base import ReadContext
from communitas.store import Workspace
mode, folder, store = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
t, cpu = time.perf_counter(), time.process_time()
if mode == "read":
    src = DiscordSource()
    ctx = ReadContext(src.describe(folder), b"salt", keep_bodies=True)
    n = {}
    for b in src.read(folder, ctx):
        n[b.table] = n.get(b.table, 0) + len(b)
else:
    with Workspace(store) as ws:
        n = ws.ingest(folder, platform="discord").counts
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu, "counts": n,
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def run(mode: str, folder: Path, store: Path) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(folder), str(store)],
                         check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--channels", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="communitas-bench-") as tmp:
        folder = Path(tmp) / "bench-discord"
        folder.mkdir()
        t = time.perf_counter()
        size = generate(folder, args.rows, args.channels)
        print(f"generated {args.rows:,} rows in {args.channels} channels "
              f"({size / 1e6:.1f} MB gzipped) in {time.perf_counter() - t:.1f} s")
        for mode in ("read", "ingest"):
            r = run(mode, folder, Path(tmp) / f"{mode}.duckdb")
            secs, cpu = float(r["seconds"]), float(r["cpu"])  # type: ignore[arg-type]
            rss = int(r["rss_kib"]) / 1024  # type: ignore[call-overload]
            print(f"{mode:7s} {args.rows / secs:>10,.0f} rows/s wall ({secs:.1f} s)  "
                  f"{args.rows / cpu:>10,.0f} rows/s of CPU ({cpu:.1f} s)  peak RSS {rss:,.0f} MiB")
            print(f"        rows written: {r['counts']}")
    print(f"(this process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB)")


if __name__ == "__main__":
    main()
