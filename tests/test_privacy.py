"""The right to erasure and opting out, on the real alcohol.meta dump: `communitas forget` removes a
member's text and identity while every figure stays as it was, and survives a re-ingest;
`communitas members optout` leaves a member out of every figure."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import data_path, raw_rows, run_cli

from communitas.metrics.profile import build_profile
from communitas.store import Workspace

SID = "stackexchange:alcohol.meta"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with Workspace(path) as ws:
        ws.ingest(data_path("stackexchange-alcohol-meta"), name="alcohol.meta")
    return path


def _top_poster() -> tuple[str, int]:
    """The user with most questions and answers in the raw Posts.xml, and that number."""
    counts: dict[str, int] = {}
    for r in raw_rows("stackexchange-alcohol-meta", "Posts"):
        if r["PostTypeId"] in ("1", "2") and r.get("OwnerUserId") not in (None, "-1"):
            counts[r["OwnerUserId"]] = counts.get(r["OwnerUserId"], 0) + 1
    user = max(counts, key=lambda u: (counts[u], u))
    return user, counts[user]


def _figures(store: Path) -> dict[str, Any]:
    with Workspace(store, read_only=True) as ws:
        p = build_profile(ws)
    return {"overview": p["overview"], "people": p["people"], "interaction": p["social_interaction"]}


def _one(store: Path, sql: str, params: list[Any] | None = None) -> Any:
    with Workspace(store, read_only=True) as ws:
        return ws.con.execute(sql, params or []).fetchall()[0][0]


def test_forget_erases_text_and_identity_and_keeps_the_figures(store: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    user, n_posts = _top_poster()
    member = f"{SID}:u:{user}"
    before = _figures(store)
    assert _one(store, "SELECT count(*) FROM posts WHERE author_id = ? AND body IS NOT NULL", [member]) > 0
    code, _, err = run_cli(["forget", member, "--store", str(store)], capsys)
    assert code == 2 and "--yes" in err
    code, out, _ = run_cli(["forget", member, "--yes", "--store", str(store)], capsys)
    assert code == 0 and ":forgotten:" in out
    assert _figures(store) == before
    for table, col in (("posts", "author_id"), ("posts", "reply_to_member_id"), ("members", "member_id"),
                       ("reactions", "member_id"), ("events", "member_id"), ("threads", "author_id")):
        assert _one(store, f"SELECT count(*) FROM {table} WHERE {col} = ?", [member]) == 0
    new_id = _one(store, "SELECT member_id FROM members WHERE member_id LIKE '%:forgotten:%'")
    row = _one(store, "SELECT [display_name, native_id, account_id, email_hash] FROM members "
                      "WHERE member_id = ?", [new_id])
    assert row == [None, None, None, None]
    assert _one(store, "SELECT count(*) FROM posts WHERE author_id = ? AND kind IN ('question', 'answer')",
                [new_id]) == n_posts
    assert _one(store, "SELECT count(*) FROM posts WHERE author_id = ? AND body IS NOT NULL", [new_id]) == 0


def test_forget_survives_a_reingest(store: Path, tmp_path: Path) -> None:
    user, n_posts = _top_poster()
    member = f"{SID}:u:{user}"
    with Workspace(store) as ws:
        from communitas.privacy import forget

        forget(ws.con, member, ws._salt())
        dump = tmp_path / "alcohol.meta"
        shutil.copytree(data_path("stackexchange-alcohol-meta"), dump)
        report = ws.ingest(dump, name="alcohol.meta", force=True)
    assert report.warnings == ["1 member(s) forgotten again, at their earlier request (`communitas forget`)."]
    assert _one(store, "SELECT count(*) FROM members WHERE member_id = ?", [member]) == 0
    assert _one(store, "SELECT count(*) FROM posts WHERE author_id LIKE '%:forgotten:%' "
                       "AND kind IN ('question', 'answer') AND body IS NULL") == n_posts


def test_opt_out_leaves_a_member_out_of_every_figure(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    user, _ = _top_poster()
    member = f"{SID}:u:{user}"
    before = _figures(store)
    code, _, _ = run_cli(["members", "optout", member, "--yes", "--store", str(store)], capsys)
    assert code == 0
    after = _figures(store)
    assert after["overview"]["contributors"] == before["overview"]["contributors"] - 1
    theirs = _one(store, "SELECT count(*) FROM posts WHERE author_id = ? AND is_contribution", [member])
    assert sum(after["overview"]["posts_by_kind"].values()) == (
        sum(before["overview"]["posts_by_kind"].values()) - theirs)
    run_cli(["members", "optout", member, "--no", "--store", str(store)], capsys)
    assert _figures(store) == before
    code, _, err = run_cli(["members", "optout", "no:such:member", "--yes", "--store", str(store)], capsys)
    assert code == 2 and "no such member" in err
