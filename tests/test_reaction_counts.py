"""A reaction *count* is stored as a count: one row whose ``value`` is the count, never that many
rows. A 1 KB Discourse topic saying ``"count": 50000000`` took an ingest past 4 GB, and a 27 KB
Discord CSV of ``emoji (99999)`` did the same; a count that is not a number counts nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.test_discord_rules import ANN, BOB, EXPORT, HEADER, _msg

from communitas.store import Workspace


def _rows(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    return ws.con.execute(sql).fetchall()


def test_discourse_counts_stay_counts(tmp_path: Path, workspace: Workspace) -> None:
    post = {"id": 1, "post_number": 1, "post_type": 1, "user_id": 5, "username": "ana", "topic_id": 7,
            "created_at": "2024-01-01T00:01:00.000Z", "cooked": "<p>hello</p>",
            "actions_summary": [{"id": 2, "count": 50_000_000}, {"id": 100, "count": -3}],
            "reactions": [{"id": "heart", "type": "emoji", "count": 40_000_000},
                          {"id": "+1", "count": "many"}]}
    topic = {"id": 7, "title": "Hello", "created_at": "2024-01-01T00:01:00Z",
             "post_stream": {"posts": [post]}}
    folder = tmp_path / "forum" / "t"
    folder.mkdir(parents=True)
    (folder / "7.json").write_text(json.dumps(topic))
    assert (folder / "7.json").stat().st_size < 1024
    workspace.ingest(tmp_path / "forum")
    assert sorted(_rows(workspace, "SELECT kind, value, member_id FROM reactions")) == [
        ("emoji:heart", 40_000_000.0, None), ("like", 50_000_000.0, None)]


def test_discord_csv_counts_stay_counts(tmp_path: Path, workspace: Workspace) -> None:
    line = '"1";"Ann#0001";"01-Jan-20 10:{:02d} AM";"hi";"";"🎈 (99999),👍 (0)";'
    text = "\n".join([HEADER, *(line.format(i % 60) for i in range(2000))]) + "\n"
    folder = tmp_path / "guild"
    folder.mkdir()
    (folder / "Example Guild - Lounge - chat [111].csv").write_text(text, encoding="utf-8")
    workspace.ingest(folder)
    assert _rows(workspace, "SELECT count(*), sum(value), count(member_id) FROM reactions") == [
        (2000, 2000 * 99999.0, 0)]


def test_discord_json_named_reactors_and_the_rest(tmp_path: Path, workspace: Workspace) -> None:
    export = dict(EXPORT)
    export["messages"] = [
        _msg("1001", "Default", "2021-03-01T10:00:00.000+00:00", "how do I X?", ANN, reactions=[
            {"emoji": {"id": None, "name": "👍"}, "count": 10_000_000, "users": [BOB]},
            {"emoji": {"id": None, "name": "🎈"}, "count": "many", "users": []}]),
    ]
    folder = tmp_path / "guild"
    folder.mkdir()
    (folder / "Example Guild - Help - support [222].json").write_text(json.dumps(export), encoding="utf-8")
    workspace.ingest(folder)
    assert sorted(_rows(workspace, "SELECT kind, value, member_id IS NULL FROM reactions")) == [
        ("👍", 1.0, False), ("👍", 9_999_999.0, True)]


def test_slack_counts_stay_counts_and_a_bad_count_counts_nothing(tmp_path: Path,
                                                                 workspace: Workspace) -> None:
    from tests.test_slack_authors import T0, _export, _person

    msg = _person("U0ANN", "ann", "Ann Example", T0, "morning")
    msg["reactions"] = [{"name": f"e{i}", "users": ["U0BOB"], "count": 10_000} for i in range(2000)]
    msg["reactions"].append({"name": "odd", "users": [], "count": "many"})
    root = _export(tmp_path / "acme", day=[msg])
    assert (root / "general" / "2023-11-14.json").stat().st_size < 150_000
    workspace.ingest(root)
    assert _rows(workspace, "SELECT count(*), sum(value), count(member_id) FROM reactions") == [
        (4000, 2000 * 10_000.0, 2000)]
