"""Every compressed stream is read to its end and checked, and bounded the same way: a `.tar.gz`
with a flipped byte or without its gzip trailer, and a `.json.gz` that expands 1000-fold, are
errors that leave the store as it was (they used to ingest silently, or to take gigabytes)."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from communitas.errors import BrokenInput, UnsafeInput
from communitas.sources.archives import RATIO_FLOOR, BoundedGzip, iter_tar_gz
from communitas.sources.export_file import ExportFile
from communitas.store import Workspace

BODY = "a reply about sensors and noise " * 20


def _post(pid: int) -> bytes:
    return json.dumps({"id": pid, "post_number": pid, "topic_id": 1, "post_type": 1, "user_id": pid % 3,
                       "username": f"member{pid % 3}", "created_at": "2024-05-01T10:00:00Z",
                       "raw": BODY, "reply_to_post_number": None}).encode()


def _stored_tar(path: Path, n: int = 10) -> Path:
    """A .tar.gz whose deflate blocks are stored (level 0): a flipped byte changes the text and
    nothing but the gzip CRC can notice it."""
    with tarfile.open(path, "w:gz", compresslevel=0) as tar:
        for i in range(1, n + 1):
            data = _post(i)
            info = tarfile.TarInfo(f"posts/{i}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _flip_inside_a_body(data: bytes) -> bytes:
    at = data.index(b"sensors") + 2
    return data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1:]


def test_intact_archive_reads(tmp_path: Path) -> None:
    names = [name for name, stream, _ in iter_tar_gz(_stored_tar(tmp_path / "ok.tgz")) if stream.read()]
    assert names == [f"posts/{i}.json" for i in range(1, 11)]


@pytest.mark.parametrize("damage", ["flipped byte", "no trailer", "flipped crc"])
def test_damaged_tar_gz_is_broken_and_store_unchanged(tmp_path: Path, workspace: Workspace,
                                                      damage: str) -> None:
    good = _stored_tar(tmp_path / "good.tar.gz")
    first = workspace.ingest(good, name="forum")
    assert first.counts["posts"] == 10
    data = good.read_bytes()
    bad = {"flipped byte": _flip_inside_a_body(data), "no trailer": data[:-8],
           "flipped crc": data[:-6] + bytes([data[-6] ^ 1]) + data[-5:]}[damage]
    path = tmp_path / "bad.tar.gz"
    path.write_bytes(bad)
    with pytest.raises(BrokenInput, match=r"bad\.tar\.gz.*(truncated|damaged)"):
        workspace.ingest(path, platform="discourse", name="forum")
    assert workspace.counts()["posts"] == 10
    assert workspace.sources()["fingerprint"].tolist() == [first.fingerprint]


def _bomb(path: Path, mib: int) -> Path:
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(b'{"id": 1, "pad": "')
        for _ in range(mib):
            f.write(b" " * (1 << 20))
        f.write(b'"}')
    return path


def test_json_gz_bomb_in_a_folder_is_refused(tmp_path: Path, workspace: Workspace) -> None:
    folder = tmp_path / "forum"
    folder.mkdir()
    (folder / "1.json").write_bytes(_post(1))
    bomb = _bomb(folder / "2.json.gz", 64)
    assert bomb.stat().st_size * 200 < 64 << 20  # far past the ratio bound
    with pytest.raises(UnsafeInput, match=r"2\.json\.gz.*decompression bomb"):
        workspace.ingest(folder, platform="discourse")
    assert workspace.counts()["posts"] == 0


def test_the_bound_stops_reading_early(tmp_path: Path) -> None:
    """Refused after about RATIO_FLOOR bytes, not after inflating the whole file."""
    stream = BoundedGzip(_bomb(tmp_path / "b.gz", 64).open("rb"), "b.gz")
    with pytest.raises(UnsafeInput):
        while stream.read(1 << 16):
            pass
    assert RATIO_FLOOR < stream.produced <= RATIO_FLOOR + (1 << 20)
    stream.close()


def test_read_to_the_end_is_bounded_too(tmp_path: Path) -> None:
    stream = BoundedGzip(_bomb(tmp_path / "b.gz", 64).open("rb"), "b.gz")
    with pytest.raises(UnsafeInput):
        stream.read()
    assert stream.produced <= RATIO_FLOOR + (2 << 20)


def test_chat_export_gz_uses_the_same_bound(tmp_path: Path) -> None:
    entry = ExportFile(_bomb(tmp_path / "general.json.gz", 64))
    data, _ = entry.open()
    with pytest.raises(UnsafeInput, match=r"general\.json\.gz"):
        data.read()
    data.close()


def test_chat_export_gz_with_a_flipped_byte_is_broken(tmp_path: Path) -> None:
    blob = gzip.compress(("x" * 5000).encode(), compresslevel=0)
    path = tmp_path / "general.csv.gz"
    path.write_bytes(blob[:2000] + bytes([blob[2000] ^ 1]) + blob[2001:])
    data, _ = ExportFile(path).open()
    with pytest.raises(BrokenInput, match=r"general\.csv\.gz"):
        data.read()
    data.close()
