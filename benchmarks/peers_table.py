"""The README's peer table, written from the results of ``peer_mbox.py`` and ``peer_convokit.py``.

    .venv/bin/python benchmarks/peers_table.py RESULTS.jsonl

Each benchmark appends one JSON line per contender and input (``--results``); this prints one
Markdown row per input: each side's wall, CPU and peak RSS, and the ratios (speed: theirs / ours;
memory: ours / theirs). The last result for an input and contender wins.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

PEERS = {"mbox": ("communitas ingest", "perceval MBox fetch", "Perceval MBox"),
         "convokit": ("communitas", "convokit", "ConvoKit corpus + HyperConvo")}


def _side(r: dict[str, Any]) -> str:
    return f"{r['wall_s']:,.1f} s / {r['cpu_s']:,.1f} s / {r['peak_rss_mb']:,.0f} MB"


def table(rows: list[dict[str, Any]]) -> str:
    last = {(r["bench"], r["input"], r["label"]): r for r in rows if "error" not in r}
    out = ["| task | input | communitas (wall / CPU / peak RSS) | peer (wall / CPU / peak RSS) | "
           "speed, wall | speed, CPU | memory |", "|---|---|---|---|---|---|---|"]
    inputs = dict.fromkeys((r["bench"], r["input"]) for r in rows)
    for bench, name in inputs:
        ours_label, theirs_label, peer = PEERS[bench]
        ours, theirs = last.get((bench, name, ours_label)), last.get((bench, name, theirs_label))
        if ours is None or theirs is None:
            continue
        cap = ours.get("ingest_memory", "default")
        name = name if cap in ("default", None) else f"{name}, ingest cap {cap}"
        out.append(f"| vs {peer} | {name} | {_side(ours)} | {_side(theirs)} | "
                   f"{theirs['wall_s'] / ours['wall_s']:.1f}x | {theirs['cpu_s'] / ours['cpu_s']:.1f}x | "
                   f"{ours['peak_rss_mb'] / theirs['peak_rss_mb']:.2f}x |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", type=Path)
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.results.read_text().splitlines() if line.strip()]
    print(table(rows))


if __name__ == "__main__":
    main()
