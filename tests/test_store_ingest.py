"""The store's ingest contract: idempotent, --force, a newer dump replaces its source only,
identity decisions survive, export writes every table, and a killed ingest changes nothing.
"""

from __future__ import annotations

import gzip
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from tests.conftest import data_path

from communitas.model import SOURCE_TABLES, TABLES
from communitas.store import Workspace

BEER = "stackexchange:beer.stackexchange.com"
ALCOHOL = "stackexchange:alcohol.meta"


@pytest.fixture
def two_sources(tmp_path: Path, beer_store: Path) -> Path:
    """A private copy of the beer store, plus alcohol.meta and one identity decision."""
    path = tmp_path / "two.duckdb"
    shutil.copy(beer_store, path)
    with Workspace(path) as ws:
        ws.ingest(data_path("stackexchange-alcohol-meta"), name="alcohol.meta")
        ws.con.execute("INSERT INTO identities VALUES (?, 'person:1', 'same', 'checked by hand', now())",
                       [f"{BEER}:u:7"])
    return path


def _source_row(ws: Workspace, sid: str) -> tuple[Any, ...]:
    row = ws.con.execute("SELECT fingerprint, epoch_us(ingested_at), counts, options FROM sources "
                         "WHERE source_id = ?", [sid]).fetchone()
    assert row is not None
    return row


def _identities(ws: Workspace) -> list[tuple[Any, ...]]:
    return ws.con.execute("SELECT member_id, person_id, decision, evidence FROM identities").fetchall()


def test_reingest_same_input_is_unchanged(two_sources: Path) -> None:
    with Workspace(two_sources) as ws:
        before, row = ws.counts(), _source_row(ws, BEER)
        report = ws.ingest(data_path("stackexchange-beer"), name="beer.stackexchange.com")
        assert report.unchanged and not report.replaced
        beer = ws.counts(BEER)
        assert report.counts == {t: beer[t] for t in SOURCE_TABLES} and beer["posts"] == 6980
        assert ws.counts() == before
        assert _source_row(ws, BEER) == row  # not even re-stamped


def test_force_rereads_with_the_same_counts(two_sources: Path) -> None:
    with Workspace(two_sources) as ws:
        before, row = ws.counts(), _source_row(ws, BEER)
        report = ws.ingest(data_path("stackexchange-beer"), name="beer.stackexchange.com", force=True)
        assert not report.unchanged and report.replaced
        assert ws.counts() == before
        after = _source_row(ws, BEER)
        assert after[0] == row[0] and after[2] == row[2]
        assert after[1] > row[1]  # re-stamped
        assert _identities(ws) == [(f"{BEER}:u:7", "person:1", "same", "checked by hand")]


def test_no_text_rereads_without_bodies(two_sources: Path) -> None:
    with Workspace(two_sources) as ws:
        before = ws.counts()
        report = ws.ingest(data_path("stackexchange-beer"), name="beer.stackexchange.com", keep_bodies=False)
        assert report.replaced and not report.unchanged  # other options: read again
        assert ws.counts() == before
        bodies = ws.con.execute("SELECT count(body) FROM posts WHERE source_id = ?", [BEER]).fetchone()
        titles = ws.con.execute("SELECT count(title) FROM threads WHERE source_id = ?", [BEER]).fetchone()
        assert bodies == (0,) and titles == (1029,)


def _newer_dump(tmp_path: Path, drop_answers: int, drop_comments: int) -> Path:
    """A copy of the beer folder with the last answers and comments removed (an "older" view)."""
    out = tmp_path / "beer-newer"
    out.mkdir()
    for gz in data_path("stackexchange-beer").glob("*.xml.gz"):
        shutil.copyfile(gz, out / gz.name)
    drops = (("Posts", b'PostTypeId="2"', drop_answers), ("Comments", b"<row ", drop_comments))
    for name, marker, n in drops:
        lines = gzip.decompress((out / f"{name}.xml.gz").read_bytes()).split(b"\n")
        hits = set([i for i, line in enumerate(lines) if marker in line][-n:])
        kept = [line for i, line in enumerate(lines) if i not in hits]
        (out / f"{name}.xml.gz").write_bytes(gzip.compress(b"\n".join(kept)))
    return out


def test_newer_dump_replaces_only_its_source(tmp_path: Path, two_sources: Path) -> None:
    newer = _newer_dump(tmp_path, drop_answers=10, drop_comments=20)
    with Workspace(two_sources) as ws:
        beer_before, alcohol_before = ws.counts(BEER), ws.counts(ALCOHOL)
        alcohol_row = _source_row(ws, ALCOHOL)
        report = ws.ingest(newer, name="beer.stackexchange.com")
        assert report.replaced and not report.unchanged
        beer_after = ws.counts(BEER)
        assert beer_after["posts"] == beer_before["posts"] - 30 == 6950
        kinds = dict(ws.con.execute("SELECT kind, count(*) FROM posts WHERE source_id = ? GROUP BY 1",
                                    [BEER]).fetchall())
        assert (kinds["answer"], kinds["comment"], kinds["question"]) == (2267, 3489, 1029)
        assert {t: beer_after[t] for t in ("members", "reactions", "events", "threads")} == {
            t: beer_before[t] for t in ("members", "reactions", "events", "threads")}
        assert ws.counts(ALCOHOL) == alcohol_before
        assert _source_row(ws, ALCOHOL) == alcohol_row
        assert ws.con.execute("SELECT count(*) FROM sources").fetchone() == (2,)
        assert _identities(ws) == [(f"{BEER}:u:7", "person:1", "same", "checked by hand")]


def test_export_parquet_writes_every_table(tmp_path: Path, two_sources: Path) -> None:
    from communitas.cli.app import main

    out = tmp_path / "export"
    main(["export", "--format", "parquet", str(out), "--store", str(two_sources)])
    with Workspace(two_sources, read_only=True) as ws:
        counts = ws.counts()
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in TABLES)
    for table in TABLES:
        parquet = pq.read_table(out / f"{table}.parquet")
        assert parquet.num_rows == counts[table], table
        assert parquet.column_names == list(TABLES[table])
    assert counts["posts"] == 6980 + 618 and counts["identities"] == 1
    posts = pq.read_table(out / "posts.parquet", columns=["created_at"])
    assert str(posts.schema.field("created_at").type) == "timestamp[us, tz=UTC]"


_SLOW_CLI = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, even if started in background
from pathlib import Path
import communitas.store
from communitas.cli import ingest as cli_ingest
marker, pause = Path(sys.argv[1]), float(sys.argv[2])
def note(line):
    with marker.open("a") as f:
        f.write(line + "\\n")
plain_bars = cli_ingest._Bars.__call__
def slow_bars(self, label, done, total, rows):
    plain_bars(self, label, done, total, rows)
    note(f"{label}\\t{done}\\t{rows}")
    time.sleep(pause)
plain_derive = communitas.store.derive
def slow_derive(con, source_id):
    plain_derive(con, source_id)  # inside the ingest transaction, all rows loaded
    note("derived")
    time.sleep(60)
cli_ingest._Bars.__call__ = slow_bars
communitas.store.derive = slow_derive
from communitas.cli.app import main
main(sys.argv[3:])
"""


def _store_with_alcohol(tmp_path: Path) -> tuple[Path, dict[str, int], list[tuple[Any, ...]]]:
    store = tmp_path / "kill.duckdb"
    with Workspace(store) as ws:
        ws.ingest(data_path("stackexchange-alcohol-meta"), name="alcohol.meta")
        sources = ws.con.execute("SELECT source_id, fingerprint FROM sources").fetchall()
        return store, ws.counts(), sources


def _slow_ingest(tmp_path: Path, store: Path, pause: str) -> tuple[subprocess.Popen[bytes], Path]:
    marker = tmp_path / "progress.log"
    archive = data_path("stackexchange-beer-7z", "beer.stackexchange.com.7z")
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_CLI, str(marker), pause, "ingest", str(archive),
                             "--store", str(store)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, marker


def _wait_until(proc: subprocess.Popen[bytes], reached: Any) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not reached() and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    assert reached()


@pytest.mark.parametrize("phase", ["reading", "in_transaction"])
def test_killed_ingest_leaves_the_store_as_before(tmp_path: Path, phase: str) -> None:
    """SIGKILL `communitas ingest` while it reads (three files started) or inside its transaction
    (all rows loaded and derived, not committed); the reopened store is as before, and usable."""
    store, before, sources_before = _store_with_alcohol(tmp_path)
    proc, marker = _slow_ingest(tmp_path, store, "0.2" if phase == "reading" else "0")
    reached = (lambda: _files_started(marker) >= 3) if phase == "reading" else (
        lambda: marker.exists() and "derived" in marker.read_text())
    try:
        _wait_until(proc, reached)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with Workspace(store) as ws:
        assert ws.counts() == before
        assert ws.con.execute("SELECT source_id, fingerprint FROM sources").fetchall() == sources_before
        archive = data_path("stackexchange-beer-7z", "beer.stackexchange.com.7z")
        report = ws.ingest(archive, name="beer.stackexchange.com")  # usable, and not "unchanged"
        assert not report.unchanged and not report.replaced
        assert report.counts["posts"] == 3471 + 3509
        assert ws.counts(ALCOHOL) == {t: (before[t] if t in SOURCE_TABLES else ws.counts()[t])
                                      for t in TABLES}
    assert not [p.name for p in tmp_path.iterdir() if "staging" in p.name]


def test_interrupted_ingest_says_so_and_changes_nothing(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT) while reading the .7z: exit 130, one line saying the store is unchanged."""
    store, before, sources_before = _store_with_alcohol(tmp_path)
    proc, marker = _slow_ingest(tmp_path, store, "0.2")
    try:
        _wait_until(proc, lambda: _files_started(marker) >= 2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 130
    assert err.decode().strip().splitlines()[-1] == (
        "interrupted; the store is unchanged by the unfinished command.")
    with Workspace(store, read_only=True) as ws:
        assert ws.counts() == before
        assert ws.con.execute("SELECT source_id, fingerprint FROM sources").fetchall() == sources_before
    assert not [p.name for p in tmp_path.iterdir() if "staging" in p.name]


def _files_started(marker: Path) -> int:
    if not marker.exists():
        return 0
    lines = [line.split("\t") for line in marker.read_text().splitlines()]
    return len({parts[0] for parts in lines if len(parts) == 3})


def test_sources_json_reflects_the_store(two_sources: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from communitas.cli.app import main

    main(["sources", "--json", "--store", str(two_sources)])
    listed = json.loads(capsys.readouterr().out)
    assert [s["source_id"] for s in listed] == [ALCOHOL, BEER]
    beer = listed[1]
    assert beer["counts"]["posts"] == 6980 and beer["skipped"] == {} and beer["warnings"] == []
    assert beer["first_activity_at"].startswith("2014-01-21 20:26:05.383")
