"""Telegram, Mattermost and Rocket.Chat read throughput (messages/s) and peak memory, on synthetic
exports made here in each format's documented shape.

Usage: .venv/bin/python benchmarks/ingest_chat_exports.py [--messages 200000] [--only telegram]
       [--dir DIR --keep] [--ingest]

For each platform it writes one export (Telegram Desktop ``result.json``: one supergroup with
forum topics, replies, text entities, reactions and service messages; Mattermost bulk
``import.jsonl`` with threads and reactions; Rocket.Chat ``mongoexport`` JSON Lines of
messages, rooms and users), then, in a fresh child process:

1. reads it with the communitas source (every batch built, nothing stored): seconds, CPU
   seconds, messages/s and the peak RSS (the child's high-water mark at that point);
2. in the same process, parses the same files with the standard library's ``json`` (the whole
   document with ``json.load`` for Telegram, ``json.loads`` per line for JSON Lines): the
   reference, reported as the ratio ours / reference (time) — the machine's speed cancels out.

``--ingest`` also times ``Workspace.ingest`` into a new DuckDB store in another child. The
exports are generated in a child process as well, so that no measuring child inherits the
generator's memory as its peak RSS (Linux keeps ``ru_maxrss`` across fork and exec).
The last line is ``counts: {platform: {table: rows}}`` (what the reads produced).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

WORDS = ["the", "build", "fails", "after", "upgrade", "can", "someone", "check", "logs", "release",
         "notes", "thanks", "works", "now", "deploy", "server", "config", "docs", "question", "issue"]
T0 = 1_600_000_000


def _text(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(3, 25)))


def telegram(folder: Path, n: int, rng: random.Random) -> list[Path]:
    """One supergroup with 20 forum topics, written as Telegram Desktop does (indent 1)."""
    msgs: list[dict[str, Any]] = []
    t, topics = T0, []
    for i in range(1, n + 1):
        t += rng.choice((5, 30, 60, 300, 2400))
        base = {"id": i, "type": "message", "date": "2020-09-13T12:26:40", "date_unixtime": str(t)}
        uid = int(rng.paretovariate(1.2)) % 3000
        if i % 50 == 1 and len(topics) < 20:
            topics.append(i)
            msgs.append({**base, "type": "service", "actor": f"User {uid}", "actor_id": f"user{uid}",
                         "action": "topic_created", "title": f"topic {len(topics)}", "text": ""})
            continue
        if i % 97 == 0:
            msgs.append({**base, "type": "service", "actor": f"User {uid}", "actor_id": f"user{uid}",
                         "action": "join_group_by_link", "inviter": "Group", "text": ""})
            continue
        m = {**base, "from": f"User {uid}", "from_id": f"user{uid}"}
        if i % 3 == 0:  # into a topic, or a reply to a recent message
            back = max(1, i - rng.randint(1, 9))
            m["reply_to_message_id"] = rng.choice(topics) if topics and i % 2 else back
        mention = {"type": "mention_name", "text": "User 1", "user_id": 1}
        m["text"] = _text(rng) if i % 5 else ["see ", mention, " " + _text(rng)]
        if i % 20 == 0:
            m["reactions"] = [{"type": "emoji", "count": 2, "emoji": "👍",
                               "recent": [{"from": "User 2", "from_id": "user2", "date": base["date"]}]}]
        msgs.append(m)
    path = folder / "result.json"
    path.write_text(json.dumps({"name": "Bench group", "type": "public_supergroup", "id": 77,
                                "messages": msgs}, ensure_ascii=False, indent=1), encoding="utf-8")
    return [path]


def mattermost(folder: Path, n: int, rng: random.Random) -> list[Path]:
    """A bulk export: one team, 8 channels, 3,000 users, threads of 0-3 replies per post."""
    lines = [{"type": "version", "version": 1}, {"type": "team", "team": {"name": "eng"}}]
    lines += [{"type": "channel", "channel": {"team": "eng", "name": f"ch{c}", "type": "O"}}
              for c in range(8)]
    lines += [{"type": "user", "user": {"username": f"user{u}", "email": f"user{u}@example.org"}}
              for u in range(3000)]
    written, t = 0, T0 * 1000
    while written < n:
        t += rng.choice((5, 30, 60, 300, 2400)) * 1000
        user = f"user{int(rng.paretovariate(1.2)) % 3000}"
        replies = [{"user": f"user{rng.randrange(3000)}", "message": _text(rng), "create_at": t + k + 1}
                   for k in range(min(rng.choice((0, 0, 1, 3)), n - written - 1))]
        post = {"team": "eng", "channel": f"ch{written % 8}", "user": user, "message": _text(rng),
                "create_at": t, "replies": replies}
        if written % 20 == 0:
            post["reactions"] = [{"user": "user2", "emoji_name": "+1", "create_at": t + 5}]
        lines.append({"type": "post", "post": post})
        written += 1 + len(replies)
    path = folder / "import.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return [path]


def rocketchat(folder: Path, n: int, rng: random.Random) -> list[Path]:
    """mongoexport JSON Lines (sorted by ts): 8 rooms, 3,000 users, thread replies, system messages."""
    rooms = [{"_id": f"R{r}", "t": "c", "name": f"room{r}", "usersCount": 100} for r in range(8)]
    users = [{"_id": f"U{u}", "username": f"user{u}", "name": f"User {u}", "roles": ["user"],
              "emails": [{"address": f"user{u}@example.org"}]} for u in range(3000)]
    msgs, t = [], T0 * 1000
    for i in range(n):
        t += rng.choice((5, 30, 60, 300, 2400)) * 1000
        uid = int(rng.paretovariate(1.2)) % 3000
        m: dict[str, Any] = {"_id": f"M{i}", "rid": f"R{i % 8}", "msg": _text(rng), "ts": {"$date": t},
                             "u": {"_id": f"U{uid}", "username": f"user{uid}", "name": f"User {uid}"}}
        if i % 4 == 3:
            m["tmid"] = f"M{i - 3}"
        if i % 97 == 0:
            m["t"], m["msg"] = "uj", ""
        if i % 20 == 0:
            m["reactions"] = {":+1:": {"usernames": ["user2", "user3"]}}
        msgs.append(m)
    out = []
    for name, docs in (("rocketchat_room", rooms), ("users", users), ("rocketchat_message", msgs)):
        path = folder / f"{name}.json"
        path.write_text("\n".join(json.dumps(d) for d in docs) + "\n", encoding="utf-8")
        out.append(path)
    return out


GENERATORS = {"telegram": telegram, "mattermost": mattermost, "rocketchat": rocketchat}

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from communitas.sources.base import ReadContext
from communitas.sources.registry import SOURCES
from communitas.store import Workspace
platform, folder, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
def rss(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
base = rss()
if mode == "ingest":
    t, cpu = time.perf_counter(), time.process_time()
    with Workspace(folder.parent / f"{platform}.duckdb") as ws:
        counts = ws.ingest(folder, platform=platform).counts
    print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu,
                      "rss": rss(), "counts": counts}))
    sys.exit()
src = SOURCES[platform]
t, cpu = time.perf_counter(), time.process_time()
ctx = ReadContext(src.describe(folder), b"salt", keep_bodies=True)
counts = {}
for b in src.read(folder, ctx):
    counts[b.table] = counts.get(b.table, 0) + len(b)
ours = {"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu, "rss": rss(), "base": base}
t = time.perf_counter()
docs = 0
for f in sorted(folder.iterdir()):
    if f.name == "result.json":
        with f.open("rb") as fh:
            docs += len(json.load(fh)["messages"])
    else:
        with f.open("rb") as fh:
            docs += sum(1 for line in fh if json.loads(line) is not None)
ref = {"seconds": time.perf_counter() - t, "rss": rss(), "docs": docs}
print(json.dumps({"ours": ours, "reference": ref, "counts": counts, "skipped": sum(ctx.skipped.values())}))
"""


def _child(platform: str, folder: Path, mode: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", CHILD, platform, str(folder), mode], capture_output=True,
                         text=True, check=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _bench(platform: str, base: Path, n: int, ingest: bool) -> dict[str, int]:
    folder = base / platform
    folder.mkdir(parents=True, exist_ok=True)
    # generated in a child too: a child forked from a parent that built the export would inherit
    # its resident size as its own peak RSS (Linux keeps the high-water mark across exec)
    subprocess.run([sys.executable, __file__, "--generate", platform, "--dir", str(folder),
                    "--messages", str(n)], check=True)
    files = sorted(folder.iterdir())
    mb = sum(f.stat().st_size for f in files) / 1e6
    r = _child(platform, folder, "read")
    ours, ref = r["ours"], r["reference"]
    msgs = r["counts"].get("posts", 0) + r["counts"].get("events", 0)
    print(f"{platform}: {mb:.1f} MB, {msgs:,} messages read in {ours['seconds']:.2f} s = "
          f"{msgs / ours['seconds']:,.0f} messages/s wall, "
          f"{msgs / max(ours['cpu'], 1e-9):,.0f} per CPU-second; "
          f"peak RSS {ours['rss']:,.0f} MB ({ours['base']:,.0f} MB after imports); "
          f"stdlib json parse of the same files {ref['seconds']:.2f} s "
          f"(ratio ours/json {ours['seconds'] / ref['seconds']:.2f}; peak RSS after it {ref['rss']:,.0f} MB)")
    if ingest:
        w = _child(platform, folder, "ingest")
        print(f"{platform}: ingest into DuckDB {w['seconds']:.2f} s = {msgs / w['seconds']:,.0f} messages/s, "
              f"peak RSS {w['rss']:,.0f} MB")
    counts: dict[str, int] = r["counts"]
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--only", choices=sorted(GENERATORS))
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--ingest", action="store_true")
    ap.add_argument("--generate", choices=sorted(GENERATORS), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generate:
        GENERATORS[args.generate](args.dir, args.messages, random.Random(7))
        return
    base = args.dir or Path(tempfile.mkdtemp(prefix="chat-bench-"))
    try:
        counts = {p: _bench(p, base, args.messages, args.ingest) for p in GENERATORS
                  if args.only in (None, p)}
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"counts: {counts}")


if __name__ == "__main__":
    main()
