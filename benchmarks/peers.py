"""What the peer benchmarks share: run one contender as a whole process and measure it.

Each contender is a separate process (``communitas`` in this project's interpreter, a peer in
its own virtual environment, given with ``--peer-python``), started the same way and measured the
same way: wall-clock seconds from start to exit, CPU seconds (user + system, the process and every
child it waited for) and peak RSS (the largest of the process and its waited-for children), read
with ``os.wait4``. The child prints one JSON line last (its own figures: items, inner timings).

The peers are never project dependencies. Set them up once, outside the project:

    python3 -m venv /tmp/peers-venv && /tmp/peers-venv/bin/pip install perceval convokit
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OURS = sys.executable
PEER_HELP = ("Python of a virtual environment holding the peer (set it up with: python3 -m venv "
             "/tmp/peers-venv && /tmp/peers-venv/bin/pip install perceval convokit)")


def run(label: str, argv: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``argv`` to its end; its measures and the JSON it printed last (``error`` on failure)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        lines = out.read().strip().splitlines()
        tail = err.read().strip().splitlines()[-3:]
    result: dict[str, Any] = {"label": label, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                              "peak_rss_mb": usage.ru_maxrss / 1024}
    if proc.returncode != 0 or not lines:
        result["error"] = f"exit {proc.returncode}: {' | '.join(tail)}"
        return result
    result.update(json.loads(lines[-1]))
    return result


def line(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"{r['label']:<28} failed ({r['error']})"
    return (f"{r['label']:<28} {r['wall_s']:8.1f} s wall {r['cpu_s']:8.1f} s CPU "
            f"{r['peak_rss_mb']:8,.0f} MB peak RSS")


def ratio(ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    if "error" in ours or "error" in theirs:
        return "ratio: n/a (a contender failed)"
    return (f"speed {theirs['wall_s'] / ours['wall_s']:.1f}x (wall), "
            f"{theirs['cpu_s'] / ours['cpu_s']:.1f}x (CPU); "
            f"memory {ours['peak_rss_mb'] / theirs['peak_rss_mb']:.2f}x theirs")


def machine() -> str:
    load = os.getloadavg()
    return (f"{os.cpu_count()} CPUs, load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} at start, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


def append_results(path: Path | None, rows: list[dict[str, Any]]) -> None:
    """Append the results as JSON lines (the README table is written from them)."""
    if path is not None:
        with path.open("a") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
