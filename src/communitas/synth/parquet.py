"""Write a synthetic community as canonical Parquet: one ``<table>.parquet`` per table of
:data:`communitas.model.TABLES`, the layout ``communitas export --format parquet`` writes.

Rows are buffered ``FLUSH`` at a time and written as row groups, so memory stays flat. Ids follow
the Stack Exchange source's scheme under the source id ``synthetic:<name>``: an opener is a
question (``p:<id>``, its thread ``t:<id>``), a reply an answer, a comment ``c:<id>``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from communitas.model import TABLES
from communitas.synth.model import Member, Thread

FLUSH = 50_000
_TYPES = {"VARCHAR": pa.string(), "JSON": pa.string(), "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
          "BOOLEAN": pa.bool_(), "DOUBLE": pa.float64(), "BIGINT": pa.int64(), "INTEGER": pa.int32()}
_KINDS = {"opener": "question", "reply": "answer", "comment": "comment"}


def schema(table: str) -> pa.Schema:
    return pa.schema([(c, _TYPES[t]) for c, t in TABLES[table].items()])


def _ts(t: float) -> datetime:
    return datetime.fromtimestamp(round(t, 3), UTC)


class ParquetWriter:
    """A sink for :class:`communitas.synth.model.Community` writing canonical tables."""

    def __init__(self, folder: Path, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.name = folder, name
        self.sid = f"synthetic:{name}"
        self.writers = {t: pq.ParquetWriter(folder / f"{t}.parquet", schema(t), compression="zstd")
                        for t in TABLES}
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
        self.counts = {t: 0 for t in TABLES}
        self.span = [float("inf"), float("-inf")]

    def _add(self, table: str, row: dict[str, Any]) -> None:
        rows = self.rows[table]
        rows.append(row)
        self.counts[table] += 1
        if len(rows) >= FLUSH:
            self._flush(table)

    def _flush(self, table: str) -> None:
        if self.rows[table]:
            self.writers[table].write_table(pa.Table.from_pylist(self.rows[table], schema=schema(table)))
            self.rows[table] = []

    def _id(self, kind: str, n: object) -> str:
        return f"{self.sid}:{kind}:{n}"

    def thread(self, th: Thread, tag_names: list[str]) -> None:
        opener = th.posts[0]
        tid = self._id("t", opener.post_id)
        places = [self._id("tag", tag_names[t]) for t in th.tags]
        accepted = self._id("p", th.accepted) if th.accepted in {p.post_id for p in th.posts} else None
        self._add("threads", {"thread_id": tid, "source_id": self.sid, "native_id": str(opener.post_id),
                              "place_id": places[0], "title": th.title,
                              "author_id": self._id("u", opener.author),
                              "created_at": _ts(opener.at), "status": "accepted" if accepted else "open",
                              "accepted_post_id": accepted, "view_count": th.views})
        for i, place in enumerate(places):
            self._add("thread_places", {"thread_id": tid, "place_id": place, "source_id": self.sid,
                                        "position": i})
        for p in th.posts:
            letter = "c" if p.role == "comment" else "p"
            self._add("posts", {
                "post_id": self._id(letter, p.post_id), "source_id": self.sid, "native_id": str(p.post_id),
                "thread_id": tid, "author_id": self._id("u", p.author), "created_at": _ts(p.at),
                "reply_to_post_id": self._id("p", p.parent) if p.parent is not None else None,
                "reply_to_member_id": self._id("u", p.parent_author) if p.parent_author is not None else None,
                "kind": _KINDS[p.role], "is_contribution": True, "length": len(p.body), "score": p.score,
                "body": p.body})
            self.span = [min(self.span[0], p.at), max(self.span[1], p.at)]

    def members(self, members: list[Member]) -> None:
        for m in members:
            self._add("members", {"member_id": self._id("u", m.member_id), "source_id": self.sid,
                                  "native_id": str(m.member_id), "display_name": f"member{m.member_id}",
                                  "joined_at": _ts(m.joined), "last_seen_at": _ts(m.last_seen),
                                  "is_bot": False, "is_system": False, "score": float(1 + 5 * m.posts)})

    def close(self, tag_names: list[str], tag_counts: list[int]) -> dict[str, int]:
        site = f"{self.sid}:site"
        self._add("places", {"place_id": site, "source_id": self.sid, "native_id": self.name,
                             "kind": "site", "name": self.name})
        for name, n in zip(tag_names, tag_counts, strict=True):
            if n:
                self._add("places", {"place_id": self._id("tag", name), "source_id": self.sid,
                                     "native_id": name, "kind": "tag", "name": name, "parent_id": site,
                                     "item_count": n})
        counts = {t: n for t, n in self.counts.items() if t != "sources"}
        self._add("sources", {"source_id": self.sid, "platform": "synthetic", "name": self.name,
                              "origin": "communitas synth", "ingested_at": datetime.now(UTC),
                              "first_activity_at": _ts(self.span[0]) if self.counts["posts"] else None,
                              "last_activity_at": _ts(self.span[1]) if self.counts["posts"] else None,
                              "counts": json.dumps(counts), "skipped": "{}", "warnings": "[]",
                              "options": "{}"})
        for table, writer in self.writers.items():
            self._flush(table)
            writer.close()
        return dict(self.counts)


def load_into(con: Any, folder: Path) -> None:
    """Append the canonical tables written in ``folder`` to the store behind the DuckDB
    connection ``con`` (for benchmarks: a synthetic store without parsing a dump)."""
    for table in TABLES:
        path = folder / f"{table}.parquet"
        if path.exists():
            con.execute(f"INSERT INTO {table} SELECT * FROM read_parquet(?)", [str(path)])
