"""Every Stack Exchange dataset under ../shared/data ingests with the counts its stats.json gives.

Expected numbers are read from each folder's ``stats.json`` (computed by parsing every file when
the data was collected), and a few are cross-checked by counting ``<row`` in the raw gzip files
with the standard library. The ``.7z`` and ``.xml.gz`` forms of the beer site must give
identical stores.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from tests.conftest import comparable, data_path, raw_rows

from communitas.model import SOURCE_TABLES, TABLES
from communitas.store import Workspace

BEER = "beer.stackexchange.com"
# PostTypeId -> the post kind the data model documents for it (docs/sources/stackexchange.md)
KIND_OF_TYPE = {"1": "question", "2": "answer", "4": "tag_wiki_excerpt", "5": "tag_wiki",
                "7": "wiki_placeholder"}
# dataset folder -> (path given to ingest, source name)
DATASETS = {
    "stackexchange-beer": ("stackexchange-beer", BEER),
    "stackexchange-beer-7z": ("stackexchange-beer-7z/beer.stackexchange.com.7z", BEER),
    "stackexchange-alcohol-meta": ("stackexchange-alcohol-meta", "alcohol.meta"),
    "stackexchange-french-meta": ("stackexchange-french-meta", "french.meta"),
    "stackexchange-conlang-meta": ("stackexchange-conlang-meta", "conlang.meta"),
    "stackexchange-quantumcomputing": ("stackexchange-quantumcomputing", "quantumcomputing"),
}


def _stats(folder: str) -> dict[str, Any]:
    # the .7z folder has no stats.json: its PROVENANCE says it is the same dump as the folder
    name = "stackexchange-beer" if folder == "stackexchange-beer-7z" else folder
    result: dict[str, Any] = json.loads(data_path(name, "stats.json").read_text())
    return result


def _raw_rows(folder: str, file: str) -> int:
    with gzip.open(data_path(folder, f"{file}.xml.gz"), "rb") as f:
        return sum(line.lstrip().startswith(b"<row ") for line in f)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, beer_store: Path) -> dict[str, Path]:
    """The beer folder (conftest), the beer .7z in its own store, the other four in one store."""
    base = tmp_path_factory.mktemp("se_counts")
    out = {"stackexchange-beer": beer_store}
    with Workspace(base / "7z.duckdb") as ws:
        ws.ingest(data_path(DATASETS["stackexchange-beer-7z"][0]), name=BEER)
    out["stackexchange-beer-7z"] = base / "7z.duckdb"
    with Workspace(base / "others.duckdb") as ws:
        for folder, (rel, name) in DATASETS.items():
            if not folder.startswith("stackexchange-beer"):
                ws.ingest(data_path(rel), name=name)
                out[folder] = base / "others.duckdb"
    return out


@pytest.fixture
def ws_for(stores: dict[str, Path]) -> Iterator[Any]:
    opened: list[Workspace] = []

    def open_(folder: str) -> Workspace:
        ws = Workspace(stores[folder], read_only=True)
        opened.append(ws)
        return ws

    yield open_
    for ws in opened:
        ws.close()


def _grouped(ws: Workspace, table: str, col: str, sid: str) -> dict[str, int]:
    rows = ws.con.execute(
        f"SELECT {col}, count(*) FROM {table} WHERE source_id = ? GROUP BY 1", [sid]).fetchall()
    return {k: n for k, n in rows}


@pytest.mark.parametrize("folder", list(DATASETS))
def test_counts_equal_stats_json(folder: str, ws_for: Any) -> None:
    stats = _stats(folder)
    rows = {file.removesuffix(".xml"): v["rows"] for file, v in stats.items()}
    sid = f"stackexchange:{DATASETS[folder][1]}"
    ws = ws_for(folder)
    counts = ws.counts(sid)
    kinds = _grouped(ws, "posts", "kind", sid)
    expected_kinds = {KIND_OF_TYPE[t]: n for t, n in stats["Posts.xml"]["PostTypeId"].items()}
    expected_kinds["comment"] = rows["Comments"]
    assert kinds == expected_kinds
    assert counts["posts"] == rows["Posts"] + rows["Comments"]
    assert counts["threads"] == stats["Posts.xml"]["PostTypeId"]["1"]
    assert counts["members"] == rows["Users"]
    assert counts["reactions"] == rows["Votes"]
    assert _grouped(ws, "places", "kind", sid) == {"tag": rows["Tags"], "site": 1}
    events = _grouped(ws, "events", "category", sid)
    assert events.get("recognition", 0) == rows["Badges"]
    assert events.get("link", 0) == rows["PostLinks"]
    assert events.get("edit", 0) + events.get("moderation", 0) == rows.get("PostHistory", 0)
    src = ws.con.execute("SELECT skipped, epoch_ms(first_activity_at), epoch_ms(last_activity_at) "
                         "FROM sources WHERE source_id = ?", [sid]).fetchone()
    assert json.loads(src[0]) == {}
    # the activity span is the earliest/latest post or comment (dump times are UTC)
    first = min(stats["Posts.xml"]["first"], stats["Comments.xml"]["first"])
    last = max(stats["Posts.xml"]["last"], stats["Comments.xml"]["last"])
    assert src[1] == round(datetime.fromisoformat(first).replace(tzinfo=UTC).timestamp() * 1000)
    assert src[2] == round(datetime.fromisoformat(last).replace(tzinfo=UTC).timestamp() * 1000)


def test_beer_headline_numbers_match_provenance(ws_for: Any) -> None:
    """The figures PROVENANCE.md / the issue quote, also counted from the raw gzip files."""
    ws = ws_for("stackexchange-beer")
    sid = f"stackexchange:{BEER}"
    kinds = _grouped(ws, "posts", "kind", sid)
    assert (kinds["question"], kinds["answer"], kinds["comment"]) == (1029, 2277, 3509)
    assert _raw_rows("stackexchange-beer", "Posts") == 3471
    assert _raw_rows("stackexchange-beer", "Comments") == kinds["comment"]
    counts = ws.counts(sid)
    assert counts["members"] == 6863 == _raw_rows("stackexchange-beer", "Users")
    assert counts["reactions"] == 18564 == _raw_rows("stackexchange-beer", "Votes")
    assert _grouped(ws, "places", "kind", sid)["tag"] == 153


def test_thread_places_equal_tags_on_questions(ws_for: Any) -> None:
    """One thread_places row per tag of every question, counted from the raw Posts.xml."""
    expected = sum(r.get("Tags", "").count("<") for r in raw_rows("stackexchange-beer", "Posts")
                   if r["PostTypeId"] == "1")
    ws = ws_for("stackexchange-beer")
    assert ws.counts(f"stackexchange:{BEER}")["thread_places"] == expected == 2027


def test_quantumcomputing_warns_about_missing_posthistory(ws_for: Any) -> None:
    assert not data_path("stackexchange-quantumcomputing").joinpath("PostHistory.xml.gz").exists()
    ws = ws_for("stackexchange-quantumcomputing")
    row = ws.con.execute("SELECT warnings FROM sources WHERE name = 'quantumcomputing'").fetchone()
    warnings = json.loads(row[0])
    assert len(warnings) == 1
    assert "PostHistory.xml" in warnings[0] and "closures" in warnings[0]
    assert _raw_rows("stackexchange-quantumcomputing", "Votes") == 12560
    assert ws.counts("stackexchange:quantumcomputing")["reactions"] == 12560


def _table_rows(path: Path, table: str) -> pa.Table:
    ignore = {"origin", "fingerprint", "ingested_at"} if table == "sources" else set()
    cols = [c for c in TABLES[table] if c not in ignore]
    with Workspace(path, read_only=True) as ws:
        select = ", ".join(comparable(table, c) for c in cols)
        return ws.con.sql(f"SELECT {select} FROM {table} ORDER BY ALL").to_arrow_table()


@pytest.mark.parametrize("table", list(TABLES))
def test_7z_and_gz_folder_give_identical_stores(table: str, stores: dict[str, Path]) -> None:
    gz = _table_rows(stores["stackexchange-beer"], table)
    sevenz = _table_rows(stores["stackexchange-beer-7z"], table)
    assert gz.num_rows == sevenz.num_rows
    assert gz.equals(sevenz)
    if table in (*SOURCE_TABLES, "sources"):  # workspace tables (identities, ...) start empty
        assert gz.num_rows > 0
