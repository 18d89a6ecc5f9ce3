"""DuckDB or Spark on one machine: the whole profile (and the network's tie aggregation) of the
same synthetic community on DuckDB and on Spark in local mode, side by side in one run.

Usage: .venv/bin/python benchmarks/engines.py STORE [STORE ...] --parquet-root DIR
       [--master local[2]] [--spark-memory 6g] [--what profile network] [--results FILE.jsonl]

Each STORE (a synthetic store, opened read-only: ``benchmarks/profile_community.generate``) is
exported once to ``DIR/<store name>/`` as Parquet (``Workspace.export``, what
``communitas export --format parquet`` calls; reused when already there). Then, each in a fresh
child process, one run of ``build_profile`` on:

* ``duckdb-store``: DuckDB on the store itself (what ``communitas profile`` does);
* ``duckdb-parquet``: DuckDB on the Parquet files (an in-memory DuckDB whose tables are views
  over them), to separate the file format from the engine;
* ``spark``: PySpark in local mode (``--master``, default ``local[2]``) on the Parquet files,
  with the CLI's settings (``engines.spark_session``: Spark's defaults, one shuffle partition per
  core); its driver heap is Spark's default 1 GB unless ``--spark-memory`` says otherwise (set
  as ``communitas profile --spark-memory`` sets it: ``engines.spark_session(memory=...)``).

Measured for each: wall seconds of the child from start to exit and of the work alone
(``build_profile``, after the session start and the tables' registration); CPU seconds of the
child and of every process below it (the JVM: its user + system time read from /proc with psutil
just before the session stops); peak RSS of the child plus the JVM's own peak (both VmHWM, not
``ru_maxrss``, which Linux carries across exec), an upper bound of the two together. The
profiles are written as JSON (as ``communitas profile --json`` prints them) and compared
field by field, value and type, as the parity test does.

Run under ``nice -n 10`` on a shared machine, and read the load average it prints.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from communitas.engines import differences

sys.path.insert(0, str(Path(__file__).parent))
from peers import hwm_mb as _hwm_mb  # the benchmarks' one reading of VmHWM

ENGINES = ("duckdb-store", "duckdb-parquet", "spark")


def export(store: Path, folder: Path) -> float:
    """The store's canonical tables as Parquet in ``folder`` (once); seconds taken (0 if reused)."""
    from communitas.store import Workspace

    if (folder / "posts.parquet").exists():
        return 0.0
    started = time.perf_counter()
    with Workspace(store, read_only=True) as ws:
        ws.export(folder.with_name(folder.name + ".part"), "parquet")
    folder.with_name(folder.name + ".part").rename(folder)
    return time.perf_counter() - started


def _duckdb_on_parquet(folder: str) -> Any:
    import ibis

    from communitas.model import TABLES

    con = ibis.duckdb.connect()
    for table in TABLES:
        path = str(Path(folder) / f"{table}.parquet").replace("'", "''")
        con.raw_sql(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")
    return con


def _jvm_usage() -> tuple[float, float]:
    """CPU seconds and peak RSS (MB) of every process below this one (the JVM), read now."""
    import psutil

    cpu, peak = 0.0, 0.0
    for proc in psutil.Process().children(recursive=True):
        try:
            t = proc.cpu_times()
            cpu += t.user + t.system + t.children_user + t.children_system
            peak += _hwm_mb(proc.pid)
        except (psutil.Error, OSError):
            continue
    return cpu, peak


def _work(backend: Any, what: str) -> Any:
    if what == "profile":
        from communitas.metrics.profile import build_profile

        return build_profile(backend)
    from communitas.network import GraphOptions
    from communitas.network.graph import reply_ties, rolling_windows

    opts = GraphOptions()
    return reply_ties(backend, rolling_windows(backend, opts), opts)


def _comparable(result: Any, what: str) -> Any:
    """What is compared between engines: the profile itself, or the ties' totals and a hash of
    every (window, source, target, weight) row with the frame's column types (made after the
    timed work: it is the benchmark's, not the engine's)."""
    if what == "profile":
        return result
    import hashlib

    import pandas as pd

    rows = pd.util.hash_pandas_object(result, index=False).to_numpy()
    return {"windows": int(result["window"].nunique()), "ties": len(result),
            "weight": float(result["weight"].sum()), "dtypes": [str(t) for t in result.dtypes],
            "rows_sha256": hashlib.sha256(rows.tobytes()).hexdigest()}


def child(engine: str, store: str, folder: str, what: str, out: str, master: str, memory: str) -> None:
    """Run in the child: open the engine, do the work once, write the result, print the figures."""
    from communitas import engines
    from communitas.store import Workspace

    started = time.perf_counter()
    session = ws = None
    if engine == "duckdb-store":
        ws = Workspace(store, read_only=True)
        backend: Any = ws.ibis()
    elif engine == "duckdb-parquet":
        backend = _duckdb_on_parquet(folder)
    else:
        session = engines.spark_session(master=master, memory=memory or None)
        backend = engines.spark_backend(folder, session=session)
    opened = time.perf_counter()
    result = _work(backend, what)
    done = time.perf_counter()
    jvm_cpu, jvm_peak = _jvm_usage()
    if session is not None:
        session.stop()
    if ws is not None:
        ws.close()
    Path(out).write_text(json.dumps(_comparable(result, what), indent=2, default=str, ensure_ascii=False))
    own = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"open_s": opened - started, "work_s": done - opened,
                      "jvm_cpu_s": jvm_cpu, "jvm_peak_mb": jvm_peak,
                      "own_cpu_s": own.ru_utime + own.ru_stime, "own_peak_mb": _hwm_mb("self")}))


def measure(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``argv`` to its end: wall, CPU of it and its waited-for children, and what it printed."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env})
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        lines = stderr.strip().splitlines()
        causes = [ln.strip() for ln in lines if "Error" in ln or "Exception" in ln][:2]
        return {"error": f"exit {proc.returncode}: {' | '.join(causes or lines[-3:])}"}
    r: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    r["wall_s"] = wall
    # the JVM is not always waited for by the child: count it from /proc instead (it is read
    # by the child before the session stops), the child's own CPU from its rusage
    r["cpu_s"] = r["own_cpu_s"] + r["jvm_cpu_s"]
    r["peak_rss_mb"] = r["own_peak_mb"] + r["jvm_peak_mb"]
    return r


def machine() -> str:
    load = os.getloadavg()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return (f"{platform.node()}: {os.cpu_count()} CPUs, {mem:.0f} GB, load average "
            f"{load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}, {now}")


def line(label: str, r: dict[str, Any]) -> str:
    if "error" in r:
        return f"  {label:<15} failed ({r['error']})"
    return (f"  {label:<15} {r['wall_s']:8.1f} s wall ({r['open_s']:5.1f} open + {r['work_s']:7.1f} work) "
            f"{r['cpu_s']:8.1f} s CPU (JVM {r['jvm_cpu_s']:6.1f}) {r['peak_rss_mb']:7,.0f} MB peak RSS")


def bench(store: Path, root: Path, what: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        posts = con.execute("SELECT count(*) FROM posts").fetchone()[0]  # type: ignore[index]
    folder = root / store.stem
    exported = export(store, folder)
    print(f"{store.name}: {posts:,} posts; Parquet in {folder}"
          + (f" (exported in {exported:.1f} s)" if exported else " (reused)"), flush=True)
    env = {"SPARK_LOCAL_IP": "127.0.0.1"}
    rows, results = [], {}
    for engine in args.engines:
        out = folder.parent / f"{store.stem}.{what}.{engine}.json"
        print(f"  {engine}: {machine()}", flush=True)
        r = measure([sys.executable, __file__, "--child", engine, str(store), str(folder), what,
                     str(out), args.master, args.spark_memory or ""], env)
        r.update({"store": store.name, "posts": posts, "what": what, "engine": engine,
                  "master": args.master if engine == "spark" else None,
                  "spark_memory": (args.spark_memory or "1g") if engine == "spark" else None})
        print(line(engine, r), flush=True)
        if "error" not in r:
            results[engine] = json.loads(out.read_text())
        rows.append(r)
    base = results.get("duckdb-store")
    for engine, data in results.items():
        if engine != "duckdb-store" and base is not None:
            diff = differences(base, data)
            print(f"  {engine} vs duckdb-store: " + ("identical" if not diff else
                  f"{len(diff)} differences, first: {diff[:3]}"), flush=True)
            next(r for r in rows if r["engine"] == engine)["differences"] = len(diff)
    ok = {r["engine"]: r for r in rows if "error" not in r}
    if "spark" in ok and "duckdb-store" in ok:
        s, d = ok["spark"], ok["duckdb-store"]
        print(f"  Spark/DuckDB: {s['wall_s'] / d['wall_s']:.1f}x wall, {s['work_s'] / d['work_s']:.1f}x "
              f"work, {s['cpu_s'] / d['cpu_s']:.1f}x CPU, "
              f"{s['peak_rss_mb'] / d['peak_rss_mb']:.1f}x peak RSS",
              flush=True)
    return rows


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        engine, store, folder, what, out, master, memory = sys.argv[2:9]
        child(engine, store, folder, what, out, master, memory)
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("stores", type=Path, nargs="+")
    parser.add_argument("--parquet-root", type=Path, required=True, help="Where the Parquet exports go.")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--spark-memory", "--driver-memory", dest="spark_memory",
                        help="Spark's driver heap, e.g. 6g (default Spark's 1g).")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--what", nargs="+", default=["profile"], choices=("profile", "network"),
                        help="The whole profile, the network's tie aggregation, or both.")
    parser.add_argument("--results", type=Path, help="Append the results here as JSON lines.")
    args = parser.parse_args()
    print(machine(), flush=True)
    for store in args.stores:
        rows = [r for what in args.what for r in bench(store, args.parquet_root, what, args)]
        if args.results is not None:
            with args.results.open("a") as f:
                f.writelines(json.dumps(r) + "\n" for r in rows)


if __name__ == "__main__":
    main()
