"""Times outside what a source can hold — before its platform existed, after the ingest — are
skipped and counted (required times) or dropped and counted (optional ones). One post dated
9999-12-31 used to stretch the network's windows over eight millennia."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import data_path, raw_rows

from communitas.network import rolling_windows
from communitas.store import Workspace


def _dump(folder: Path) -> tuple[Path, dict[str, str]]:
    """The conlang meta dump with two answers and one user dated where no Stack Exchange site was."""
    out = folder / "conlang"
    out.mkdir()
    answers = [r["Id"] for r in raw_rows("stackexchange-conlang-meta", "Posts") if r["PostTypeId"] == "2"]
    user = raw_rows("stackexchange-conlang-meta", "Users")[1]["Id"]
    moved = {answers[0]: "9999-12-31T00:00:00.000", answers[1]: "2001-01-01T00:00:00.000"}
    for gz in data_path("stackexchange-conlang-meta").glob("*.xml.gz"):
        text = gzip.decompress(gz.read_bytes()).decode("utf-8")
        if gz.name == "Posts.xml.gz":
            for pid, when in moved.items():
                text = re.sub(rf'(<row Id="{pid}" [^>]*?CreationDate=")[^"]+', rf"\g<1>{when}", text)
        if gz.name == "Users.xml.gz":
            text = re.sub(rf'(<row Id="{user}" [^>]*?CreationDate=")[^"]+', r"\g<1>1970-01-01T00:00:00.000",
                          text)
        (out / gz.name.removesuffix(".gz")).write_text(text, encoding="utf-8")
    return out, moved


def test_dates_outside_the_platforms_life_are_skipped_and_counted(tmp_path: Path) -> None:
    dump, moved = _dump(tmp_path)
    posts = raw_rows("stackexchange-conlang-meta", "Posts")
    comments = raw_rows("stackexchange-conlang-meta", "Comments")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    with Workspace(tmp_path / "s.duckdb") as ws:
        report = ws.ingest(dump, name="conlang.meta")
        skipped = {k: v for k, v in report.skipped.items() if "outside" in k}
        stored = {r[0] for r in ws.con.execute("SELECT post_id FROM posts").fetchall()}
        last = ws.con.execute("SELECT max(created_at), min(created_at) FROM posts").fetchall()[0]
        joined = ws.con.execute("SELECT count(*) FROM members WHERE joined_at < '2008-07-31'").fetchall()
        windows = rolling_windows(ws.ibis())
    assert skipped == {
        f"Posts.xml: created_at outside 2008-07-31..{tomorrow}": 2,
        f"Users.xml: joined_at outside 2008-07-31..{tomorrow} (row kept, value dropped)": 1,
    }
    assert not {f"stackexchange:conlang.meta:p:{old}" for old in moved} & stored
    # every other post and comment of the dump is there (tag wikis are posts too)
    assert len(stored) == len(posts) + len(comments) - 2
    assert last[0].year < 2030 and last[1].year >= 2008 and joined == [(0,)]
    assert len(windows) < 200  # 90-day windows every 30 days over the site's life, not to 9999
