"""SafeZip: a zip bomb and a path-traversal name, built here, are refused; a damaged zip is broken."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from communitas.errors import BrokenInput, UnsafeInput
from communitas.sources.archives import ZIP_MAX_RATIO, SafeZip
from communitas.store import Workspace

BOMB_BYTES = 64 << 20  # 64 MiB of zeros deflate to ~64 KiB: a ratio near 1000


def _slack_zip(path: Path, extra: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("users.json", json.dumps([{"id": "U1", "name": "ann"}]))
        z.writestr("channels.json", json.dumps([{"id": "C1", "name": "general"}]))
        z.writestr("general/2020-01-01.json", json.dumps([{"ts": "1577836800.0001", "user": "U1",
                                                          "text": "hi"}]))
        for name, data in extra.items():
            z.writestr(name, data)
    return path


def test_a_zip_bomb_is_refused_before_extraction(tmp_path: Path) -> None:
    bomb = _slack_zip(tmp_path / "bomb.zip", {"general/2020-01-02.json": b"\0" * BOMB_BYTES})
    info = zipfile.ZipFile(bomb).getinfo("general/2020-01-02.json")
    assert info.file_size > ZIP_MAX_RATIO * info.compress_size  # it really is a bomb
    with pytest.raises(UnsafeInput, match="decompression bomb"):
        SafeZip(bomb)


def test_a_total_size_over_the_bound_is_refused(tmp_path: Path) -> None:
    archive = _slack_zip(tmp_path / "big.zip", {"general/2020-01-02.json": b"[]" * 1000})
    with pytest.raises(UnsafeInput, match="decompression bomb"):
        SafeZip(archive, max_total=1000)


def test_a_traversal_name_is_refused(tmp_path: Path) -> None:
    archive = _slack_zip(tmp_path / "evil.zip", {"../../etc/evil.json": b"[]"})
    with pytest.raises(UnsafeInput, match=r"\.\./\.\./etc/evil\.json"):
        SafeZip(archive)
    absolute = _slack_zip(tmp_path / "abs.zip", {"/tmp/evil.json": b"[]"})
    with pytest.raises(UnsafeInput, match="points outside"):
        SafeZip(absolute)


def test_a_crc_error_is_broken_input(tmp_path: Path) -> None:
    archive = tmp_path / "crc.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        z.writestr("users.json", b"[" + b" " * 1000 + b"]")
    data = bytearray(archive.read_bytes())
    data[data.index(b" " * 1000) + 10] = ord("x")  # flip a byte inside the stored member
    archive.write_bytes(bytes(data))
    with SafeZip(archive) as z, pytest.raises(BrokenInput, match="damaged"):
        z.open("users.json").read()


def test_ingesting_a_bomb_or_traversal_leaves_the_store_unchanged(tmp_path: Path) -> None:
    good = _slack_zip(tmp_path / "good.zip", {})
    bomb = _slack_zip(tmp_path / "bomb.zip", {"general/2020-01-02.json": b"\0" * BOMB_BYTES})
    evil = _slack_zip(tmp_path / "evil.zip", {"general/../../x.json": b"[]"})
    with Workspace(tmp_path / "s.duckdb") as ws:
        ws.ingest(good, name="w")
        before = ws.counts()
        assert before["posts"] == 1
        for bad in (bomb, evil):
            with pytest.raises(UnsafeInput):
                ws.ingest(bad, platform="slack", name="w")
        assert ws.counts() == before
