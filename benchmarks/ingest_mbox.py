"""mbox ingest throughput: communitas vs GrimoireLab Perceval's mbox backend, same files, one run.

    .venv/bin/python benchmarks/ingest_mbox.py [PATH] [--repeat N] [--synthetic MESSAGES]

PATH defaults to ../shared/data/mbox-usrp-users-2022 (12 gzip'd monthly mbox files). Each
contender runs in its own child process (so peak RSS is its own), ``--repeat`` times; the best
time is reported. Measured:

* ``communitas read``   the source alone: split, parse, decode the text part, strip quotes,
                        thread (what Perceval's ``fetch()`` does, plus threading);
* ``communitas ingest`` the whole ingest into a fresh DuckDB store (one transaction);
* ``perceval fetch``    ``perceval.backends.core.mbox.MBox(uri, folder).fetch()``, every item
                        consumed (it needs ``pip install perceval``; reported missing otherwise).

``--synthetic N`` also generates an N-message archive (in a temporary folder, never kept) to show
that memory stays flat as the archive grows.
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing as mp
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "mbox-usrp-users-2022"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ours_read(path: str) -> tuple[int, float, float]:
    from communitas.model import SourceInfo
    from communitas.sources.base import ReadContext
    from communitas.sources.mbox import MboxSource

    src = MboxSource()
    ctx = ReadContext(SourceInfo("mbox", "bench", path, "x"), b"salt" * 8)
    t = time.perf_counter()
    n = sum(len(b.columns["post_id"]) for b in src.read(Path(path), ctx) if b.table == "posts")
    return n, time.perf_counter() - t, _rss_mb()


def _ours_ingest(path: str) -> tuple[int, float, float]:
    from communitas.store import Workspace

    with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "b.duckdb") as ws:
        t = time.perf_counter()
        report = ws.ingest(path)
        return report.counts["posts"], time.perf_counter() - t, _rss_mb()


def _perceval(path: str) -> tuple[int, float, float]:
    from perceval.backends.core.mbox import MBox

    folder = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        if folder.is_file():
            (Path(tmp) / folder.name).symlink_to(folder.resolve())
            folder = Path(tmp)
        t = time.perf_counter()
        n = sum(1 for _ in MBox("bench", str(folder)).fetch())
        return n, time.perf_counter() - t, _rss_mb()


def _child(fn: Callable[[str], tuple[int, float, float]], path: str, q: mp.Queue) -> None:  # type: ignore[type-arg]
    try:
        q.put(fn(path))
    except ImportError as e:
        q.put(("missing", str(e)))


def _run(fn: Callable[[str], tuple[int, float, float]], path: str, repeat: int
         ) -> tuple[int, float, float] | str:
    best: tuple[int, float, float] | None = None
    ctx = mp.get_context("spawn")
    for _ in range(repeat):
        q = ctx.Queue()
        p = ctx.Process(target=_child, args=(fn, path, q))
        p.start()
        got = q.get()
        p.join()
        if got[0] == "missing":
            return f"not installed ({got[1]})"
        best = got if best is None or got[1] < best[1] else best
    assert best is not None
    return best


def _sizes(path: Path) -> tuple[int, int]:
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if ".mbox" in p.name)
    raw = sum(p.stat().st_size for p in files)
    plain = 0
    for p in files:
        with p.open("rb") as f:
            gz = f.read(2) == b"\x1f\x8b"
        if gz:
            with gzip.open(p) as g:
                while chunk := g.read(1 << 22):
                    plain += len(chunk)
        else:
            plain += p.stat().st_size
    return raw, plain


def _synthetic(folder: Path, n: int) -> Path:
    """An n-message mbox.gz: threads of 1-8 messages, a quoted reply, a base64 attachment each 50."""
    rnd = random.Random(7)
    out = folder / "synthetic.mbox.gz"
    with gzip.open(out, "wb", compresslevel=1) as g:
        for i in range(n):
            root = i - i % rnd.randint(1, 8)
            ref = f"<s{root}@example.com>"
            reply = f"In-Reply-To: {ref}\nReferences: {ref}\n" if root != i else ""
            attach = ("\n" + "QUJD" * 19 + "\n") * 400 if i % 50 == 0 else ""
            g.write((f"From u{i % 997}@example.com Mon Jan  3 10:30:36 2022\n"
                     f"From: User {i % 997} <u{i % 997}@example.com>\nDate: Mon, 3 Jan 2022 10:30:36 +0000\n"
                     f"Message-ID: <s{i}@example.com>\n{reply}Subject: Re: topic {root}\n\n"
                     f"Some words about topic {root}, message {i}.\n> quoted line\n{attach}\n").encode())
    return out


def _report(label: str, result: tuple[int, float, float] | str, mb: float) -> float | None:
    if isinstance(result, str):
        print(f"{label:<20} {result}")
        return None
    n, secs, rss = result
    print(f"{label:<20} {n:>9,} msgs {secs:>8.2f} s {n / secs:>10,.0f} msg/s {mb / secs:>8.1f} MB/s"
          f"   peak RSS {rss:>7.0f} MB")
    return secs


def _bench(path: Path, repeat: int, with_perceval: bool = True) -> None:
    raw, plain = _sizes(path)
    mb = plain / 1e6
    print(f"{path}: {raw / 1e6:.1f} MB on disk, {mb:.1f} MB uncompressed")
    ours = _report("communitas read", _run(_ours_read, str(path), repeat), mb)
    _report("communitas ingest", _run(_ours_ingest, str(path), repeat), mb)
    if with_perceval:
        theirs = _report("perceval fetch", _run(_perceval, str(path), repeat), mb)
        if ours and theirs:
            print(f"communitas read is {theirs / ours:.1f}x Perceval (target: 10x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--synthetic", type=int, default=0, help="also time an N-message generated archive")
    args = ap.parse_args()
    if not args.path.exists():
        sys.exit(f"{args.path}: not found (the benchmark reads ../shared/data beside the clone)")
    _bench(args.path, args.repeat)
    if args.synthetic:
        with tempfile.TemporaryDirectory() as tmp:
            _bench(_synthetic(Path(tmp), args.synthetic), 1, with_perceval=False)


if __name__ == "__main__":
    main()
