"""``ingest --no-text`` drops post bodies and keeps thread titles, on every platform (docs/data-model.md,
docs/security.md), including chat, whose conversation titles come from a first message."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import data_path

from communitas.store import Workspace


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with Workspace(path, read_only=True) as ws:
        return ws.con.execute(sql).fetchall()


def test_slack_no_text_keeps_conversation_titles_and_drops_bodies(tmp_path: Path) -> None:
    full, bare = tmp_path / "full.duckdb", tmp_path / "bare.duckdb"
    for path, keep in ((full, True), (bare, False)):
        with Workspace(path) as ws:
            ws.ingest(data_path("slack-houstondatavis"), keep_bodies=keep)
    titles = "SELECT thread_id, title FROM threads ORDER BY thread_id"
    kept = _rows(bare, titles)
    assert kept == _rows(full, titles)
    assert sum(t is not None for _, t in kept) > 100  # conversations opened by a message with text
    # each title is the first 80 characters of its conversation's first message, spaces collapsed;
    # both are masked when stored (communitas.masking: a Slack <@U…|handle> loses its handle), so
    # the title is where the stored message starts
    firsts = dict(_rows(full, "SELECT thread_id, arg_min(body, (created_at, post_id)) FROM posts "
                              "WHERE thread_id IS NOT NULL GROUP BY thread_id"))
    for tid, title in kept:
        if title is not None:
            assert len(title) <= 80 and " ".join(str(firsts[tid]).split()).startswith(title)
    assert _rows(bare, "SELECT count(*) FROM posts WHERE body IS NOT NULL") == [(0,)]
    lengths = "SELECT post_id, length FROM posts ORDER BY post_id"
    assert _rows(bare, lengths) == _rows(full, lengths)
