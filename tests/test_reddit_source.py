"""The Reddit source on the real Pushshift sample (2005-12 and 2006-01 comments), every count
recomputed here from the raw NDJSON with ``json`` alone; plus hand-made dumps (built in tmp_path,
pseudonymous authors) for submissions, bots, moderators and bad input."""

from __future__ import annotations

import gzip
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from backports.zstd import ZstdCompressor
from tests.conftest import data_path, run_cli

from communitas.metrics.profile import build_profile
from communitas.network.analysis import analyse
from communitas.network.graph import GraphOptions
from communitas.sources import reddit
from communitas.sources.registry import find_source
from communitas.store import Workspace

FOLDER = "reddit-redditcom-2005"
SID = f"reddit:{FOLDER}"


def _raw() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in ("RC_2005-12.ndjson", "RC_2006-01.ndjson"):
        with data_path(FOLDER, name).open("rb") as f:
            out.extend(json.loads(line) for line in f if line.strip())
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reddit") / "r.duckdb"
    with Workspace(path) as ws:
        ws.ingest(data_path(FOLDER))
        ws.ingest(data_path(FOLDER, "original"), name="zst")
    return path


def _q(ws: Workspace, sql: str, *params: Any) -> Any:
    row = ws.con.execute(sql, list(params)).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def test_detects_the_sample_in_both_shapes_and_nothing_else() -> None:
    assert find_source(data_path(FOLDER)).platform == "reddit"
    assert find_source(data_path(FOLDER, "original")).platform == "reddit"
    assert find_source(data_path(FOLDER, "original", "RC_2005-12.zst")).platform == "reddit"
    src = reddit.RedditSource()
    for other in (("discourse-askci",), ("slack-houstondatavis",), ("discord-komodo",),
                  ("format-samples-perceval", "supybot"), (FOLDER, "README.md"), (FOLDER, "stats.json")):
        assert not src.detect(data_path(*other)), other


def test_real_sample_counts_equal_the_raw_files_and_readme(store: Path) -> None:
    raw = _raw()
    stats = json.loads(data_path(FOLDER, "stats.json").read_text())
    authors = {r["author"].lower() for r in raw if r["author"] != "[deleted]"}
    t1 = [r for r in raw if r["parent_id"].startswith("t1_")]
    ids = {r["id"] for r in raw}
    with Workspace(store, read_only=True) as ws:
        assert _q(ws, "SELECT count(*) FROM posts WHERE source_id = ?", SID) == len(raw) == 4741
        assert _q(ws, "SELECT count(*) FROM members WHERE source_id = ?", SID) == len(authors) == (
            stats["distinct_authors_excluding_[deleted]"])
        assert _q(ws, "SELECT count(*) FROM threads WHERE source_id = ?", SID) == len(
            {r["link_id"] for r in raw}) == stats["comment_threads_distinct_link_id"]
        assert _q(ws, "SELECT count(*), count(title), count(author_id) FROM threads WHERE source_id = ?",
                  SID) == (1536, 0, 0)
        assert dict(ws.con.execute("SELECT name, count(*) FROM places JOIN posts USING (source_id) "
                                   "JOIN threads USING (thread_id) WHERE places.place_id = threads.place_id "
                                   "AND source_id = ? GROUP BY 1", [SID]).fetchall()) == dict(
            Counter(r["subreddit"] for r in raw)) == stats["places_subreddits"]
        assert _q(ws, "SELECT count(reply_to_post_id) FROM posts WHERE source_id = ?", SID) == len(t1)
        assert _q(ws, "SELECT count(*) FROM posts p JOIN posts q ON q.post_id = p.reply_to_post_id "
                      "WHERE p.source_id = ?", SID) == sum(r["parent_id"][3:] in ids for r in t1) == 1648
        assert _q(ws, "SELECT count(*) FROM posts WHERE source_id = ? AND author_id IS NULL", SID) == sum(
            r["author"] == "[deleted]" for r in raw) == 1078
        assert dict(ws.con.execute("SELECT kind, count(*) FROM events WHERE source_id = ? GROUP BY 1",
                                   [SID]).fetchall()) == {
            "deleted": sum(r["body"] == "[deleted]" for r in raw),
            "removed": sum(r["body"] == "[removed]" for r in raw)} == {"deleted": 576, "removed": 72}
        first, last = _q(ws, "SELECT min(created_at), max(created_at) FROM posts WHERE source_id = ?", SID)
        assert (int(first.timestamp()), int(last.timestamp())) == (
            min(r["created_utc"] for r in raw), max(r["created_utc"] for r in raw))
        assert _q(ws, "SELECT count(*) FROM members WHERE source_id = ? AND is_bot", SID) == 0
        assert _q(ws, "SELECT skipped FROM sources WHERE source_id = ?", SID) in ("{}", None)


def test_zst_originals_give_the_same_rows(store: Path) -> None:
    with Workspace(store, read_only=True) as ws:
        def rows(sid: str) -> list[tuple[Any, ...]]:
            return ws.con.execute(
                "SELECT native_id, created_at, reply_to_post_id IS NULL, author_id IS NULL, body "
                "FROM posts WHERE source_id = ? ORDER BY native_id", [sid]).fetchall()
        assert rows(SID) == rows("reddit:zst")
        assert len(rows(SID)) == 4741


def test_identities_are_pseudonymous_and_one_member_per_name(store: Path) -> None:
    raw = _raw()
    top = Counter(r["author"] for r in raw if r["author"] != "[deleted]").most_common(1)[0]
    with Workspace(store, read_only=True) as ws:
        ids = [r[0] for r in ws.con.execute("SELECT member_id FROM members WHERE source_id = ?",
                                            [SID]).fetchall()]
        assert not any(top[0].lower() in i.lower() for i in ids)
        assert _q(ws, "SELECT count(*) FROM posts p JOIN members m ON m.member_id = p.author_id "
                      "WHERE m.display_name = ? AND p.source_id = ?", top[0], SID) == top[1]
        assert _q(ws, "SELECT count(*) FROM members WHERE display_name = '[deleted]'") == 0


def test_profile_network_topics_and_report_run_on_it(store: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with Workspace(store, read_only=True) as ws:
        profile = build_profile(ws, source=SID)
        result = analyse(ws.ibis(), GraphOptions(source_id=SID), whole=True, roles=True)
        replies = _q(ws, "SELECT count(*) FROM posts WHERE source_id = ? AND reply_to_member_id IS NOT NULL "
                         "AND reply_to_member_id <> author_id", SID)
    assert profile["overview"]["contributors"] == 969
    assert result.figures.iloc[0]["interactions"] == replies > 0
    code, out, _ = run_cli(["topics", "--store", str(store), "--source", SID, "-k", "3", "--json"], capsys)
    assert code == 0 and json.loads(out)["threads"] > 0
    code, _, err = run_cli(["report", "--store", str(store), "--source", SID, "-o",
                            str(tmp_path / "r.html")], capsys)
    assert code == 0, err
    assert (tmp_path / "r.html").stat().st_size > 0


# -- hand-made dumps ------------------------------------------------------------------------------

def _sub(sid: str, author: str, at: int | str, **extra: Any) -> dict[str, Any]:
    return {"id": sid, "name": f"t3_{sid}", "author": author, "created_utc": at, "subreddit": "Example",
            "subreddit_id": "t5_x", "title": f"title {sid}", "selftext": "hello", "score": 3, **extra}


def _com(cid: str, link: str, parent: str, author: str, at: int | str, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "link_id": f"t3_{link}", "parent_id": parent, "author": author, "created_utc": at,
            "subreddit": "Example", "body": f"text {cid}", "score": 1, **extra}


def _write(path: Path, objs: list[Any], compress: str = "") -> Path:
    data = b"".join(json.dumps(o).encode() + b"\n" for o in objs)
    if compress == ".zst":
        data = ZstdCompressor().compress(data, ZstdCompressor.FLUSH_FRAME)
    elif compress == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def _ingest(path: Path, tmp_path: Path) -> tuple[Workspace, str]:
    ws = Workspace(tmp_path / "s.duckdb")
    return ws, ws.ingest(path, platform="reddit").source_id


def test_submissions_comments_bots_and_moderators(tmp_path: Path) -> None:
    dump = tmp_path / "example"
    dump.mkdir()
    _write(dump / "RC_2020-01.zst", [
        _com("c1", "s1", "t3_s1", "alice", 1_577_836_900),
        _com("c2", "s1", "t1_c1", "Bob", "1577836960", distinguished="moderator", edited=1_577_840_000),
        _com("c3", "s1", "t1_c2", "AutoModerator", 1_577_837_000, stickied=True),
        _com("c4", "zz", "t3_zz", "alice", 1_577_900_000),
        _com("c5", "zz", "t1_c4", "[deleted]", 1_577_950_000, body="[removed]"),
    ], ".zst")
    _write(dump / "RS_2020-01.gz", [_sub("s1", "bob", 1_577_836_800)], ".gz")
    (dump / "notes.json").write_text('{"not": "a dump"}')
    ws, sid = _ingest(dump, tmp_path)
    with ws:
        assert ws.con.execute("SELECT native_id, title, author_id IS NOT NULL, created_at FROM threads "
                              "ORDER BY 1").fetchall() == [
            ("t3_s1", "title s1", True, _at(1_577_836_800)), ("t3_zz", None, False, _at(1_577_900_000))]
        posts = {r[0]: r[1:] for r in ws.con.execute(
            "SELECT native_id, kind, reply_to_post_id, body FROM posts").fetchall()}
        assert posts["t3_s1"] == ("topic", None, "hello")
        assert posts["t1_c1"] == ("reply", f"{sid}:p:t3_s1", "text c1")  # its submission is read
        assert posts["t1_c4"][1] is None  # its submission is not in the input
        assert posts["t1_c5"] == ("reply", f"{sid}:p:t1_c4", None)
        members = {r[0]: r[1:] for r in ws.con.execute(
            "SELECT display_name, is_bot, is_moderator FROM members").fetchall()}
        assert members == {"alice": (False, False), "bob": (False, True), "AutoModerator": (True, False)}
        assert sorted(r[0] for r in ws.con.execute("SELECT kind FROM events").fetchall()) == [
            "edit_body", "removed", "sticky"]
        assert _q(ws, "SELECT reply_to_member_id = (SELECT member_id FROM members WHERE display_name = "
                      "'alice') FROM posts WHERE native_id = 't1_c2'")


def test_a_submission_after_its_comments_is_counted_and_warned(tmp_path: Path) -> None:
    path = _write(tmp_path / "mixed.jsonl", [_com("c1", "s1", "t3_s1", "alice", 1_600_000_010),
                                             _sub("s1", "bob", 1_600_000_005)])
    ws, _ = _ingest(path, tmp_path)
    with ws:
        assert _q(ws, "SELECT count(*), count(title) FROM threads") == (1, 0)
        assert _q(ws, "SELECT count(*) FROM posts WHERE kind = 'topic'") == 1
        warnings = _q(ws, "SELECT warnings FROM sources")
    assert "1 submissions came after comments of their thread" in warnings


def _at(seconds: int) -> Any:
    from datetime import UTC, datetime
    return datetime.fromtimestamp(seconds, UTC)


def test_bad_rows_are_skipped_and_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reddit, "MAX_LINE", 300)
    good = [_com(f"c{i}", "s1", "t3_s1", "alice", 1_600_000_000 + i) for i in range(3)]
    lines = [json.dumps(o).encode() for o in good] + [
        json.dumps(_com("c1", "s1", "t3_s1", "alice", 1)).encode(),  # repeated id
        json.dumps({"link_id": "t3_s1", "created_utc": 1, "subreddit": "x"}).encode(),  # no id
        json.dumps(_com("d1", "s1", "t3_s1", "alice", "yesterday")).encode(),
        json.dumps(_com("d9", "s1", "t3_s1", "alice", float("nan"))).encode(),  # NaN: JSON allows it
        json.dumps({k: v for k, v in _com("d2", "s1", "t3_s1", "a", 1).items() if k != "subreddit"}).encode(),
        json.dumps({k: v for k, v in _com("d3", "s1", "t3_s1", "a", 1).items() if k != "link_id"}).encode(),
        json.dumps({"id": "d4", "created_utc": 1, "subreddit": "x"}).encode(),
        json.dumps(_com("d5", "s1", "t3_s1", "alice", 1, body="x" * 400)).encode(),  # too long
        b"[1, 2]",
        json.dumps(_com("d6", "s1", "t3_s1", "café", 1)).encode().replace(b"caf\\u00e9", "café".encode(
            "latin-1")),
        b'{"id": "d7", "link_id": "t3_s1", "crea',  # a truncated last line
    ]
    path = tmp_path / "RC_2020-09.ndjson"
    path.write_bytes(b"\n".join(lines))
    ws, sid = _ingest(path, tmp_path)
    with ws:
        skipped = json.loads(_q(ws, "SELECT skipped FROM sources WHERE source_id = ?", sid))
        assert _q(ws, "SELECT count(*) FROM posts") == 3
    reasons = {k.split(": ", 1)[1]: v for k, v in skipped.items()}
    assert reasons == {
        "repeated id (already read; first copy kept)": 1,
        "no valid id (a base-36 Reddit id)": 1,
        "no valid created_utc (Unix seconds)": 2,
        "no subreddit": 1,
        "comment without a valid link_id (its thread)": 1,
        "neither a comment (link_id) nor a submission (title)": 1,
        "line longer than 300 bytes": 1,
        "line is not a JSON object": 1,
        "line is not UTF-8 text": 1,
        "line is not valid JSON (a truncated file ends so)": 1,
    }
    assert sum(reasons.values()) == len(lines) - 3


def _fails_cleanly(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], pattern: str) -> None:
    store = tmp_path / "keep.duckdb"
    with Workspace(store) as ws:
        ws.ingest(_write(tmp_path / "RC_1999-01.ndjson", [_com("k1", "s", "t3_s", "alice", 1)]))
        before = ws.con.execute("SELECT source_id, fingerprint FROM sources").fetchall(), ws.counts()
    code, _, err = run_cli(["ingest", str(path), "--store", str(store), "--platform", "reddit"], capsys)
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2 and len(lines) == 1, err
    assert re.search(pattern, lines[0]), lines[0]
    with Workspace(store, read_only=True) as ws:
        after = ws.con.execute("SELECT source_id, fingerprint FROM sources").fetchall(), ws.counts()
    assert after == before


def test_truncated_zst_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    whole = data_path(FOLDER, "original", "RC_2006-01.zst").read_bytes()
    cut = tmp_path / "RC_2006-01.zst"
    cut.write_bytes(whole[: len(whole) // 2])
    _fails_cleanly(cut, tmp_path, capsys, r"RC_2006-01\.zst: cannot be decompressed.*truncated or damaged")


def test_wrong_encoding_file_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "RC_2020-02.ndjson"
    path.write_bytes(json.dumps(_com("c1", "s", "t3_s", "alice", 1)).encode("utf-16"))
    _fails_cleanly(path, tmp_path, capsys, r"no Reddit comment or submission found.*UTF-8")
    assert not reddit.RedditSource().detect(path)


def test_link_out_of_the_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = _write(tmp_path / "RC_2020-03.ndjson", [_com("c1", "s", "t3_s", "alice", 1)])
    folder = tmp_path / "dump"
    folder.mkdir()
    _write(folder / "RC_2020-04.ndjson", [_com("c2", "s", "t3_s", "alice", 2)])
    os.symlink(outside, folder / "RC_2020-03.ndjson")
    _fails_cleanly(folder, tmp_path, capsys, r"RC_2020-03\.ndjson: a link to a file outside .*refused")


def test_same_month_plain_and_compressed_is_read_once(tmp_path: Path) -> None:
    objs = [_com("c1", "s", "t3_s", "alice", 1_590_000_001), _com("c2", "s", "t1_c1", "bob", 1_590_000_002)]
    folder = tmp_path / "dump"
    folder.mkdir()
    _write(folder / "RC_2020-05.ndjson", objs)
    _write(folder / "RC_2020-05.zst", objs, ".zst")
    ws, sid = _ingest(folder, tmp_path)
    with ws:
        assert _q(ws, "SELECT count(*) FROM posts") == 2
        assert _q(ws, "SELECT skipped FROM sources WHERE source_id = ?", sid) in ("{}", None)


def test_ingest_help_lists_reddit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["ingest", "--help"], capsys)
    assert code == 0
    assert "reddit" in out and "Pushshift" in " ".join(out.split())


def test_benchmark_runs_and_reads_every_generated_comment(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, str(root / "benchmarks" / "ingest_reddit.py"), "--mb", "2",
                          "--dir", str(tmp_path / "b"), "--keep"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    with (tmp_path / "b" / "whole" / "RC_2030-01.ndjson").open("rb") as f:
        lines = sum(1 for _ in f)
    reads = re.findall(r"^communitas read \[whole\]: ([\d,]+) in .* peak RSS [\d,]+ MB$", out, re.M)
    refs = re.findall(r"^json\.loads loop \[whole\]: ([\d,]+) in ", out, re.M)
    assert [int(x.replace(",", "")) for x in reads + refs] == [lines, lines], out
