"""Benchmark: the HTML report on a synthetic store of 1 M posts (generated here, never committed).

Prints the time of each section and of the whole report, the file size and the peak RSS.
Usage: .venv/bin/python benchmarks/report.py [--posts 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from communitas.report import ReportOptions, build_report
from communitas.report.sections import Section, registered_sections
from communitas.store import Workspace

WORDS = ["hop", "malt", "yeast", "lager", "stout", "ale", "brew", "ferment", "barrel", "cask", "bottle",
         "glass", "foam", "bitter", "sweet", "sour", "wheat", "rye", "oat", "roast", "pale", "dark", "amber",
         "cellar", "tap", "keg", "pour", "taste", "aroma", "body", "finish"]


def fill(ws: Workspace, posts: int, seed: float = 0.42) -> None:
    """Members, places, threads and posts over six years, in plain SQL (fast)."""
    members, threads, places = max(posts // 20, 10), max(posts // 5, 1), 200
    sid = "synthetic:bench"
    c = ws.con
    c.execute(f"SELECT setseed({seed})")
    c.execute("INSERT INTO sources (source_id, platform, name, origin, fingerprint, counts, skipped,"
              " warnings, options) VALUES (?, 'synthetic', 'bench', 'benchmarks/report.py', 'x', '{}', '{}',"
              " '[]', '{}')", [sid])
    c.execute(f"""INSERT INTO members (member_id, source_id, native_id, display_name, is_bot, is_system)
        SELECT '{sid}:u:' || i, '{sid}', i::VARCHAR, 'Member ' || i, false, false
        FROM range({members}) t(i)""")
    c.execute(f"""INSERT INTO places (place_id, source_id, native_id, kind, name)
        SELECT '{sid}:p:' || i, '{sid}', i::VARCHAR, 'tag', 'place-' || i FROM range({places}) t(i)""")
    c.execute(f"""INSERT INTO threads (thread_id, source_id, native_id, place_id, title, author_id,
                                       created_at)
        SELECT '{sid}:t:' || i, '{sid}', i::VARCHAR, '{sid}:p:' || (i % {places}), 'Thread ' || i,
               '{sid}:u:' || floor({members} * pow(random(), 3))::BIGINT,
               TIMESTAMPTZ '2018-01-01' + INTERVAL (floor(i * 2190.0 * 86400 / {threads})) SECOND
        FROM range({threads}) t(i)""")
    c.execute("""INSERT INTO thread_places SELECT thread_id, place_id, source_id, 0 FROM threads""")
    words = "[" + ", ".join(f"'{w}'" for w in WORDS) + "]"
    c.execute(f"""INSERT INTO posts (post_id, source_id, native_id, thread_id, author_id, created_at, kind,
                                     is_contribution, length, score, body)
        SELECT '{sid}:x:' || i, '{sid}', i::VARCHAR, '{sid}:t:' || (i % {threads}),
               CASE WHEN i < {threads} THEN t.author_id
                    ELSE '{sid}:u:' || floor({members} * pow(random(), 3))::BIGINT END,
               t.created_at + INTERVAL (CASE WHEN i < {threads} THEN 0
                                              ELSE floor(random() * 72 * 3600)::BIGINT END) SECOND,
               CASE WHEN i < {threads} THEN 'question' ELSE 'answer' END, true, 80, 0,
               list_aggregate(list_transform(range(12),
                    lambda x: {words}[1 + floor(random() * {len(WORDS)})::INT]
                              || {words}[1 + floor(pow(random(), 2) * {len(WORDS)})::INT]),
                              'string_agg', ' ')
        FROM range({posts}) r(i) JOIN threads t ON t.thread_id = '{sid}:t:' || (i % {threads})""")
    c.execute(f"""UPDATE posts p SET reply_to_post_id = '{sid}:x:' || (i % {threads})
        FROM (SELECT post_id AS pid, native_id::BIGINT AS i FROM posts) q
        WHERE p.post_id = q.pid AND q.i >= {threads}""")
    c.execute("UPDATE posts SET reply_to_member_id = t.author_id FROM threads t "
              "WHERE posts.thread_id = t.thread_id AND posts.kind = 'answer'")
    c.execute("CHECKPOINT")


def timed(sections: list[Section], times: dict[str, float]) -> list[Section]:
    def wrap(sec: Section) -> Section:
        def build(ctx: Any) -> Any:
            t = time.perf_counter()
            try:
                return sec.build(ctx)
            finally:
                times[sec.key] = time.perf_counter() - t
        return replace(sec, build=build)
    return [wrap(s) for s in sections]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="keep the store and report in this folder")
    ap.add_argument("--skip", action="append", default=[], help="leave out a section (repeatable)")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="communitas-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / "bench.duckdb"
    store.unlink(missing_ok=True)
    t0 = time.perf_counter()
    with Workspace(store) as ws:
        fill(ws, args.posts)
    print(f"synthetic store: {args.posts:,} posts in {time.perf_counter() - t0:.1f} s")
    times: dict[str, float] = {}
    t1 = time.perf_counter()
    with Workspace(store, read_only=True) as ws:
        opts = ReportOptions(skip=tuple(args.skip))
        html = build_report(ws, opts, sections=timed(registered_sections(), times))
    elapsed = time.perf_counter() - t1
    out = folder / "report.html"
    out.write_text(html, encoding="utf-8")
    for key, s in times.items():
        print(f"  section {key:<12} {s:6.1f} s")
    omitted = html.count('class="section omitted"')
    heavy = {k: round(v, 1) for k, v in times.items() if k in ("network", "topics")}
    print(f"without topics: {elapsed - times.get('topics', 0.0):.1f} s; network and topics: {heavy}")
    print(f"report: {elapsed:.1f} s for {args.posts:,} posts ({args.posts / elapsed:,.0f} posts/s), "
          f"{out.stat().st_size / 1e6:.2f} MB, {omitted} section(s) left out")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
