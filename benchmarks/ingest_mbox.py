"""mbox ingest throughput: communitas vs GrimoireLab Perceval's mbox backend, same files, one run.

    .venv/bin/python benchmarks/ingest_mbox.py [PATH] [--repeat N] [--synthetic MESSAGES]

PATH defaults to ../shared/data/mbox-usrp-users-2022 (12 gzip'd monthly mbox files). Each
contender runs in its own child process (so peak RSS is its own), ``--repeat`` times; the best
time is reported. Measured:

* ``communitas read``   the source alone in one process (``mbox.PARALLEL = False``): split,
                        parse, decode the text part, strip quotes, thread (what Perceval's
                        ``fetch()`` does, plus threading);
* ``  with workers``     the same, the files parsed in forked worker processes (the default on
                        Linux with 2+ CPUs); its CPU and RSS include the workers';
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


Result = tuple[int, float, float, float]  # messages, wall s, CPU s, peak RSS MB


def _rss_mb() -> float:
    """Peak RSS of this process or of the largest of its (finished) worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(fn: Callable[[], int]) -> Result:
    """Messages, wall, CPU (this process, its threads and its finished workers), peak RSS."""
    t, c, k = time.perf_counter(), time.process_time(), _children_cpu()
    n = fn()
    return n, time.perf_counter() - t, time.process_time() - c + _children_cpu() - k, _rss_mb()


def _ours_read(path: str) -> Result:
    from communitas.sources import mbox

    mbox.PARALLEL = False
    return _read(path)


def _read(path: str) -> Result:
    from communitas.model import SourceInfo
    from communitas.sources.base import ReadContext
    from communitas.sources.mbox import MboxSource

    src = MboxSource()
    ctx = ReadContext(SourceInfo("mbox", "bench", path, "x"), b"salt" * 8)
    return _timed(lambda: sum(len(b.columns["post_id"]) for b in src.read(Path(path), ctx)
                              if b.table == "posts"))


def _ours_workers(path: str) -> Result:
    from communitas.sources import mbox

    mbox.PARALLEL = True  # files parsed in spawned worker processes, whatever the CPU count
    return _read(path)


def _ours_ingest(path: str) -> Result:
    from communitas.store import Workspace

    with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "b.duckdb") as ws:
        return _timed(lambda: ws.ingest(path).counts["posts"])


def _perceval(path: str) -> Result:
    from perceval.backends.core.mbox import MBox

    folder = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        if folder.is_file():
            (Path(tmp) / folder.name).symlink_to(folder.resolve())
            folder = Path(tmp)
        return _timed(lambda: sum(1 for _ in MBox("bench", str(folder)).fetch()))


def _child(fn: Callable[[str], Result], path: str, q: mp.Queue) -> None:  # type: ignore[type-arg]
    try:
        q.put(fn(path))
    except ImportError as e:
        q.put(("missing", str(e)))


def _once(fn: Callable[[str], Result], path: str) -> Result | str:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(fn, path, q))
    p.start()
    got = q.get()
    p.join()
    return f"not installed ({got[1]})" if got[0] == "missing" else got


def _run_all(fns: list[Callable[[str], Result]], path: str, repeat: int) -> list[Result | str]:
    """Best (by wall time) of ``repeat`` runs of each, the contenders interleaved round by round
    so that a busy moment on a shared machine does not favour one of them."""
    best: list[Result | str | None] = [None] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            if isinstance(best[k], str):
                continue
            got = _once(fn, path)
            prev = best[k]
            if isinstance(got, str) or prev is None or (not isinstance(prev, str) and got[1] < prev[1]):
                best[k] = got
    return [b if b is not None else "not run" for b in best]


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


def _report(label: str, result: Result | str, mb: float) -> Result | None:
    if isinstance(result, str):
        print(f"{label:<18} {result}")
        return None
    n, secs, cpu, rss = result
    print(f"{label:<18} {n:>8,} msgs {secs:>7.2f} s (CPU {cpu:>6.2f} s) {n / secs:>8,.0f} msg/s "
          f"{mb / secs:>7.1f} MB/s  peak RSS {rss:>5.0f} MB")
    return result


def _bench(path: Path, repeat: int, with_perceval: bool = True) -> None:
    raw, plain = _sizes(path)
    mb = plain / 1e6
    print(f"{path}: {raw / 1e6:.1f} MB on disk, {mb:.1f} MB uncompressed")
    fns: list[Callable[[str], Result]] = [_ours_read, _ours_workers, _ours_ingest]
    if with_perceval:
        fns.append(_perceval)
    results = _run_all(fns, str(path), repeat)
    ours = _report("communitas read", results[0], mb)
    workers = _report("  with workers", results[1], mb)
    _report("communitas ingest", results[2], mb)
    if with_perceval:
        theirs = _report("perceval fetch", results[3], mb)
        for label, mine in (("communitas read", ours), ("read with workers", workers)):
            if mine and theirs:
                print(f"{label} vs Perceval fetch: {theirs[1] / mine[1]:.1f}x faster (wall), "
                      f"{theirs[2] / mine[2]:.1f}x (CPU); target 10x")


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
