"""A CSV export cut in the middle of a record: the rows before it are kept, the cut record is
skipped and counted (it used to be stored, cut, without a word)."""

from __future__ import annotations

from pathlib import Path

from tests.test_discord_rules import HEADER, ROWS, _csv_line

from communitas.store import Workspace


def _write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Example Guild - Lounge - chat [111].csv").write_text(text, encoding="utf-8")
    return folder


def test_csv_cut_inside_a_record(tmp_path: Path) -> None:
    whole = "\n".join([HEADER, *(_csv_line(r) for r in ROWS[:5])]) + "\n"
    cut = whole[: whole.index("later") + 2]  # inside the fifth record's quoted content
    with Workspace(tmp_path / "a.duckdb") as ws:
        report = ws.ingest(_write(tmp_path / "cut", cut))
        bodies = [r[0] for r in ws.con.execute("SELECT body FROM posts ORDER BY created_at").fetchall()]
    assert report.skipped == {
        "Example Guild - Lounge - chat [111].csv: last record cut short (the file is truncated)": 1}
    assert bodies == ["hello all", "hi ann", "how are you", "@Bob Smith welcome"]


def test_whole_csv_keeps_its_last_record(tmp_path: Path) -> None:
    whole = "\n".join([HEADER, *(_csv_line(r) for r in ROWS[:5])]) + "\n"
    with Workspace(tmp_path / "b.duckdb") as ws:
        report = ws.ingest(_write(tmp_path / "whole", whole))
        n = ws.con.execute("SELECT count(*) FROM posts").fetchall()[0][0]
    assert report.skipped == {} and n == 5
