"""mbox ingest, communitas vs GrimoireLab Perceval's MBox backend: same files, one run, whole processes.

    .venv/bin/python benchmarks/peer_mbox.py --peer-python /tmp/peers-venv/bin/python \\
        [--messages 30000 300000] [--real] [--results FILE.jsonl]

For each size a synthetic archive shaped like the usrp-users sample is written to a temporary
folder (``benchmarks/mbox_synthetic.py``; pseudonymous senders); ``--real`` also runs the real
sample (``../shared/data/mbox-usrp-users-2022``). Contenders, each its own process, measured by
``benchmarks/peers.py`` (wall, CPU, peak RSS; interpreter start and imports included):

* ``communitas ingest``  the CLI, into a fresh store: read, parse, decode the text part, strip
                          quotes, thread, load in one transaction (the files are parsed by
                          worker processes: their CPU and RSS are included);
* ``perceval MBox``      ``MBox(uri, folder).fetch()`` with every item consumed (parse only,
                          nothing stored).

``--ingest-memory 1GB`` raises communitas' ingest memory cap (``$COMMUNITAS_INGEST_MEMORY``,
default 224MB): at 30 k synthetic messages the default cap fails (docs/scale.md).

Targets (issue 15): at least 10x Perceval's speed at no more than 2x its peak memory.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import mbox_synthetic
import peers

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "mbox-usrp-users-2022"

PERCEVAL = """
import json, sys, time
t = time.perf_counter()
from perceval.backends.core.mbox import MBox
n = sum(1 for _ in MBox("bench", sys.argv[1]).fetch())
print(json.dumps({"items": n, "inner_s": time.perf_counter() - t}))
"""

OURS = """
import json, sys, time
t = time.perf_counter()
from communitas.store import Workspace
with Workspace(sys.argv[2]) as ws:
    n = ws.ingest(sys.argv[1], name="bench").counts["posts"]
print(json.dumps({"items": n, "inner_s": time.perf_counter() - t}))
"""


def _only_mbox(folder: Path, tmp: Path) -> Path:
    """Perceval reads every file of the folder: give it the mbox files alone (symlinks)."""
    if not any(p.name.endswith((".json", ".jsonl.gz", ".md")) for p in folder.iterdir()):
        return folder
    clean = tmp / "mbox-only"
    clean.mkdir()
    for p in folder.iterdir():
        if ".mbox" in p.name:
            (clean / p.name).symlink_to(p.resolve())
    return clean


def bench(label: str, folder: Path, peer_python: str, tmp: Path,
          memory: str | None = None, at_once: bool = False) -> list[dict[str, Any]]:
    size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    print(f"{label}: {folder} ({size:,.0f} MB on disk)")
    store = tmp / f"{label}.duckdb"
    env = {"COMMUNITAS_INGEST_MEMORY": memory} if memory else None
    contenders = [("communitas ingest", [peers.OURS, "-c", OURS, str(folder), str(store)], env),
                  ("perceval MBox fetch", [peer_python, "-c", PERCEVAL, str(_only_mbox(folder, tmp))], None)]
    if at_once:  # both at the same time, each measured as its own process
        with ThreadPoolExecutor(2) as pool:
            ours, theirs = pool.map(lambda c: peers.run(*c), contenders)
    else:
        ours, theirs = (peers.run(*c) for c in contenders)
    for r in (ours, theirs):
        r.update({"bench": "mbox", "input": label, "mb_on_disk": size, "ingest_memory": memory or "default",
                  "at_once": at_once, "load": os.getloadavg()[0]})
        print("  " + peers.line(r) + (f"  {r['items']:,} messages" if "items" in r else ""))
    print("  " + peers.ratio(ours, theirs) + "  (target: >= 10x speed, <= 2x memory)")
    store.unlink(missing_ok=True)
    return [ours, theirs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer-python", required=True, help=peers.PEER_HELP)
    ap.add_argument("--messages", type=int, nargs="*", default=[30_000, 300_000])
    ap.add_argument("--real", action="store_true", help="also the real usrp-users sample")
    ap.add_argument("--folder", type=Path, nargs="*", default=[],
                    help="also these mbox folders as they are (e.g. one written by mbox_synthetic.py)")
    ap.add_argument("--ingest-memory", help="$COMMUNITAS_INGEST_MEMORY for communitas (default: its own)")
    ap.add_argument("--at-once", action="store_true",
                    help="run both contenders at the same time (halves a long run's wall time; on a "
                         "machine with fewer free cores than two, their wall times are inflated alike)")
    ap.add_argument("--results", type=Path, help="append the results to this JSON-lines file")
    args = ap.parse_args()
    print(peers.machine())
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.real:
            rows += bench("usrp-users (real)", REAL, args.peer_python, tmp, args.ingest_memory,
                          args.at_once)
        for folder in args.folder:
            n = sum(1 for _ in folder.iterdir())
            rows += bench(f"{folder.name} ({n} files)", folder, args.peer_python, tmp, args.ingest_memory,
                          args.at_once)
        for n in args.messages:
            folder = tmp / f"synthetic-{n}"
            mbox_synthetic.write(n, folder)
            rows += bench(f"synthetic {n:,}", folder, args.peer_python, tmp, args.ingest_memory,
                          args.at_once)
            for p in folder.iterdir():
                p.unlink()
    peers.append_results(args.results, rows)


if __name__ == "__main__":
    main()
