"""Safe .tar.gz reading and broken inputs: crafted archives built here, the store left unchanged."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from communitas.cli.app import main
from communitas.errors import BrokenInput, UnsafeInput
from communitas.sources.archives import iter_tar_gz
from communitas.store import Workspace


def _post(pid: int, number: int) -> bytes:
    return json.dumps({"id": pid, "post_number": number, "topic_id": 1, "post_type": 1,
                       "user_id": 2, "username": "ana", "created_at": "2024-05-01T10:00:00Z",
                       "raw": "hello " * 50, "reply_to_post_number": None}).encode()


def _tar(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tar.addfile(m)
            else:
                info = tarfile.TarInfo(m[0])
                info.size = len(m[1])
                tar.addfile(info, io.BytesIO(m[1]))
    return path


def _good(path: Path) -> Path:
    return _tar(path, [(f"posts/{i}.json", _post(i, i)) for i in range(1, 41)])


def test_members_stream_in_order(tmp_path: Path) -> None:
    path = _good(tmp_path / "a.tgz")
    got = [(name, json.loads(s.read())["id"], size) for name, s, size in iter_tar_gz(path)]
    assert [g[0] for g in got] == [f"posts/{i}.json" for i in range(1, 41)]
    assert [g[1] for g in got] == list(range(1, 41))
    assert got[0][2] == len(_post(1, 1))


@pytest.mark.parametrize("name", ["../evil.json", "/etc/evil.json", "a/../../evil.json"])
def test_traversal_names_are_refused(tmp_path: Path, name: str) -> None:
    path = _tar(tmp_path / "t.tar.gz", [("ok.json", _post(1, 1)), (name, _post(2, 2))])
    with pytest.raises(UnsafeInput, match="points outside the archive"):
        list(iter_tar_gz(path))


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_links_are_refused(tmp_path: Path, kind: bytes) -> None:
    link = tarfile.TarInfo("posts/link.json")
    link.type = kind
    link.linkname = "/etc/passwd"
    path = _tar(tmp_path / "l.tar.gz", [link])
    with pytest.raises(UnsafeInput, match="link or special file"):
        list(iter_tar_gz(path))


def test_bomb_is_refused_and_store_unchanged(tmp_path: Path, workspace: Workspace) -> None:
    # 24 MiB of zeros compress to ~24 KB: a ratio far above the 200x bound
    path = _tar(tmp_path / "bomb.tar.gz", [("posts/1.json", _post(1, 1)),
                                           ("posts/2.json", b"0" * (24 << 20))])
    assert path.stat().st_size < 200_000
    good = workspace.ingest(_good(tmp_path / "good.tar.gz"), name="forum")
    assert good.counts["posts"] == 40
    with pytest.raises(UnsafeInput, match="decompression bomb"):
        workspace.ingest(path, platform="discourse", name="forum")
    assert workspace.counts()["posts"] == 40
    assert workspace.sources()["fingerprint"].tolist() == [good.fingerprint]


def test_declared_total_over_the_bound_is_refused(tmp_path: Path) -> None:
    path = _good(tmp_path / "g.tar.gz")
    with pytest.raises(UnsafeInput, match=r"(declare|decompresses to) more than"):
        list(iter_tar_gz(path, max_total=2000))


def test_truncated_archive_is_broken_and_store_unchanged(tmp_path: Path, workspace: Workspace) -> None:
    good = _good(tmp_path / "good.tar.gz")
    workspace.ingest(good, name="forum")
    cut = tmp_path / "cut.tar.gz"
    data = good.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(BrokenInput, match="truncated or damaged"):
        workspace.ingest(cut, platform="discourse", name="forum")
    assert workspace.counts()["posts"] == 40


def test_not_gzip_is_broken(tmp_path: Path) -> None:
    path = tmp_path / "x.tar.gz"
    path.write_bytes(b"this is not gzip at all" * 10)
    with pytest.raises(BrokenInput, match=r"x\.tar\.gz"):
        list(iter_tar_gz(path))


def test_truncated_json_gz_in_folder_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    folder = tmp_path / "forum"
    folder.mkdir()
    topic = {"id": 1, "title": "t", "post_stream": {"posts": [json.loads(_post(1, 1))]}}
    blob = gzip.compress(json.dumps(topic).encode())
    (folder / "1.json.gz").write_bytes(blob)
    store = tmp_path / "s.duckdb"
    main(["ingest", str(folder), "--store", str(store), "--json"])
    (folder / "2.json.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", str(folder), "--store", str(store)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    message = err[err.index("error:"):].strip()  # after the progress bar
    assert "2.json.gz" in message and "truncated" in message
    with Workspace(store, read_only=True) as ws:
        assert ws.counts()["posts"] == 1


def test_invalid_json_file_is_skipped_and_counted(tmp_path: Path, workspace: Workspace) -> None:
    folder = tmp_path / "forum"
    folder.mkdir()
    (folder / "1.json").write_bytes(_post(1, 1))
    (folder / "2.json").write_text('{"id": 2, "post_number": ')
    report = workspace.ingest(folder)
    assert report.counts["posts"] == 1
    assert report.skipped == {"2.json: file is not valid JSON": 1}
