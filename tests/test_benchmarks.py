"""The Stack Exchange ingest benchmark still runs, and ingests what it generated.

A small dump (4 MB, far below the 500 MB a real measurement uses) keeps this quick; the rows the
benchmark reports are checked against the ``<row`` lines of the files it wrote.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _rows(path: Path, having: bytes = b"") -> int:
    """``<row`` lines of ``path`` (those holding ``having``), counted without communitas."""
    with path.open("rb") as f:
        return sum(line.lstrip().startswith(b"<row ") and having in line for line in f)


def test_stackexchange_benchmark_reports_both_modes_and_the_rows_it_wrote(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "ingest_stackexchange.py"), "--mb", "4", "--runs", "1",
         "--dir", str(tmp_path / "se"), "--keep"],
        capture_output=True, text=True, timeout=300, check=True).stdout
    speed = re.compile(r"^(one core|all \d+ cores): 4 MB of XML in [\d.]+ s = [\d.]+ MB/s wall, "
                       r"[\d.]+ MB per CPU-second .*peak RSS [\d,]+ MB", re.M)
    modes = [m.group(1) for m in speed.finditer(out)]
    assert len(modes) == 2 and modes[0] == "one core", out
    counts = ast.literal_eval(out.rsplit("rows: ", 1)[1].split(" ", 1)[1].strip())
    dump = tmp_path / "se" / "dump"
    assert counts["members"] == _rows(dump / "Users.xml")
    assert counts["reactions"] == _rows(dump / "Votes.xml")
    assert counts["posts"] == _rows(dump / "Posts.xml") + _rows(dump / "Comments.xml")
    assert counts["threads"] == _rows(dump / "Posts.xml", b'PostTypeId="1"')
