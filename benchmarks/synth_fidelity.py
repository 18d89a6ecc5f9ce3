"""How closely ``communitas synth --like`` reproduces the community it was fitted to, and what
drawing costs: the table of docs/scale.md.

    .venv/bin/python benchmarks/synth_fidelity.py [--posts 6740 100000 1000000] [--seed 2]

The beer site (``../shared/data/stackexchange-beer``) is ingested into a temporary store; for each
size a community fitted to it is drawn as a Stack Exchange dump (in a child process, whose wall,
CPU and peak RSS are reported), ingested, and measured with the same definitions as the real one
(``communitas.synth.measure``): quantiles 10/25/50/75/90/99 % of posts per member, hours to first
response, replies per thread, and the share of threads without response. Prints Markdown.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import peers
from communitas.store import Workspace
from communitas.synth.measure import QUANTILES, distributions

BEER = Path(__file__).resolve().parents[2] / "shared" / "data" / "stackexchange-beer"
DRAW = """
import json, sys
from pathlib import Path
from communitas.synth import synthesize
r = synthesize(Path(sys.argv[1]), int(sys.argv[2]), like=Path(sys.argv[3]), seed=int(sys.argv[4]))
print(json.dumps({"items": r.posts, "members": r.members, "threads": r.threads}))
"""


def _fmt(values: list[float]) -> str:
    return " / ".join(f"{v:,.1f}" if v < 100 else f"{v:,.0f}" for v in values)


def _rows(label: str, d: dict[str, Any]) -> list[str]:
    return [f"| {label} | posts per member | {_fmt(d['posts_per_member'])} |",
            f"| {label} | hours to first response | {_fmt(d['response_hours'])} |",
            f"| {label} | replies per thread | {_fmt(d['replies_per_thread'])} |",
            f"| {label} | no response / members / threads | {d['no_response_share']:.1%} / "
            f"{d['members']:,} / {d['threads']:,} |"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, nargs="*", default=[6_740, 100_000, 1_000_000])
    ap.add_argument("--seed", type=int, default=2)
    args = ap.parse_args()
    print(peers.machine())
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        beer = tmp / "beer.duckdb"
        with Workspace(beer) as ws:
            ws.ingest(BEER, name="beer.stackexchange.com")
        quant = " / ".join(f"{q:.0%}" for q in QUANTILES)
        table = ["| community | distribution | quantiles " + quant + " |", "|---|---|---|"]
        table += _rows("beer site (real)", distributions(beer))
        costs = []
        for n in args.posts:
            out = tmp / f"synth-{n}"
            argv = [peers.OURS, "-c", DRAW, str(out), str(n), str(beer), str(args.seed)]
            r = peers.run(f"synth {n:,}", argv)
            costs.append(f"| {n:,} | {r['wall_s']:,.1f} | {r['cpu_s']:,.1f} | {r['peak_rss_mb']:,.0f} | "
                         f"{sum(p.stat().st_size for p in out.iterdir()) / 1e6:,.0f} |")
            store = tmp / f"synth-{n}.duckdb"
            with Workspace(store) as ws:
                ws.ingest(out, name=f"synth-{n}")
            table += _rows(f"synthetic {n:,}", distributions(store))
            for p in out.iterdir():
                p.unlink()
            store.unlink()
        print("\n".join(table))
        print("\n| posts drawn | wall s | CPU s | peak RSS MB | dump MB |\n|---|---|---|---|---|")
        print("\n".join(costs))


if __name__ == "__main__":
    main()
