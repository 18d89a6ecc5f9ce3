"""The Zulip source: the real zulip-archive sample recounted here with the standard library
(json, gzip, re) straight from the raw files; the organisation export and GET /messages shapes
and every bad input on small exports built in tmp_path from Zulip's documented format."""

from __future__ import annotations

import gzip
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import data_path

from communitas.errors import BrokenInput, UnknownFormat, UnsafeInput
from communitas.sources.registry import find_source
from communitas.store import Workspace

SID = "zulip:zulip-brlcad"
SYSTEM_BOTS = ("Notification Bot", "Welcome Bot")
BRIDGE = "BRL-CAD's IRC Bot"


def _raw_messages() -> list[tuple[str, str, dict[str, Any]]]:
    """(stream folder, topic file, message) for every message of the sample."""
    root = data_path("zulip-brlcad", "zulip_json")
    out = []
    for folder in sorted(os.listdir(root)):
        if (root / folder).is_dir():
            for name in sorted(os.listdir(root / folder)):
                for m in json.loads(gzip.decompress((root / folder / name).read_bytes())):
                    out.append((folder, name, m))
    return out


@pytest.fixture(scope="module")
def brlcad(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    path = tmp_path_factory.mktemp("zulip") / "z.duckdb"
    with Workspace(path) as ws:
        ws.ingest(data_path("zulip-brlcad"))
    ws = Workspace(path)
    yield ws
    ws.close()


def _one(ws: Workspace, sql: str) -> Any:
    row = ws.con.execute(sql).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def test_detected_from_the_folder_and_from_zulip_json() -> None:
    assert find_source(data_path("zulip-brlcad")).platform == "zulip"
    assert find_source(data_path("zulip-brlcad", "zulip_json")).platform == "zulip"
    assert find_source(data_path("discourse-askci")).platform == "discourse"


def test_every_message_is_a_post_or_a_system_event(brlcad: Workspace) -> None:
    raw = _raw_messages()
    system = sum(1 for *_, m in raw if m["sender_full_name"] in SYSTEM_BOTS)
    assert len(raw) == 48_098 and system == 74  # README: 65 Notification Bot + 9 Welcome Bot
    assert _one(brlcad, f"SELECT count(*) FROM posts WHERE source_id = '{SID}'") == len(raw) - system
    assert _one(brlcad, f"SELECT count(*) FROM events WHERE source_id = '{SID}'") == system
    said = [m["timestamp"] for *_, m in raw if m["sender_full_name"] not in SYSTEM_BOTS]
    got = _one(brlcad, f"SELECT min(epoch(created_at)), max(epoch(created_at)) FROM posts "
                       f"WHERE source_id = '{SID}'")
    assert got == (min(said), max(said))


def test_threads_are_topics_and_places_streams(brlcad: Workspace) -> None:
    raw = _raw_messages()
    topics: dict[tuple[str, str], list[str]] = {}
    for folder, name, m in raw:
        topics.setdefault((folder, name.casefold()), []).append(m["sender_full_name"])
    with_posts = [k for k, senders in topics.items() if any(s not in SYSTEM_BOTS for s in senders)]
    # 588 files = 587 topics (two names differ only in case: one Zulip topic) of which 10 hold
    # only system notices (no thread: their notices are events).
    assert len({(f, n) for f, n, _ in raw}) == 588 and len(topics) == 587
    assert len(with_posts) == 577
    assert _one(brlcad, f"SELECT count(*) FROM threads WHERE source_id = '{SID}'") == 577
    assert _one(brlcad, f"SELECT count(*) FROM places WHERE source_id = '{SID}' AND kind = 'channel'") == 9
    names = json.loads(gzip.decompress(data_path("zulip-brlcad", "zulip_json",
                                                 "stream_index.json.gz").read_bytes()))["streams"]
    stored = {r[0] for r in brlcad.con.execute(
        f"SELECT name FROM places WHERE source_id = '{SID}'").fetchall()}
    assert stored == set(names)


def test_members_relays_and_bots(brlcad: Workspace) -> None:
    raw = _raw_messages()
    senders = {m["sender_full_name"] for *_, m in raw}
    relay = re.compile(r"^<p><strong>([^<>]+)</strong>: ")
    nicks = {relay.match(m["content"]).group(1) for *_, m in raw  # type: ignore[union-attr]
             if m["sender_full_name"] == BRIDGE}
    relayed = sum(1 for *_, m in raw if m["sender_full_name"] == BRIDGE)
    assert len(senders) == 416 and relayed == 191
    members = _one(brlcad, f"SELECT count(*) FROM members WHERE source_id = '{SID}'")
    assert members == len(senders) + len(nicks)
    assert _one(brlcad, f"SELECT count(*) FROM posts p JOIN members m ON m.member_id = p.author_id "
                        f"WHERE p.source_id = '{SID}' AND m.member_id LIKE '%:w:%'") == relayed
    bots = dict(brlcad.con.execute(f"SELECT display_name, is_system FROM members WHERE source_id = '{SID}' "
                                   "AND is_bot").fetchall())
    assert bots == {"Notification Bot": True, "Welcome Bot": True, BRIDGE: False}


def test_replies_follow_the_documented_rules(tmp_path: Path) -> None:
    """Quote > mention > previous speaker; a second line by the same speaker replies to no one;
    a topic is one conversation however long the silence."""
    day = 86_400
    mention = '<p><span class="user-mention" data-user-id="5">@Ann</span> yes</p>'
    quote = ('<p><span class="user-mention silent" data-user-id="5">Ann</span> '
             '<a href="/#narrow/near/1">said</a>:</p>')
    topic = [(1, "Ann", 0, "<p>q</p>"), (2, "Bob", 10 * day, "<p>a</p>"),
             (3, "Bob", 10 * day + 5, "<p>b</p>"),
             (4, "Cy", 11 * day, mention), (5, "Dee", 12 * day, quote), (6, "Ann", 13 * day, "<p>ok</p>")]
    folder = _archive(tmp_path, {"7-dev": {"help": topic}})
    replies = _replies(tmp_path, folder)
    assert replies == {"1": None, "2": "1", "3": None, "4": "1", "5": "1", "6": "5"}


def _archive(tmp_path: Path, streams: dict[str, dict[str, list[tuple[int, str, int, str]]]]) -> Path:
    root = tmp_path / "zulip_json"
    index: dict[str, Any] = {"streams": {}}
    for folder, topics in streams.items():
        sid, name = folder.split("-", 1)
        sizes = {t: {"size": len(m)} for t, m in topics.items()}
        index["streams"][name] = {"id": int(sid), "topic_data": sizes}
        (root / folder).mkdir(parents=True)
        for topic, msgs in topics.items():
            rows = [{"id": i, "sender_full_name": who, "timestamp": 1_600_000_000 + t, "content": c}
                    for i, who, t, c in msgs]
            (root / folder / f"{topic}.json").write_text(json.dumps(rows))
    (root / "stream_index.json").write_text(json.dumps(index))
    return root


def _replies(tmp_path: Path, path: Path, **kw: Any) -> dict[str, str | None]:
    with Workspace(tmp_path / "r.duckdb") as ws:
        ws.ingest(path, **kw)
        rows = ws.con.execute("SELECT native_id, reply_to_post_id FROM posts").fetchall()
    return {n: None if r is None else r.rsplit(":", 1)[-1] for n, r in rows}


def _export(tmp_path: Path, messages: list[dict[str, Any]]) -> Path:
    """An organisation export as manage.py export writes it (realm.json + messages-000001.json)."""
    root = tmp_path / "zulip-export-abc"
    root.mkdir()
    realm = {
        "zerver_realm": [{"id": 1, "string_id": "gardeners", "name": "Gardeners"}],
        "zerver_userprofile": [
            {"id": 10, "full_name": "Ann", "email": "user10@gardeners.example.org",
             "delivery_email": "ann@example.org", "is_bot": False, "role": 200},
            {"id": 11, "full_name": "Bob", "email": "user11@gardeners.example.org",
             "delivery_email": "bob@example.org", "is_bot": False, "role": 400},
            {"id": 12, "full_name": "Feeds", "email": "feeds-bot@example.org", "is_bot": True, "role": 400}],
        "zerver_userprofile_crossrealm": [{"id": 1, "email": "notification-bot@zulip.com"}],
        "zerver_stream": [{"id": 3, "name": "general", "description": "talk", "date_created": 1_600_000_000}],
        "zerver_recipient": [{"id": 30, "type": 2, "type_id": 3}, {"id": 31, "type": 1, "type_id": 10}],
        "zerver_reaction": [{"id": 1, "message": 100, "user_profile": 11, "emoji_name": "tada"}],
    }
    (root / "realm.json").write_text(json.dumps(realm))
    (root / "messages-000001.json").write_text(json.dumps({"zerver_message": messages,
                                                           "zerver_usermessage": []}))
    return root


def _msg(mid: int, sender: int, recipient: int, at: int, text: str, topic: str = "roses") -> dict[str, Any]:
    return {"id": mid, "sender": sender, "recipient": recipient, "subject": topic, "content": text,
            "rendered_content": f"<p>{text}</p>", "date_sent": float(1_600_000_000 + at)}


def test_organisation_export_hashes_addresses_and_leaves_direct_messages_out(tmp_path: Path) -> None:
    export = _export(tmp_path, [
        _msg(100, 10, 30, 0, "how do I prune?"), _msg(101, 11, 30, 60, "in March"),
        _msg(102, 11, 31, 70, "a private word"), _msg(103, 1, 30, 80, "Stream created by Ann"),
        _msg(104, 12, 30, 90, "new post on the blog")])
    assert find_source(export).platform == "zulip"
    with Workspace(tmp_path / "e.duckdb") as ws:
        report = ws.ingest(export)
        assert report.source_id == "zulip:gardeners"
        assert report.counts["posts"] == 3 and report.counts["events"] == 1
        assert sum(n for k, n in report.skipped.items() if "direct message" in k) == 1
        members = {r[0]: r[1:] for r in ws.con.execute(
            "SELECT display_name, is_bot, is_system, is_staff, email_hash FROM members").fetchall()}
        dump = json.dumps([list(map(str, r)) for r in ws.con.execute("SELECT * FROM members").fetchall()])
        assert "example.org" not in dump and "zulip.com" not in dump
        assert members["Ann"][3] and len(members["Ann"][3]) == 32 and members["Ann"][2] is True
        assert members["Feeds"][:2] == (True, False) and members["Notification Bot"][:2] == (True, True)
        assert ws.con.execute("SELECT kind, member_id FROM reactions").fetchall() == [
            ("tada", "zulip:gardeners:u:11")]
        assert ws.con.execute("SELECT reply_to_post_id FROM posts WHERE native_id = '101'").fetchone() == (
            "zulip:gardeners:p:100",)


def test_api_messages_json(tmp_path: Path) -> None:
    """GET /messages as documented: stream messages with sender ids, e-mails and reactions."""
    def m(mid: int, uid: int, name: str, at: int, text: str, **kw: Any) -> dict[str, Any]:
        return {"id": mid, "sender_id": uid, "sender_full_name": name, "sender_email": f"u{uid}@example.org",
                "timestamp": 1_600_000_000 + at, "content": text, "type": "stream", "stream_id": 3,
                "display_recipient": "general", "subject": "roses", "reactions": [], **kw}
    page = {"result": "success", "msg": "", "messages": [
        m(1, 10, "Ann", 0, "<p>prune?</p>"),
        m(2, 11, "Bob", 30, "<p>March</p>", reactions=[{"emoji_name": "+1", "user_id": 10}]),
        m(3, 11, "Bob", 40, "<p>dm</p>", type="private", display_recipient=[{"id": 10}]),
        {"id": 4, "timestamp": 1_600_000_050, "type": "stream"}]}
    path = tmp_path / "messages.json"
    path.write_text(json.dumps(page))
    with Workspace(tmp_path / "a.duckdb") as ws:
        report = ws.ingest(path)
        assert report.source_id.startswith("zulip:") and report.counts["posts"] == 2
        assert report.counts["reactions"] == 1 and report.counts["threads"] == 1
        assert sum(report.skipped.values()) == 2
        assert ws.con.execute("SELECT count(*) FROM members WHERE email_hash IS NOT NULL").fetchone() == (2,)


# -- bad input: one clear error, store unchanged -------------------------------------------------

def _unchanged_after(tmp_path: Path, path: Path, error: type[Exception], **kw: Any) -> str:
    with Workspace(tmp_path / "bad.duckdb") as ws:
        before = ws.counts()
        with pytest.raises(error) as info:
            ws.ingest(path, **kw)
        assert ws.counts() == before
    message = str(info.value)
    assert "\n" not in message
    return message


def test_truncated_topic_file_aborts(tmp_path: Path) -> None:
    root = _archive(tmp_path, {"7-dev": {"help": [(1, "Ann", 0, "<p>q</p>")], "more": [(2, "Bob", 5, "x")]}})
    path = root / "7-dev" / "more.json"
    path.write_bytes(path.read_bytes()[:-10])
    assert "more.json" in _unchanged_after(tmp_path, root, BrokenInput)


def test_wrong_encoding_aborts(tmp_path: Path) -> None:
    root = _archive(tmp_path, {"7-dev": {"help": [(1, "Ann", 0, "<p>caf\u00e9</p>")]}})
    path = root / "7-dev" / "help.json"
    path.write_bytes(path.read_text().encode("utf-16"))
    assert "help.json" in _unchanged_after(tmp_path, root, BrokenInput)


def test_missing_fields_are_skipped_and_counted(tmp_path: Path) -> None:
    root = _archive(tmp_path, {"7-dev": {"help": [(1, "Ann", 0, "<p>q</p>"), (2, "Bob", 5, "a")]}})
    path = root / "7-dev" / "help.json"
    rows = json.loads(path.read_text())
    rows += [{"id": 3, "timestamp": 1_600_000_009}, {"sender_full_name": "Cy", "timestamp": 1}, "junk",
             {"id": 4, "sender_full_name": "Dee", "content": "no time"}]
    path.write_text(json.dumps(rows))
    with Workspace(tmp_path / "m.duckdb") as ws:
        report = ws.ingest(root)
    assert report.counts["posts"] == 2 and sum(report.skipped.values()) == 4


def test_member_outside_the_zip_is_refused(tmp_path: Path) -> None:
    root = _archive(tmp_path, {"7-dev": {"help": [(1, "Ann", 0, "<p>q</p>")]}})
    archive = tmp_path / "zulip.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in root.rglob("*.json"):
            z.write(p, p.relative_to(root).as_posix())
        z.writestr("../escape.json", "[]")
    assert "outside the archive" in _unchanged_after(tmp_path, archive, UnsafeInput, platform="zulip")


def test_a_zipped_archive_reads_like_the_folder(tmp_path: Path) -> None:
    root = _archive(tmp_path, {"7-dev": {"help": [(1, "Ann", 0, "<p>q</p>"), (2, "Bob", 5, "<p>a</p>")]}})
    archive = tmp_path / "dev.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in root.rglob("*.json"):
            z.write(p, "zulip_json/" + p.relative_to(root).as_posix())
    assert _replies(tmp_path, archive) == {"1": None, "2": "1"}


def test_a_tarred_export_is_refused_with_what_to_do(tmp_path: Path) -> None:
    tarred = tmp_path / "zulip-export-abc.tar.gz"
    tarred.write_bytes(gzip.compress(b"not read"))
    assert "tar xzf" in _unchanged_after(tmp_path, tarred, UnknownFormat, platform="zulip")
