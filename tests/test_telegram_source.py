"""Telegram source: Perceval's Bot API sample recounted with the standard library, a Desktop forum
export built here whose every row was worked out by hand, the whole-account shape, and bad input
(truncated, missing fields, not UTF-8, a zip member outside the archive) leaving the store as it was."""

from __future__ import annotations

import gzip
import json
import random
import zipfile
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import data_path, run_cli

from communitas.errors import BrokenInput, UnknownFormat, UnsafeInput
from communitas.sources.registry import find_source
from communitas.store import Workspace

T0 = 1_600_000_000
SID = "telegram:tiny"


def _msg(i: int, dt: int, sender: tuple[str, str] | None, text: Any = "", **extra: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"id": i, "type": "message", "date": "2020-09-13T12:26:40",
                         "date_unixtime": str(T0 + dt)}
    if sender is not None:
        m["from"], m["from_id"] = sender
    m["text"] = text
    m.update(extra)
    return m


def _service(i: int, dt: int, actor: tuple[str, str], action: str, **extra: Any) -> dict[str, Any]:
    return {"id": i, "type": "service", "date": "2020-09-13T12:26:40", "date_unixtime": str(T0 + dt),
            "actor": actor[0], "actor_id": actor[1], "action": action, "text": "", **extra}


ANN, BOB = ("Ann", "user1"), ("Bob", "user2")
BOT, NEWS = ("GroupHelpBot", "user3"), ("Rust News", "channel77")


def _forum_chat() -> dict[str, Any]:
    """A forum supergroup: a topic, replies, a mention, a bot, a channel sender, service messages."""
    return {"name": "Rust Learners", "type": "private_supergroup", "id": 1001, "messages": [
        _service(1, 0, ANN, "create_group", title="Rust Learners", members=[]),
        _service(2, 60, BOB, "join_group_by_link", inviter="Group"),
        _msg(3, 120, ANN, "Welcome!"),
        _msg(4, 180, BOB, ["Thanks ", {"type": "mention_name", "text": "Ann", "user_id": 1}]),
        _service(5, 240, ANN, "topic_created", title="Help"),
        _msg(6, 300, BOB, "How do I borrow?", reply_to_message_id=5),
        _msg(7, 360, ANN, [{"type": "code", "text": "&x"}, " borrows"], reply_to_message_id=6),
        _msg(8, 420, BOT, "Rules: be kind"),
        _msg(9, 3000, NEWS, "Release 1.0", reactions=[
            {"type": "emoji", "count": 3, "emoji": "👍", "recent": [{"from": "Bob", "from_id": "user2",
                                                                   "date": "2020-09-13T13:30:00"}]}]),
        _service(10, 3100, BOB, "remove_members", members=["Bob"]),
        _service(11, 3200, ANN, "invite_members", members=["Dan", "Eve"]),
        _service(12, 3300, ANN, "pin_message", message_id=9),
        _msg(13, 3400, None, "who am I?"),
        {"id": 14, "type": "message", "from": "Ann", "from_id": "user1", "text": "no date"},
        "not a message",
    ]}


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "result.json").write_text(json.dumps(_forum_chat(), ensure_ascii=False, indent=1),
                                        encoding="utf-8")
    return folder


def _rows(ws: Workspace, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    return ws.con.execute(sql, params).fetchall()


def test_tiny_forum_export_worked_out_by_hand(workspace: Workspace, tiny: Path) -> None:
    report = workspace.ingest(tiny)
    assert report.source_id == SID
    p, u, c = f"{SID}:p:1001:", f"{SID}:u:", f"{SID}:c:1001"
    posts = _rows(workspace, """SELECT native_id, author_id, reply_to_post_id, reply_to_member_id,
                                       tp.place_id, thread_id, body FROM posts JOIN thread_places tp
                                USING (thread_id) ORDER BY created_at""")
    assert posts == [
        ("1001:3", f"{u}user1", None, None, c, f"{SID}:t:1001:3", "Welcome!"),
        # the mention_name entity addresses Ann; her latest post in this conversation is 3
        ("1001:4", f"{u}user2", f"{p}3", f"{u}user1", c, f"{SID}:t:1001:3", "Thanks Ann"),
        # in the topic opened by service message 5: replying to 5 means "in the topic", no reply
        ("1001:6", f"{u}user2", None, None, f"{c}:5", f"{SID}:t:1001:6", "How do I borrow?"),
        ("1001:7", f"{u}user1", f"{p}6", f"{u}user2", f"{c}:5", f"{SID}:t:1001:6", "&x borrows"),
        # back in the chat itself: 4 min after Bob's 4 (the topic has its own flow): adjacency
        ("1001:8", f"{u}user3", f"{p}4", f"{u}user2", c, f"{SID}:t:1001:3", "Rules: be kind"),
        # 43 min of silence in the chat: a new conversation
        ("1001:9", f"{u}channel77", None, None, c, f"{SID}:t:1001:9", "Release 1.0"),
    ]
    events = _rows(workspace, "SELECT category, kind, member_id, place_id, post_id, detail FROM events "
                              "ORDER BY created_at")
    assert events == [
        ("system", "create_group", f"{u}user1", c, None, None),
        ("membership", "join", f"{u}user2", c, None, None),
        ("system", "topic_created", f"{u}user1", f"{c}:5", None, None),
        ("membership", "leave", f"{u}user2", c, None, None),
        ("membership", "add", f"{u}user1", c, None, "2"),
        ("system", "pin_message", f"{u}user1", c, f"{p}9", None),
    ]
    places = _rows(workspace, "SELECT place_id, kind, name, parent_id FROM places ORDER BY 1")
    assert places == [(c, "group", "Rust Learners", None), (f"{c}:5", "topic", "Help", c)]
    members = _rows(workspace, "SELECT native_id, display_name, is_bot, is_system FROM members ORDER BY 1")
    assert members == [("channel77", "Rust News", False, True), ("user1", "Ann", False, False),
                       ("user2", "Bob", False, False), ("user3", "GroupHelpBot", True, False)]
    assert _rows(workspace, "SELECT member_id, kind FROM reactions ORDER BY member_id NULLS LAST") == [
        (f"{u}user2", "👍"), (None, "👍"), (None, "👍")]
    assert report.skipped == {"result.json: message without from_id": 1,
                              "result.json: message without a readable date": 1,
                              "result.json: message without an id": 1}


def _account_export() -> dict[str, Any]:
    group = {"name": "Book club", "type": "private_group", "id": 6, "messages": [
        _msg(1, 0, ANN, "Chapter 3?"), _msg(2, 30, BOB, "Yes", reply_to_message_id=1)]}
    private = {"name": "Bob", "type": "personal_chat", "id": 2, "messages": [
        _msg(1, 0, ANN, "private"), _msg(2, 5, BOB, "private too")]}
    left = {"name": "Old group", "type": "public_supergroup", "id": 7, "messages": [_msg(1, 99, BOB, "bye")]}
    return {"about": "Here is the data you requested.", "personal_information": {"first_name": "Ann"},
            "chats": {"about": "chats", "list": [private, group]},
            "left_chats": {"about": "left", "list": [left]}}


def test_whole_account_export_reads_groups_and_counts_private_chats(workspace: Workspace,
                                                                    tmp_path: Path) -> None:
    export = tmp_path / "DataExport_2024-05-01"
    export.mkdir()
    raw = _account_export()
    (export / "result.json").write_text(json.dumps(raw), encoding="utf-8")
    report = workspace.ingest(export)
    chats = raw["chats"]["list"] + raw["left_chats"]["list"]
    public = [m for ch in chats if ch["type"] != "personal_chat" for m in ch["messages"]]
    private = [m for ch in chats if ch["type"] == "personal_chat" for m in ch["messages"]]
    assert report.counts["posts"] == len(public) == 3
    assert report.skipped == {"result.json: message in a personal chat (private conversations are "
                              "not read)": len(private)}
    assert _rows(workspace, "SELECT native_id, name FROM places ORDER BY 1") == [("6", "Book club"),
                                                                                 ("7", "Old group")]
    # the reply is within chat 6: message ids are per chat
    assert _rows(workspace, "SELECT reply_to_post_id FROM posts WHERE native_id = '6:2'") == [
        (f"telegram:{export.name}:p:6:1",)]


def test_perceval_bot_api_sample_recounted_with_json(workspace: Workspace) -> None:
    folder = data_path("format-samples-perceval", "telegram")
    updates = [u for f in sorted(folder.glob("*.json")) for u in json.loads(f.read_text())["result"]]
    messages = [u["message"] for u in updates if "message" in u]
    group = [m for m in messages if m["chat"]["type"] != "private"]
    report = workspace.ingest(folder)
    assert report.platform == "telegram"
    assert report.counts["posts"] == len(group) == 4
    assert report.counts["places"] == len({m["chat"]["id"] for m in group}) == 2
    assert report.counts["members"] == len({m["from"]["id"] for m in group}) == 3
    assert sum(report.skipped.values()) == len(updates) - len(group) == 2
    assert report.skipped["telegram_messages_next.json: edited_message update (not a new message)"] == \
        sum(1 for u in updates if "edited_message" in u)
    texts = sorted(r[0] for r in _rows(workspace, "SELECT body FROM posts"))
    assert texts == sorted(m["text"] for m in group)


def test_bad_input_is_one_line_and_leaves_the_store_unchanged(workspace: Workspace, tiny: Path,
                                                              tmp_path: Path) -> None:
    workspace.ingest(tiny)
    before = workspace.counts()
    whole = (tiny / "result.json").read_bytes()
    cut = tmp_path / "cut" / "result.json"
    cut.parent.mkdir()
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(BrokenInput, match=r"result\.json: not a readable Telegram Desktop JSON export") as e:
        workspace.ingest(cut.parent, name="tiny")
    assert "\n" not in str(e.value)
    latin = tmp_path / "latin" / "result.json"
    latin.parent.mkdir()
    latin.write_bytes(json.dumps(_forum_chat(), ensure_ascii=False).replace("Welcome!", "Café")
                      .encode("latin-1", errors="replace"))
    with pytest.raises(BrokenInput, match="must be UTF-8"):
        workspace.ingest(latin.parent, name="tiny")
    utf16 = tmp_path / "utf16.json"
    utf16.write_bytes(json.dumps(_forum_chat()).encode("utf-16"))
    with pytest.raises(UnknownFormat, match="not a Telegram export"):
        workspace.ingest(utf16, platform="telegram", name="tiny")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../result.json", whole)
    with pytest.raises(UnsafeInput, match="points outside the archive"):
        workspace.ingest(evil, platform="telegram", name="tiny")
    assert workspace.counts() == before


def test_a_zip_reads_like_the_folder(tmp_path: Path, tiny: Path) -> None:
    archive = tmp_path / "tiny.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(tiny / "result.json", "ChatExport_2020-09-13/result.json")
    gz = tmp_path / "tiny.json.gz"
    gz.write_bytes(gzip.compress((tiny / "result.json").read_bytes()))
    with Workspace(tmp_path / "a.duckdb") as a, Workspace(tmp_path / "b.duckdb") as b, \
            Workspace(tmp_path / "c.duckdb") as c:
        a.ingest(tiny)
        b.ingest(archive)
        c.ingest(gz)
        q = "SELECT post_id, thread_id, reply_to_post_id, body FROM posts ORDER BY 1"
        assert _rows(a, q) == _rows(b, q) == _rows(c, q) and len(_rows(a, q)) == 6


def test_detection_claims_only_telegram(tiny: Path) -> None:
    assert find_source(tiny).platform == "telegram"
    assert find_source(data_path("format-samples-perceval", "telegram")).platform == "telegram"
    from communitas.sources.telegram import TelegramSource

    for other in ("slack-houstondatavis", "discord-komodo", "discourse-askci"):
        assert not TelegramSource().detect(data_path(other))
    for sample in ("mattermost", "rocketchat", "discourse"):
        assert not TelegramSource().detect(data_path("format-samples-perceval", sample))


WORDS = {"rust": ["borrow", "lifetime", "trait", "cargo", "crate", "compiler", "unsafe", "macro"],
         "books": ["chapter", "novel", "author", "reading", "library", "poem", "story", "plot"]}


def _chatty_export(folder: Path, n: int = 400) -> Path:
    """A realistic two-theme group built from the export's shapes (seeded), for the analyses."""
    rng = random.Random(3)
    people = [(f"Member {i}", f"user{100 + i}") for i in range(25)]
    msgs, t = [], 0
    for i in range(1, n + 1):
        t += rng.choice((20, 60, 240, 2400))
        theme = WORDS["rust" if (i // 40) % 2 else "books"]
        extra = {"reply_to_message_id": i - 1} if i > 1 and i % 3 == 0 else {}
        msgs.append(_msg(i, t, rng.choice(people), " ".join(rng.choices(theme, k=14)), **extra))
    (folder / "result.json").write_text(json.dumps({"name": "Chatty", "type": "public_supergroup",
                                                    "id": 42, "messages": msgs}), encoding="utf-8")
    return folder


def test_cli_ingest_then_profile_network_topics_report(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "cli.duckdb")
    export = tmp_path / "chatty"
    export.mkdir()
    _chatty_export(export)
    code, out, _ = run_cli(["ingest", str(export), "--store", store, "--json"], capsys)
    assert code == 0 and json.loads(out)["platform"] == "telegram"
    assert json.loads(out)["counts"]["posts"] == 400
    sample = str(data_path("format-samples-perceval", "telegram"))
    assert run_cli(["ingest", sample, "--store", store, "--json"], capsys)[0] == 0
    code, out, _ = run_cli(["profile", "--store", store, "--json"], capsys)
    assert code == 0 and json.loads(out)["overview"]["members"] == 25 + 3
    code, out, _ = run_cli(["network", "--store", store, "--json"], capsys)
    assert code == 0 and json.loads(out)["windows"]
    code, out, _ = run_cli(["topics", "--store", store, "-k", "2", "--json", "--source", "telegram:chatty"],
                           capsys)
    assert code == 0 and len(json.loads(out)["topics"]) == 2
    code, _, err = run_cli(["report", "--store", store, "-o", str(tmp_path / "r.html")], capsys)
    assert code == 0 and (tmp_path / "r.html").stat().st_size > 0, err


def test_ingest_help_and_readme_name_each_chat_export(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["ingest", "--help"], capsys)
    assert code == 0
    help_text = " ".join(out.split())
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for needle in ("Telegram Desktop", "getUpdates", "mmctl export create", "import.jsonl",
                   "mongoexport of rocketchat_message", "channels.messages"):
        assert needle in help_text, needle
    for doc in ("telegram", "mattermost", "rocketchat"):
        assert f"docs/sources/{doc}.md" in readme
        assert (Path(__file__).resolve().parents[1] / "docs" / "sources" / f"{doc}.md").is_file()


def _update(n: int, **msg: Any) -> dict[str, Any]:
    chat = {"id": -5, "type": "supergroup", "title": "Forum", "is_forum": True}
    return {"update_id": 900 + n, "message": {"chat": chat, **msg}}


def test_bot_api_updates_worked_out_by_hand(workspace: Workspace, tmp_path: Path) -> None:
    ann, bob = {"id": 1, "first_name": "Ann"}, {"id": 2, "first_name": "Bob", "last_name": "B"}
    helper = {"id": 3, "is_bot": True, "first_name": "Helper"}
    updates = [
        _update(1, message_id=10, date=T0, **{"from": ann}, new_chat_members=[bob]),
        _update(2, message_id=11, date=T0 + 5, **{"from": bob}, message_thread_id=11, is_topic_message=True,
                forum_topic_created={"name": "Help"}),
        _update(3, message_id=12, date=T0 + 10, **{"from": bob}, text="how?", message_thread_id=11,
                is_topic_message=True, reply_to_message={"message_id": 11}),
        _update(4, message_id=13, date=T0 + 20, **{"from": ann}, text="like this", message_thread_id=11,
                is_topic_message=True, reply_to_message={"message_id": 12},
                entities=[{"type": "text_mention", "offset": 0, "length": 4, "user": bob}]),
        _update(5, message_id=14, date=T0 + 60, **{"from": helper}, text="rules"),
        _update(6, message_id=15, date=T0 + 100, **{"from": {"id": 136817688, "is_bot": True}},
                sender_chat={"id": -100777, "title": "News", "type": "channel"}, caption="news"),
        _update(7, message_id=16, date=T0 + 200, **{"from": bob}, left_chat_member=bob),
        {"update_id": 908, "callback_query": {"id": "x"}},
        _update(9, message_id=17, **{"from": bob}, text="no date"),
    ]
    folder = tmp_path / "bot"
    folder.mkdir()
    (folder / "updates.json").write_text(json.dumps({"ok": True, "result": updates}), encoding="utf-8")
    report = workspace.ingest(folder, name="bot")
    s = "telegram:bot"
    posts = _rows(workspace, """SELECT native_id, author_id, reply_to_post_id, reply_to_member_id, tp.place_id
                                FROM posts JOIN thread_places tp USING (thread_id) ORDER BY created_at""")
    assert posts == [
        ("-5:12", f"{s}:u:user2", None, None, f"{s}:c:-5:11"),  # "replying" to the topic root: in it
        ("-5:13", f"{s}:u:user1", f"{s}:p:-5:12", f"{s}:u:user2", f"{s}:c:-5:11"),
        ("-5:14", f"{s}:u:user3", None, None, f"{s}:c:-5"),
        ("-5:15", f"{s}:u:channel100777", f"{s}:p:-5:14", f"{s}:u:user3", f"{s}:c:-5"),
    ]
    assert _rows(workspace, "SELECT category, kind, member_id, place_id FROM events ORDER BY created_at") == [
        ("membership", "add", f"{s}:u:user2", f"{s}:c:-5"),
        ("system", "forum_topic_created", f"{s}:u:user2", f"{s}:c:-5:11"),
        ("membership", "leave", f"{s}:u:user2", f"{s}:c:-5")]
    assert _rows(workspace, "SELECT place_id, kind, name, parent_id FROM places ORDER BY 1") == [
        (f"{s}:c:-5", "group", "Forum", None), (f"{s}:c:-5:11", "topic", "Help", f"{s}:c:-5")]
    assert _rows(workspace, "SELECT native_id, display_name, is_bot, is_system FROM members ORDER BY 1") == [
        ("channel100777", "News", False, True), ("user1", "Ann", False, False),
        ("user2", "Bob B", False, False), ("user3", "Helper", True, False)]
    assert report.skipped == {"updates.json: callback_query update (not a new message)": 1,
                              "updates.json: message without a readable date": 1}
