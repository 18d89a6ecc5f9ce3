"""A `.7z` whose header is damaged is a BrokenInput (one line, exit 2), whatever py7zr's decoders
raise: one-byte flips in beer's compressed header used to end in an `LZMAError` traceback."""

from __future__ import annotations

import struct
from collections import Counter
from pathlib import Path

import pytest
from tests.conftest import data_path, run_cli

from communitas.errors import BrokenInput
from communitas.sources.sevenzip import list_7z

SEVEN_Z = ("stackexchange-beer-7z", "beer.stackexchange.com.7z")


def _flipped(data: bytes, at: int, folder: Path) -> Path:
    out = folder / "beer.stackexchange.com.7z"
    out.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:])
    return out


def test_every_flip_in_the_header_is_broken_input_or_harmless(tmp_path: Path) -> None:
    data = data_path(*SEVEN_Z).read_bytes()
    offset, size = struct.unpack("<QQ", data[12:28])  # the start header: where the next header is
    header = 32 + offset
    outcomes: Counter[str] = Counter()
    for at in range(header - 400, header + size):  # the packed (LZMA) header and its descriptor
        try:
            list_7z(_flipped(data, at, tmp_path))
            outcomes["read"] += 1
        except BrokenInput:
            outcomes["broken"] += 1
    # counted on this archive with the old code: 190 LZMAError tracebacks, 74 BrokenInput, and 173
    # flips in packed data the header does not use (they fail later, in extraction, as damage)
    assert outcomes == {"broken": 264, "read": 173}


def test_cli_says_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = data_path(*SEVEN_Z).read_bytes()
    offset, _ = struct.unpack("<QQ", data[12:28])
    archive = _flipped(data, 32 + offset - 100, tmp_path)
    code, _, err = run_cli(["ingest", str(archive), "--store", str(tmp_path / "s.duckdb")], capsys)
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2 and len(errors) == 1 and "not a readable .7z" in errors[0]
