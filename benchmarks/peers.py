"""What the peer benchmarks share: run one contender as a whole process and measure it.

Each contender is a separate process (``communitas`` in this project's interpreter, a peer in
its own virtual environment, given with ``--peer-python``), started the same way and measured the
same way: wall-clock seconds from start to exit, CPU seconds (user + system, the process and every
child it waited for, from ``os.wait4``) and peak RSS. The child prints one JSON line last (its own
figures: items, inner timings).

**Peak RSS** is each process's own high-water mark, ``VmHWM`` in ``/proc/<pid>/status``, read
before the process exits — never ``ru_maxrss``, which Linux carries across fork and exec (a child
that does nothing reads its parent's peak). The contender runs ``python -c CODE`` through this file
(``python peers.py --hwm-to FILE -c CODE ARGS``: the code runs as ``__main__`` exactly as with
``-c``, and its own ``VmHWM`` is written to FILE as it exits, whatever the exit); the processes it
starts (the ingest's parsing workers) are polled every :data:`POLL_S` seconds for theirs. The
figure reported is the contender's own peak plus its children's (an upper bound of the peak of all
of them together; the same as its own when it starts none): ``own_peak_mb`` and
``children_peak_mb`` are kept apart in the results. This file imports the standard library only,
so a peer's interpreter runs it as it is.

The peers are never project dependencies. Set them up once, outside the project:

    python3 -m venv /tmp/peers-venv && /tmp/peers-venv/bin/pip install perceval convokit
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path
from typing import Any

OURS = sys.executable
PEER_HELP = ("Python of a virtual environment holding the peer (set it up with: python3 -m venv "
             "/tmp/peers-venv && /tmp/peers-venv/bin/pip install perceval convokit)")
POLL_S = 0.2


def hwm_mb(pid: int | str = "self") -> float:
    """The peak RSS of process ``pid`` since its exec (``VmHWM``), in MB (MiB, as ``ru_maxrss``
    counted); 0 when the process is gone. Not ``ru_maxrss``: Linux keeps that across fork and
    exec, so a child would report its parent's peak when that was larger."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    hwm = [ln for ln in status.splitlines() if ln.startswith("VmHWM:")]
    return int(hwm[0].split()[1]) / 1024 if hwm else 0.0


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` now (``/proc/<pid>/task/*/children``)."""
    out, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
            out += kids
            todo += kids
    return out


class _ChildPeaks(threading.Thread):
    """Polls the high-water marks of the processes below ``pid`` until told to stop."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peaks, self.done = pid, dict[int, float](), threading.Event()

    def run(self) -> None:
        while not self.done.wait(POLL_S):
            for kid in _descendants(self.pid):
                self.peaks[kid] = max(self.peaks.get(kid, 0.0), hwm_mb(kid))


def _measured(argv: list[str], hwm_file: Path) -> list[str]:
    """``argv`` run through this file, so the process writes its own VmHWM to ``hwm_file``."""
    if len(argv) < 3 or argv[1] != "-c":
        raise ValueError("a contender is run as [python, '-c', CODE, *args]")
    return [argv[0], str(Path(__file__).resolve()), "--hwm-to", str(hwm_file), *argv[1:]]


def run(label: str, argv: list[str], env: dict[str, str] | None = None,
        stdout: Path | None = None) -> dict[str, Any]:
    """Run ``argv`` (``[python, '-c', CODE, *args]``) to its end; its measures and the JSON it
    printed last (``error`` on failure). With ``stdout``, its output goes there instead (and
    ``rc`` says how it ended)."""
    with (tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err,
          tempfile.TemporaryDirectory() as tmp):
        hwm_file = Path(tmp) / "hwm"
        sink = stdout.open("w") if stdout is not None else out
        started = time.perf_counter()
        proc = subprocess.Popen(_measured(argv, hwm_file), stdout=sink, stderr=err,
                                env={**os.environ, **(env or {})})
        kids = _ChildPeaks(proc.pid)
        kids.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        kids.done.set()
        kids.join()
        if stdout is not None:
            sink.close()
        proc.returncode = os.waitstatus_to_exitcode(status)
        own = int(hwm_file.read_text()) / 1024 if hwm_file.exists() else 0.0
        out.seek(0)
        err.seek(0)
        lines = out.read().strip().splitlines()
        tail = err.read().strip().splitlines()[-3:]
    children = float(sum(kids.peaks.values()))
    result: dict[str, Any] = {"label": label, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                              "peak_rss_mb": own + children, "own_peak_mb": own,
                              "children_peak_mb": children, "children": len(kids.peaks),
                              "rc": proc.returncode}
    if proc.returncode != 0 or (stdout is None and not lines):
        result["error"] = f"exit {proc.returncode}: {' | '.join(tail)}"
    elif stdout is None:
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


def _launch(hwm_to: str, code: str, args: list[str]) -> None:
    """Run ``code`` as ``python -c`` would (``__main__``, ``sys.argv``), then write this
    process's VmHWM in kB to ``hwm_to``, however the code ended."""
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main
    sys.argv = ["-c", *args]
    sys.path[0] = ""  # as with -c: the working folder, not benchmarks/
    try:
        exec(compile(code, "<string>", "exec"), main.__dict__)
    finally:
        sys.stdout.flush()
        Path(hwm_to).write_text(str(int(hwm_mb() * 1024)))


if __name__ == "__main__" and sys.argv[1:2] == ["--hwm-to"] and sys.argv[3:4] == ["-c"]:
    _launch(sys.argv[2], sys.argv[4], sys.argv[5:])
