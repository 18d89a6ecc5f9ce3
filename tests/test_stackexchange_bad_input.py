"""Bad input, each built here from the shared data (never committed).

Where the whole input is unusable: one ``error:`` line naming the file and what to do, exit
status 2, and a store that already holds another source left exactly as it was. Where only
some rows are bad: they are skipped and counted by reason, the rest ingested.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import data_path, run_cli

from communitas.errors import BrokenInput, UnsafeInput
from communitas.sources.xml_rows import iter_row_columns
from communitas.store import Workspace

SEVEN_Z = ("stackexchange-beer-7z", "beer.stackexchange.com.7z")
SECRET = "s3cr3t-marker-not-to-be-read"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store that already holds another source (alcohol.meta)."""
    path = tmp_path_factory.mktemp("bad") / "store.duckdb"
    with Workspace(path) as ws:
        ws.ingest(data_path("stackexchange-alcohol-meta"), name="alcohol.meta")
    return path


def _state(store: Path) -> tuple[dict[str, int], list[tuple[Any, ...]]]:
    with Workspace(store, read_only=True) as ws:
        rows = ws.con.execute("SELECT source_id, fingerprint, counts FROM sources ORDER BY 1").fetchall()
        return ws.counts(), rows


def _fails_cleanly(path: Path, store: Path, capsys: pytest.CaptureFixture[str], *,
                   names: str, advice: str) -> str:
    before = _state(store)
    code, _, err = run_cli(["ingest", str(path), "--store", str(store)], capsys)
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2
    assert len(errors) == 1, err
    assert names in errors[0]
    assert re.search(advice, errors[0]), errors[0]
    assert _state(store) == before
    return errors[0]


def _conlang_copy(tmp_path: Path) -> Path:
    """A plain-XML copy of the conlang meta dump (small), to break."""
    out = tmp_path / "conlang"
    out.mkdir()
    for gz in data_path("stackexchange-conlang-meta").glob("*.xml.gz"):
        (out / gz.name.removesuffix(".gz")).write_bytes(gzip.decompress(gz.read_bytes()))
    return out


def test_truncated_posts_xml(tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dump = _conlang_copy(tmp_path)
    posts = dump / "Posts.xml"
    posts.write_bytes(posts.read_bytes()[: posts.stat().st_size // 2])
    line = _fails_cleanly(dump, store, capsys, names=str(posts), advice="truncated or damaged")
    assert "download the dump" in line


def test_non_xml_file_named_posts_xml(tmp_path: Path, store: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    dump = _conlang_copy(tmp_path)
    shutil.copy(data_path("stackexchange-conlang-meta", "PROVENANCE.md"), dump / "Posts.xml")
    _fails_cleanly(dump, store, capsys, names=str(dump / "Posts.xml"), advice="is not XML.*unmodified")


def test_gzip_that_is_truncated(tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dump = tmp_path / "gz"
    shutil.copytree(data_path("stackexchange-conlang-meta"), dump)
    dump.chmod(0o755)
    comments = dump / "Comments.xml.gz"
    data = comments.read_bytes()
    comments.chmod(0o644)
    comments.write_bytes(data[: len(data) // 2])
    _fails_cleanly(dump, store, capsys, names=str(comments), advice="truncated or damaged")


def test_corrupt_7z_flipped_bytes(tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "beer.stackexchange.com.7z"
    data = bytearray(data_path(*SEVEN_Z).read_bytes())
    middle = len(data) // 3
    data[middle: middle + 64] = bytes(b ^ 0xFF for b in data[middle: middle + 64])
    archive.write_bytes(bytes(data))
    _fails_cleanly(archive, store, capsys, names=str(archive), advice="damaged.*Download the .7z again")


def test_corrupt_7z_truncated(tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "beer.stackexchange.com.7z"
    data = data_path(*SEVEN_Z).read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    _fails_cleanly(archive, store, capsys, names=str(archive), advice="not a readable .7z.*Download it again")


def test_path_that_does_not_exist(tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-such-dump"
    _fails_cleanly(missing, store, capsys, names=str(missing), advice="no such file.*Check the path")


def test_folder_that_is_not_a_dump(tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    shutil.copy(data_path("stackexchange-beer", "PROVENANCE.md"), folder / "PROVENANCE.md")
    _fails_cleanly(folder, store, capsys, names=str(folder), advice="Point at the export's folder")


def test_not_a_dump_with_platform_named(tmp_path: Path, store: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    shutil.copy(data_path("stackexchange-beer", "PROVENANCE.md"), folder / "PROVENANCE.md")
    before = _state(store)
    code, _, err = run_cli(["ingest", str(folder), "--platform", "stackexchange", "--store", str(store)],
                               capsys)
    assert code == 2
    assert err.strip() == (
        f"error: {folder}: not a Stack Exchange dump (no Posts.xml, Posts.xml.gz or site .7z found). "
        "Give the folder holding the dump's XML files, or the site's .7z archive(s).")
    assert _state(store) == before


def test_dump_without_posts_xml(tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dump = tmp_path / "users-only"
    dump.mkdir()
    shutil.copy(data_path("stackexchange-conlang-meta", "Users.xml.gz"), dump / "Users.xml.gz")
    _fails_cleanly(dump, store, capsys, names=str(dump), advice="Point at the export's folder")
    code, _, err = run_cli(["ingest", str(dump), "--platform", "stackexchange", "--store", str(store)],
                               capsys)
    assert code == 2 and err.strip() == (f"error: {dump}: the dump has no Posts.xml (or .xml.gz); nothing "
                                         "to ingest. Give the folder or .7z that holds the whole dump.")


def _one_post_dump(tmp_path: Path, prolog: str, attrs: str) -> Path:
    dump = tmp_path / "crafted"
    dump.mkdir()
    (dump / "Posts.xml").write_text(
        f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}<posts>\n'
        f'  <row Id="1" PostTypeId="1" CreationDate="2020-01-01T00:00:00.000" Tags="&lt;a&gt;" {attrs}/>\n'
        "</posts>\n")
    return dump


def _secret_file(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    return secret


def test_external_entity_is_refused(tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = _secret_file(tmp_path)
    dump = _one_post_dump(tmp_path, f'<!DOCTYPE posts [<!ENTITY x SYSTEM "file://{secret}">]>\n',
                          'Title="&x;" Body="&x;"')
    _fails_cleanly(dump, store, capsys, names=str(dump / "Posts.xml"), advice="DOCTYPE.*original dump")
    assert not _store_mentions(store, SECRET)


def test_billion_laughs_is_refused(tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ents = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    dump = _one_post_dump(tmp_path, f"<!DOCTYPE posts [{ents}]>\n", 'Body="&l9;"')
    _fails_cleanly(dump, store, capsys, names=str(dump / "Posts.xml"), advice="entity-expansion")


def test_doctype_hidden_behind_a_long_comment_is_refused(tmp_path: Path, store: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A DOCTYPE pushed past the 64 KiB peek by a comment that itself looks like an element."""
    secret = _secret_file(tmp_path)
    prolog = f'<!-- <a {"x" * 70_000} -->\n<!DOCTYPE posts [<!ENTITY x SYSTEM "file://{secret}">]>\n'
    dump = _one_post_dump(tmp_path, prolog, 'Title="&x;"')
    _fails_cleanly(dump, store, capsys, names=str(dump / "Posts.xml"), advice="no element starts")
    assert not _store_mentions(store, SECRET)


def test_xml_reader_refuses_entities_directly(tmp_path: Path) -> None:
    secret = _secret_file(tmp_path)
    doc = (f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r><row A="&x;"/></r>').encode()
    with pytest.raises(UnsafeInput, match="DOCTYPE"):
        list(iter_row_columns(io.BytesIO(doc), "crafted.xml", lambda n: None, ("A",)))
    with pytest.raises(BrokenInput, match=r"crafted\.xml: is not well-formed"):
        list(iter_row_columns(io.BytesIO(b'<r><row A="1"/><row B='), "crafted.xml", lambda n: None, ("A",)))


def _store_mentions(store: Path, text: str) -> bool:
    with Workspace(store, read_only=True) as ws:
        hits = ws.con.execute("SELECT count(*) FROM posts WHERE body LIKE ?", [f"%{text}%"]).fetchone()
        titles = ws.con.execute("SELECT count(*) FROM threads WHERE title LIKE ?", [f"%{text}%"]).fetchone()
    return bool((hits and hits[0]) or (titles and titles[0]))


def _break_rows(dump: Path) -> dict[str, str]:
    """Give one question a malformed date, put invalid UTF-8 in one answer and one comment date."""
    posts = (dump / "Posts.xml").read_bytes().split(b"\n")
    q = next(i for i, line in enumerate(posts) if b'PostTypeId="1"' in line)
    a = next(i for i, line in enumerate(posts) if b'PostTypeId="2"' in line)
    qid = re.search(rb' Id="(\d+)"', posts[q]).group(1).decode()  # type: ignore[union-attr]
    aid = re.search(rb' Id="(\d+)"', posts[a]).group(1).decode()  # type: ignore[union-attr]
    posts[q] = re.sub(rb'CreationDate="[^"]*"', b'CreationDate="2019-02-30T25:61:00.000"', posts[q])
    posts[a] = posts[a].replace(b'Body="', b'Body="caf\xe9 \xff ', 1)
    (dump / "Posts.xml").write_bytes(b"\n".join(posts))
    comments = (dump / "Comments.xml").read_bytes().split(b"\n")
    c = next(i for i, line in enumerate(comments) if b"<row " in line)
    cid = re.search(rb' Id="(\d+)"', comments[c]).group(1).decode()  # type: ignore[union-attr]
    comments[c] = re.sub(rb'CreationDate="[^"]*"', b'CreationDate="yesterday"', comments[c])
    (dump / "Comments.xml").write_bytes(b"\n".join(comments))
    return {"question": qid, "answer": aid, "comment": cid}


def test_bad_rows_are_skipped_and_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dump = _conlang_copy(tmp_path)
    broken = _break_rows(dump)
    stats = json.loads(data_path("stackexchange-conlang-meta", "stats.json").read_text())
    store = tmp_path / "rows.duckdb"
    code, out, _ = run_cli(["ingest", str(dump), "--store", str(store), "--name", "conlang", "--json"],
                               capsys)
    assert code == 0
    report = json.loads(out)
    assert report["skipped"] == {
        "Comments.xml: malformed created_at": 1,
        "Posts.xml: line is not valid UTF-8": 1,
        "Posts.xml: missing or malformed CreationDate": 1,
    }
    counts = report["counts"]
    assert counts["posts"] == stats["Posts.xml"]["rows"] - 2 + stats["Comments.xml"]["rows"] - 1
    assert counts["threads"] == stats["Posts.xml"]["PostTypeId"]["1"] - 1
    assert counts["members"] == stats["Users.xml"]["rows"]
    with Workspace(store, read_only=True) as ws:
        sid = "stackexchange:conlang"
        gone = ws.con.execute("SELECT count(*) FROM posts WHERE native_id IN (?, ?, ?)",
                              list(broken.values())).fetchone()
        assert gone == (0,)
        # the skipped question leaves no thread and no tag rows behind
        left = ws.con.execute("SELECT count(*) FROM thread_places WHERE thread_id = ?",
                              [f"{sid}:t:{broken['question']}"]).fetchone()
        assert left == (0,)
        skipped = json.loads(ws.con.execute("SELECT skipped FROM sources").fetchone()[0])  # type: ignore[index]
        assert skipped == report["skipped"]
        # Posts.xml times arrive parsed, Comments.xml times as text (one is malformed): every
        # time kept is still the one written in the dump, read here with the standard library.
        stored = dict(ws.con.execute("SELECT post_id, epoch_ms(created_at) FROM posts").fetchall())
    dropped = {"Posts": {broken["question"], broken["answer"]}, "Comments": {broken["comment"]}}
    expected = {f"{sid}:{letter}:{row.get('Id')}": _epoch_ms(row.get("CreationDate", ""))
                for name, letter in (("Posts", "p"), ("Comments", "c"))
                for row in _raw_rows(name) if row.get("Id") not in dropped[name]}
    assert stored == expected


def _raw_rows(name: str) -> list[ET.Element]:
    raw = gzip.decompress(data_path("stackexchange-conlang-meta", f"{name}.xml.gz").read_bytes())
    return list(ET.fromstring(raw))


def _epoch_ms(iso: str) -> int:
    return round(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp() * 1000)
