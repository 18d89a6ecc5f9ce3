"""Corpus + reply network, communitas vs ConvoKit: same Stack Exchange dump, one run, whole processes.

    .venv/bin/python benchmarks/peer_convokit.py --peer-python /tmp/peers-venv/bin/python \\
        [--posts 1000000 5000000] [--like STORE] [--results FILE.jsonl]

Inputs: the beer site (``../shared/data/stackexchange-beer``), then for each ``--posts`` a
synthetic community fitted to ``--like`` (default: a store of the beer site, made in a temporary
folder) written as a Stack Exchange dump by ``communitas synth``. Contenders, each its own
process, measured by ``benchmarks/peers.py`` (wall, CPU, peak RSS; start and imports included):

* ``communitas``  ingest the dump into a fresh store (every file), then the per-thread figures
                  (``thread_stats``: first response, responses, replies) and the whole-history
                  reply network with every whole-network figure (reciprocity, transitivity,
                  Leiden communities, centralization, ...);
* ``convokit``    parse Posts.xml and Comments.xml (stdlib iterparse: ConvoKit has no Stack
                  Exchange reader), build a ``Corpus`` of the same utterances (questions, answers
                  replying to their question, comments to their post), run ``HyperConvo``
                  (its per-conversation hypergraph features, defaults) and compute the speaker
                  reply network's reciprocity and transitivity with networkx.

Both print reciprocity and transitivity, so the two reply networks can be compared. Target
(issue 15): at least 5x ConvoKit's speed at 1 M posts.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import peers

BEER = Path(__file__).resolve().parents[2] / "shared" / "data" / "stackexchange-beer"

CONVOKIT = r"""
import gzip, json, sys, time
import xml.etree.ElementTree as ET
from pathlib import Path
t0 = time.perf_counter()
from convokit import Corpus, HyperConvo, Speaker, Utterance
import networkx as nx
from datetime import datetime

def rows(folder, name):
    p = Path(folder) / name
    f = gzip.open(p) if p.suffix == ".gz" else open(p, "rb")
    for _, e in ET.iterparse(f):
        if e.tag == "row":
            yield e.attrib
        e.clear()

def ts(s):
    return int(datetime.fromisoformat(s).timestamp())

folder = Path(sys.argv[1])
gz = ".gz" if (folder / "Posts.xml.gz").exists() else ""
t = time.perf_counter()
speakers, utts, author, thread = {}, [], {}, {}
def speaker(uid):
    if uid not in speakers:
        speakers[uid] = Speaker(id=uid)
    return speakers[uid]
for r in rows(folder, "Posts.xml" + gz):
    kind = r.get("PostTypeId")
    if kind not in ("1", "2"):
        continue
    pid, uid = "p" + r["Id"], r.get("OwnerUserId", "deleted")
    conv = pid if kind == "1" else "p" + r["ParentId"]
    author[pid], thread[pid] = uid, conv
    utts.append(Utterance(id=pid, speaker=speaker(uid), conversation_id=conv,
                          reply_to=None if kind == "1" else conv, timestamp=ts(r["CreationDate"]),
                          text=r.get("Body", "")))
for r in rows(folder, "Comments.xml" + gz):
    parent = "p" + r["PostId"]
    if parent not in thread:
        continue
    cid, uid = "c" + r["Id"], r.get("UserId", "deleted")
    author[cid] = uid
    utts.append(Utterance(id=cid, speaker=speaker(uid), conversation_id=thread[parent],
                          reply_to=parent, timestamp=ts(r["CreationDate"]), text=r.get("Text", "")))
parse_s = time.perf_counter() - t
t = time.perf_counter()
corpus = Corpus(utterances=utts)
corpus_s = time.perf_counter() - t
t = time.perf_counter()
HyperConvo().fit_transform(corpus)
hyper_s = time.perf_counter() - t
t = time.perf_counter()
g = nx.DiGraph()
for u in corpus.iter_utterances():
    if u.reply_to is not None:
        a, b = u.speaker.id, corpus.get_utterance(u.reply_to).speaker.id
        if a != b and not {a, b} & {"-1", "deleted"}:
            g.add_edge(a, b)
rec, tra = nx.overall_reciprocity(g), nx.transitivity(g.to_undirected())
net_s = time.perf_counter() - t
print(json.dumps({"items": len(utts), "inner_s": time.perf_counter() - t0, "parse_s": parse_s,
                  "corpus_s": corpus_s, "hyperconvo_s": hyper_s, "network_s": net_s,
                  "reciprocity": rec, "transitivity": tra, "ties": g.number_of_edges()}))
"""

OURS = r"""
import json, sys, time
t0 = time.perf_counter()
from communitas.store import Workspace
from communitas.metrics.interaction import thread_stats
from communitas.network.figures import figures
from communitas.network.graph import whole_history, window_graphs
with Workspace(sys.argv[2]) as ws:
    t = time.perf_counter()
    n = ws.ingest(sys.argv[1], name="bench").counts["posts"]
    ingest_s = time.perf_counter() - t
    t = time.perf_counter()
    backend = ws.ibis()
    threads = len(thread_stats(backend).execute())
    threads_s = time.perf_counter() - t
    t = time.perf_counter()
    g = window_graphs(backend, whole_history(backend))[-1]
    fig = figures(g)
    net_s = time.perf_counter() - t
print(json.dumps({"items": n, "inner_s": time.perf_counter() - t0, "ingest_s": ingest_s,
                  "thread_stats_s": threads_s, "network_s": net_s, "threads": threads,
                  "reciprocity": fig["reciprocity"], "transitivity": fig.get("transitivity"),
                  "ties": fig["ties"]}))
"""


def bench(label: str, folder: Path, peer_python: str, tmp: Path) -> list[dict[str, Any]]:
    size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    print(f"{label}: {folder} ({size:,.0f} MB on disk)")
    store = tmp / "bench.duckdb"
    ours = peers.run("communitas", [peers.OURS, "-c", OURS, str(folder), str(store)])
    store.unlink(missing_ok=True)
    theirs = peers.run("convokit", [peer_python, "-c", CONVOKIT, str(folder)])
    for r in (ours, theirs):
        r.update({"bench": "convokit", "input": label, "mb_on_disk": size})
        extra = "" if "error" in r else (f"  {r['items']:,} posts, reciprocity {r['reciprocity']:.4f}, "
                                         f"transitivity {r['transitivity'] or 0:.4f}, {r['ties']:,} ties")
        print("  " + peers.line(r) + extra)
    print("  " + peers.ratio(ours, theirs) + "  (target at 1 M posts: >= 5x speed)")
    return [ours, theirs]


def _beer_store(tmp: Path) -> Path:
    from communitas.store import Workspace

    path = tmp / "beer.duckdb"
    with Workspace(path) as ws:
        ws.ingest(BEER, name="beer.stackexchange.com")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer-python", required=True, help=peers.PEER_HELP)
    ap.add_argument("--posts", type=int, nargs="*", default=[1_000_000, 5_000_000])
    ap.add_argument("--like", type=Path,
                    help="store to fit the synthetic communities to (default: the beer site)")
    ap.add_argument("--no-beer", action="store_true", help="skip the real beer site")
    ap.add_argument("--results", type=Path, help="append the results to this JSON-lines file")
    args = ap.parse_args()
    from communitas.synth import synthesize

    print(peers.machine())
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if not args.no_beer:
            rows += bench("beer site (real)", BEER, args.peer_python, tmp)
        like = args.like or _beer_store(tmp)
        for n in args.posts:
            folder = tmp / f"synthetic-{n}"
            report = synthesize(folder, n, like=like, seed=1)
            print(f"(synthesized {n:,} posts fitted to the beer site in {report.seconds:.0f} s)")
            rows += bench(f"beer-like {n:,}", folder, args.peer_python, tmp)
            for p in folder.iterdir():
                p.unlink()
    peers.append_results(args.results, rows)


if __name__ == "__main__":
    main()
