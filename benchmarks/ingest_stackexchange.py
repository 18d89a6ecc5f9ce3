"""Benchmark: ingest a Stack-Exchange-shaped dump of >= 500 MB of XML into a fresh store.

Generates the dump (synthetic, written to a scratch folder, never committed) with the real
files' row shapes, roughly their byte proportions and some non-ASCII text (``--form 7z``: then
packed as one BZip2 .7z per file, as Stack Overflow is published), then runs
``communitas ingest`` in a child process pinned to one core (the per-core figure), and again
on every usable core, and reports XML MB/s (wall and per CPU-second), rows/s and the child's
peak RSS.

    .venv/bin/python benchmarks/ingest_stackexchange.py [--mb 500] [--dir bench-data/se] [--form 7z]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

_VOCABULARY = ("beer hops malt yeast lager ale stout porter barley wheat brewing ferment bottle keg "
               "glass aroma bitter sweet sour flavour taste style temperature cellar cask draught "
               "pint label abbey trappist belgian german czech pilsner ipa session imperial")
WORDS = _VOCABULARY.split()
NON_ASCII = ("Märzen", "Kölsch", "café", "naïve", "—", "it’s", "“good”", "Weißbier", "ビール")
# share of the XML bytes per file, close to real dumps (PostHistory and Posts dominate)
SHARES = {"Posts": 0.34, "PostHistory": 0.34, "Comments": 0.09, "Users": 0.08, "Votes": 0.08,
          "Badges": 0.05, "PostLinks": 0.01, "Tags": 0.01}
DATE = "2019-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}"


def _date(rng: random.Random) -> str:
    return DATE.format(rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                       rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999))


def _text(rng: random.Random, n: int) -> str:
    words = rng.choices(WORDS, k=n)
    if rng.random() < 0.15:  # like real dumps: ~1 text in 7 has a non-ASCII character
        words[rng.randrange(n)] = rng.choice(NON_ASCII)
    return " ".join(words)


def _row(kind: str, i: int, rng: random.Random, bodies: list[str], n_users: int) -> str:
    user = rng.randint(1, n_users)
    if kind == "Posts":
        if i % 3 == 1:
            tags = "".join(f"<{t}>" for t in rng.sample(WORDS, 3))
            return (f'<row Id="{i}" PostTypeId="1" AcceptedAnswerId="{i + 1}" CreationDate="{_date(rng)}" '
                    f'Score="{rng.randint(-2, 40)}" ViewCount="{rng.randint(10, 9999)}" '
                    f'Body={quoteattr(rng.choice(bodies))} OwnerUserId="{user}" '
                    f'Title={quoteattr(_text(rng, 8))} Tags={quoteattr(tags)} AnswerCount="2" '
                    f'CommentCount="1" ContentLicense="CC BY-SA 4.0" />')
        return (f'<row Id="{i}" PostTypeId="2" ParentId="{i - i % 3 + 1}" CreationDate="{_date(rng)}" '
                f'Score="{rng.randint(-2, 40)}" Body={quoteattr(rng.choice(bodies))} '
                f'OwnerUserId="{user}" CommentCount="0" ContentLicense="CC BY-SA 4.0" />')
    if kind == "PostHistory":
        return (f'<row Id="{i}" PostHistoryTypeId="{rng.choice((2, 5, 1, 3, 10))}" PostId="{i // 3 + 1}" '
                f'RevisionGUID="a17002a0-00b0-417b-a404-0d8864bbbca5" CreationDate="{_date(rng)}" '
                f'UserId="{user}" Text={quoteattr(rng.choice(bodies))} ContentLicense="CC BY-SA 4.0" />')
    if kind == "Comments":
        return (f'<row Id="{i}" PostId="{rng.randint(1, 10_000)}" Score="{rng.randint(0, 5)}" '
                f'Text={quoteattr(_text(rng, 30))} CreationDate="{_date(rng)}" UserId="{user}" '
                f'ContentLicense="CC BY-SA 4.0" />')
    if kind == "Users":
        return (f'<row Id="{i}" Reputation="{rng.randint(1, 5000)}" CreationDate="{_date(rng)}" '
                f'DisplayName="user{i}" LastAccessDate="{_date(rng)}" Location="Somewhere" '
                f'AboutMe={quoteattr(_text(rng, 40))} Views="3" UpVotes="1" DownVotes="0" '
                f'AccountId="{i + 100}" />')
    if kind == "Votes":
        return (f'<row Id="{i}" PostId="{rng.randint(1, 10_000)}" VoteTypeId="{rng.choice((2, 2, 3, 1, 5))}" '
                f'CreationDate="2019-05-{rng.randint(1, 28):02d}T00:00:00.000" />')
    if kind == "Badges":
        return (f'<row Id="{i}" UserId="{user}" Name="Autobiographer" Date="{_date(rng)}" '
                f'Class="3" TagBased="False" />')
    if kind == "PostLinks":
        return (f'<row Id="{i}" CreationDate="{_date(rng)}" PostId="{rng.randint(1, 9999)}" '
                f'RelatedPostId="{rng.randint(1, 9999)}" LinkTypeId="{rng.choice((1, 3))}" />')
    return f'<row Id="{i}" TagName="tag{i}" Count="{rng.randint(1, 500)}" />'


def generate(folder: Path, total_mb: int, seed: int = 7) -> int:
    """Write the dump; returns its size in bytes."""
    rng = random.Random(seed)
    bodies = [f"<p>{_text(rng, rng.randint(40, 250))}</p>\n<pre><code>x = 1</code></pre>" for _ in range(500)]
    folder.mkdir(parents=True, exist_ok=True)
    size = 0
    for name, share in SHARES.items():
        target = int(total_mb * 1e6 * share)
        path = folder / f"{name}.xml"
        with path.open("w", encoding="utf-8") as f:
            f.write(f'\ufeff<?xml version="1.0" encoding="utf-8"?>\n<{name.lower()}>\n')
            written, i = 0, 0
            while written < target:
                i += 1
                line = "  " + _row(name, i, rng, bodies, 200_000) + "\n"
                f.write(line)
                written += len(line)
            f.write(f"</{name.lower()}>\n")
        size += path.stat().st_size
    return size


def _archived(dump: Path) -> Path:
    """The dump as one BZip2 .7z per file, the way Stack Overflow is published (made once)."""
    import py7zr

    out = dump.with_name("dump-7z")
    if not (out / "bench.example.com-Posts.7z").exists():
        out.mkdir(exist_ok=True)
        for xml in sorted(dump.glob("*.xml")):  # the official dumps use BZip2 inside the .7z
            with py7zr.SevenZipFile(out / f"bench.example.com-{xml.stem}.7z", "w",
                                    filters=[{"id": py7zr.FILTER_BZIP2}]) as archive:
                archive.write(xml, xml.name)
    return out


def _ingest(dump: Path, store: Path, one_core: bool) -> tuple[float, float, float, dict[str, int]]:
    """One ``communitas ingest`` in a child process: wall s, CPU s, peak RSS MB, rows per table."""
    for p in (store, Path(f"{store}.wal")):
        p.unlink(missing_ok=True)
    exe = Path(sys.executable).with_name("communitas")
    first_cpu = min(os.sched_getaffinity(0))
    pin = (lambda: os.sched_setaffinity(0, {first_cpu})) if one_core else None
    t = time.perf_counter()
    proc = subprocess.Popen([str(exe), "ingest", str(dump), "--store", str(store), "--json"],
                            stdout=subprocess.PIPE, preexec_fn=pin)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"communitas ingest failed (status {status})")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, json.loads(out)["counts"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=500)
    parser.add_argument("--dir", type=Path, default=Path("bench-data/se"))
    parser.add_argument("--runs", type=int, default=3, help="runs per mode (the median is shown)")
    parser.add_argument("--form", choices=("xml", "7z"), default="xml",
                        help="read the XML files, or one BZip2 .7z per file (as Stack Overflow)")
    parser.add_argument("--keep", action="store_true", help="keep the generated dump")
    args = parser.parse_args()
    dump = args.dir / "dump"
    if not (dump / "Posts.xml").exists():
        t = time.perf_counter()
        generate(dump, args.mb)
        print(f"generated in {time.perf_counter() - t:.1f} s")
    mb = sum(p.stat().st_size for p in dump.glob("*.xml")) / 1e6
    if args.form == "7z":
        dump = _archived(dump)
    cores = len(os.sched_getaffinity(0))
    for label, one_core in (("one core", True), (f"all {cores} cores", False)):
        runs = sorted(_ingest(dump, args.dir / "bench.duckdb", one_core) for _ in range(args.runs))
        wall, cpu, rss, counts = runs[len(runs) // 2]
        rows = sum(counts.values())
        print(f"{label}: {mb:,.0f} MB of XML in {wall:.2f} s = {mb / wall:.1f} MB/s wall, "
              f"{mb / cpu:.1f} MB per CPU-second ({rows / wall:,.0f} rows/s); peak RSS {rss:,.0f} MB "
              f"[median of {len(runs)}; walls {', '.join(f'{r[0]:.2f}' for r in runs)}]")
    print(f"rows: {rows:,}", counts)
    if not args.keep:
        shutil.rmtree(args.dir)


if __name__ == "__main__":
    main()
