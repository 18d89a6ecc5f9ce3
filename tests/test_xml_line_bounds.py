"""The XML reader's line buffer is bounded: a file without line ends is read through in bounded
memory (a 6 MB .xml.gz of spaces used to grow past 2 GB), and a row longer than any real dump's is
skipped and counted instead of being called a truncated file."""

from __future__ import annotations

import gzip
import io
import random
import tracemalloc
from pathlib import Path

import pytest
from tests.conftest import data_path, raw_rows

from communitas.sources import xml_rows
from communitas.sources.xml_rows import MAX_LINE, clean_chunks
from communitas.store import Workspace


class Spaces(io.RawIOBase):
    """``size`` bytes of spaces and no line end, produced on the fly."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.left = size

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = min(self.left, n if n >= 0 else self.left)
        self.left -= n
        return b" " * n


def test_no_line_end_is_read_in_bounded_memory() -> None:
    long_lines: list[int] = []
    tracemalloc.start()
    try:
        pieces = list(clean_chunks(Spaces(200 << 20), print, long_lines.append))  # type: ignore[arg-type]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert pieces == [] and long_lines == [1]
    assert peak < MAX_LINE + (8 << 20), peak


@pytest.mark.parametrize("seed", range(5))
def test_lines_survive_any_chunking(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Short lines come out exactly as they went in, whatever the read sizes; lines over the bound
    (here 50 bytes, read 7 at a time) are dropped and counted, one each."""
    monkeypatch.setattr(xml_rows, "CHUNK", 7)
    monkeypatch.setattr(xml_rows, "MAX_LINE", 50)
    rnd = random.Random(seed)
    lines = [b"x" * rnd.choice([rnd.randint(0, 20), rnd.randint(200, 400)]) + b"\n" for _ in range(300)]
    if seed % 2:
        lines[-1] = lines[-1].rstrip(b"\n")  # a last line without its line end
    long_lines: list[int] = []
    out = b"".join(clean_chunks(io.BytesIO(b"".join(lines)), print, long_lines.append))
    kept = [line for line in lines if len(line.rstrip(b"\n")) <= 20]
    assert out == b"".join(kept)
    assert len(long_lines) == len(lines) - len(kept)


def _with_a_huge_row(folder: Path) -> Path:
    out = folder / "conlang"
    out.mkdir()
    for gz in data_path("stackexchange-conlang-meta").glob("*.xml.gz"):
        data = gzip.decompress(gz.read_bytes())
        if gz.name == "Posts.xml.gz":
            at = data.index(b"  <row ")
            huge = b'  <row Id="999999" PostTypeId="1" CreationDate="2020-01-01T00:00:00.000" Body="'
            data = data[:at] + huge + b"a" * (50 << 20) + b'" />\n' + data[at:]
        (out / gz.name.removesuffix(".gz")).write_bytes(data)
    return out


def test_a_50_mb_row_is_skipped_and_counted(tmp_path: Path) -> None:
    dump = _with_a_huge_row(tmp_path)
    questions = [r for r in raw_rows("stackexchange-conlang-meta", "Posts") if r["PostTypeId"] == "1"]
    with Workspace(tmp_path / "s.duckdb") as ws:
        report = ws.ingest(dump, name="conlang.meta")
        assert report.skipped == {"Posts.xml: line over 8 MiB (no row of a dump is)": 1}
        threads = ws.con.execute("SELECT count(*) FROM threads").fetchall()[0][0]
    assert threads == len(questions)
