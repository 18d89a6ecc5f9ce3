"""Discord relay webhooks (one author id posting another chat's messages under each sender's
name): a tiny CSV and a JSON export built here, every outcome worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from communitas.store import Workspace

HEADER = "AuthorID;Author;Date;Content;Attachments;Reactions;"
HOOK = "900"
# (author id, author, date, content) -- expected outcome in the comment
ROWS = [
    ("1", "ann#1234", "01-Jan-20 10:00 AM", "hello"),  # Ann's own Discord account
    (HOOK, "ann#0000", "01-Jan-20 10:01 AM", "relayed hello"),  # relayed "ann": adjacency -> account 1
    (HOOK, "bo#0000", "01-Jan-20 10:02 AM", "hi from the bridge"),  # relayed "bo": adjacency -> relayed ann
    (HOOK, "bo#0000", "01-Jan-20 10:02 AM", "second line"),  # same relayed speaker: no reply
    ("2", "cy#0002", "01-Jan-20 10:03 AM", "@ann and @bo hello"),  # mention -> account 1 (own account wins)
    ("3", "cy#0002", "01-Jan-20 10:04 AM", "@bo welcome"),  # mention -> relayed bo (no account named bo)
    ("456", "Deleted User#0000", "01-Jan-20 10:05 AM", "gone"),  # one name: an ordinary member
    ("456", "Deleted User#0000", "01-Jan-20 10:06 AM", "gone too"),
    ("77", "solo#0000", "01-Jan-20 10:07 AM", "x"),  # one #0000 name: left alone
    ("78", "mixed#0000", "01-Jan-20 10:08 AM", "y"),  # a #0000 name and another: not a relay
    ("78", "mixed#4321", "01-Jan-20 10:09 AM", "z"),
    (HOOK, "TipBot#0000", "01-Jan-20 10:10 AM", "tip"),  # a relayed bot stays a bot
]
S = "discord:tiny"


def _write(folder: Path) -> Path:
    folder.mkdir(parents=True)
    lines = [HEADER] + [";".join(f'"{v}"' for v in (*r, "", "")) + ";" for r in ROWS]
    (folder / "Example Guild - Lounge - chat [111].csv").write_text("\n".join(lines) + "\n")
    return folder


def _q(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    return ws.con.execute(sql).fetchall()


def test_a_relay_webhook_is_a_bot_and_each_relayed_name_a_member(tmp_path: Path, workspace: Workspace
                                                                 ) -> None:
    workspace.ingest(_write(tmp_path / "tiny"))
    members = {m: (n, b) for m, n, b in _q(workspace, "SELECT member_id, display_name, is_bot FROM members")}
    relayed = {n: (m, b) for m, (n, b) in members.items() if m.startswith(f"{S}:w:{HOOK}:")}
    assert sorted(relayed) == ["TipBot", "ann", "bo"]
    assert relayed["TipBot"][1] and not relayed["ann"][1] and not relayed["bo"][1]
    assert members[f"{S}:u:{HOOK}"] == ("relay webhook (3 names)", True)
    # 6 accounts (1, 2, 3, 456, 77, 78) + the webhook + 3 relayed names
    assert len(members) == 10
    assert members[f"{S}:u:456"] == ("Deleted User#0000", False)
    assert members[f"{S}:u:78"] == ("mixed#4321", False)
    by_author = dict(_q(workspace, "SELECT author_id, count(*) FROM posts GROUP BY 1"))
    assert f"{S}:u:{HOOK}" not in by_author  # the webhook itself never speaks
    assert by_author[relayed["ann"][0]] == 1 and by_author[relayed["bo"][0]] == 2
    assert by_author[f"{S}:u:456"] == 2
    ann, bo = relayed["ann"][0], relayed["bo"][0]
    replies = _q(workspace, "SELECT author_id, reply_to_member_id FROM posts ORDER BY created_at, post_id")
    assert replies[:6] == [(f"{S}:u:1", None), (ann, f"{S}:u:1"), (bo, ann), (bo, None),
                           (f"{S}:u:2", f"{S}:u:1"), (f"{S}:u:3", bo)]
    # no identity suggestion can ever involve a relayed member: no e-mail hash, no account id
    assert _q(workspace, f"SELECT count(*) FROM members WHERE member_id LIKE '{S}:w:%' "
                         "AND (email_hash IS NOT NULL OR account_id IS NOT NULL)") == [(0,)]


def test_relayed_member_ids_are_stable_across_reingests_into_a_store(tmp_path: Path) -> None:
    folder = _write(tmp_path / "tiny")
    ids = []
    with Workspace(tmp_path / "s.duckdb") as ws:
        for _ in range(2):
            ws.ingest(folder)
            ids.append(_q(ws, f"SELECT member_id, native_id FROM members WHERE member_id LIKE '{S}:w:%' "
                              "ORDER BY 1"))
    assert ids[0] == ids[1] and len(ids[0]) == 3
    assert all(m == f"{S}:w:{n}" and n.startswith(f"{HOOK}:") for m, n in ids[0])


def _user(uid: str, name: str, discriminator: str, bot: bool) -> dict[str, Any]:
    return {"id": uid, "name": name, "discriminator": discriminator, "nickname": name, "isBot": bot}


def test_json_webhook_messages_go_to_the_named_sender(tmp_path: Path, workspace: Workspace) -> None:
    hook_a, hook_b = _user(HOOK, "ann", "0000", True), _user(HOOK, "bo", "0000", True)
    real_bot = _user("5", "Helper", "1111", True)

    def msg(mid: str, minute: int, author: dict[str, Any]) -> dict[str, Any]:
        return {"id": mid, "type": "Default", "timestamp": f"2020-01-01T10:{minute:02d}:00+00:00",
                "content": "hi", "author": author, "mentions": [], "reactions": []}

    export = {"guild": {"id": "1", "name": "G"},
              "channel": {"id": "222", "name": "chat", "categoryId": "9", "category": "Help"},
              "messages": [msg("10", 0, hook_a), msg("11", 1, hook_b), msg("12", 2, hook_a),
                           msg("13", 3, real_bot)]}
    folder = tmp_path / "json"
    folder.mkdir()
    (folder / "G - Help - chat [222].json").write_text(json.dumps(export))
    workspace.ingest(folder)
    authors = _q(workspace, "SELECT p.author_id, m.display_name, m.is_bot FROM posts p "
                            "JOIN members m ON m.member_id = p.author_id ORDER BY p.post_id")
    assert [(a.split(":")[2], n, b) for a, n, b in authors] == [
        ("w", "ann", False), ("w", "bo", False), ("w", "ann", False), ("u", "Helper", True)]
    assert authors[0][0] == authors[2][0] != authors[1][0]
    assert _q(workspace, f"SELECT display_name, is_bot FROM members WHERE member_id LIKE '%:u:{HOOK}'") == [
        ("relay webhook", True)]
