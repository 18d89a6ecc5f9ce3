"""Rocket.Chat source: a mongoexport built here whose every row was worked out by hand, Perceval's
REST sample recounted with the standard library, and bad input (truncated, missing fields, not
UTF-8, a zip member outside the archive): skipped and counted, or one line with the store unchanged."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import random
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import data_path, run_cli

from communitas.errors import BrokenInput, UnsafeInput
from communitas.sources.registry import find_source
from communitas.sources.rocketchat import RocketChatSource
from communitas.store import Workspace

SID = "rocketchat:tiny"


def _ts(minute: float) -> dict[str, str]:
    """mongoexport's relaxed Extended JSON date, ``minute`` minutes after 2021-03-01 10:00 UTC."""
    at = datetime(2021, 3, 1, 10, tzinfo=UTC) + timedelta(minutes=minute)
    return {"$date": at.strftime("%Y-%m-%dT%H:%M:%S.000Z")}


def _u(uid: str) -> dict[str, str]:
    return {"_id": uid, "username": uid.lower(), "name": uid.title()}


def _m(mid: str, minute: float, uid: str, text: str, rid: str = "GEN", **extra: Any) -> dict[str, Any]:
    return {"_id": mid, "rid": rid, "msg": text, "ts": _ts(minute), "u": _u(uid), **extra}


ROOMS = [{"_id": "GEN", "t": "c", "name": "general", "fname": "General", "topic": "anything",
          "ts": _ts(-60), "usersCount": 3},
         {"_id": "DM1", "t": "d", "usernames": ["ann", "bob"], "msgs": 1}]
USERS = [{"_id": "ANN", "username": "ann", "name": "Ann", "emails": [{"address": "ann@example.org"}],
          "roles": ["user", "admin"], "type": "user"},
         {"_id": "BOB", "username": "bob", "name": "Bob", "roles": ["user"], "type": "user"},
         {"_id": "RB", "username": "rocket.cat", "name": "Rocket.Cat", "roles": ["bot"], "type": "bot"}]
MESSAGES = [
    _m("m0", 0, "BOB", "", t="uj"),
    _m("m1", 1, "ANN", "hi all", reactions={":tada:": {"usernames": ["bob", "zed"]}}),
    _m("m2", 2, "BOB", "@ann a question", mentions=[{"_id": "ANN", "username": "ann"}]),
    _m("m3", 3, "ANN", "answer in thread", tmid="m2"),
    _m("m4", 3.5, "ANN", "answer edited", tmid="m2", _hidden=True, parent="m3"),
    _m("m5", 4, "CID", "@all release", mentions=[{"_id": "all", "username": "all"}]),
    _m("m6", 5, "RB", "digest", bot={"i": "integration1"}),
    _m("m7", 6, "BOB", "psst", rid="DM1"),
    _m("m8", 70, "ANN", "back after lunch"),
    _m("m9", 71, "BOB", "", t="room_changed_topic"),
    {"_id": "m10", "rid": "GEN", "msg": "no time", "u": _u("BOB")},
    {"_id": "m11", "rid": "GEN", "msg": "no user", "ts": _ts(72)},
]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    folder.mkdir()
    for name, docs in (("rocketchat_room", ROOMS), ("users", USERS), ("rocketchat_message", MESSAGES)):
        (folder / f"{name}.json").write_text("\n".join(json.dumps(d) for d in docs) + "\n", encoding="utf-8")
    return folder


def _rows(ws: Workspace, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    return ws.con.execute(sql, params).fetchall()


def test_tiny_mongoexport_worked_out_by_hand(workspace: Workspace, tiny: Path) -> None:
    report = workspace.ingest(tiny)
    assert report.source_id == SID
    p, u, t = f"{SID}:p:", f"{SID}:u:", f"{SID}:t:"
    posts = _rows(workspace, "SELECT native_id, author_id, reply_to_post_id, reply_to_member_id, thread_id "
                             "FROM posts ORDER BY created_at")
    assert posts == [
        ("m1", f"{u}ANN", None, None, f"{t}m1"),
        # the mention wins; Ann's latest post in this conversation is m1
        ("m2", f"{u}BOB", f"{p}m1", f"{u}ANN", f"{t}m1"),
        # a thread reply (tmid) replies to its parent and joins its thread
        ("m3", f"{u}ANN", f"{p}m2", f"{u}BOB", f"{t}m1"),
        # @all is not a person: adjacency to the last top-level post (m2, Bob, 2 min before)
        ("m5", f"{u}CID", f"{p}m2", f"{u}BOB", f"{t}m1"),
        ("m6", f"{u}RB", f"{p}m5", f"{u}CID", f"{t}m1"),
        # 65 minutes of silence: a new conversation
        ("m8", f"{u}ANN", None, None, f"{t}m8"),
    ]
    assert _rows(workspace, "SELECT category, kind, member_id FROM events ORDER BY created_at") == [
        ("membership", "join", f"{u}BOB"), ("system", "room_changed_topic", f"{u}BOB")]
    # "zed" is no known username: the reaction is kept without a member
    assert _rows(workspace, "SELECT post_id, member_id, kind FROM reactions ORDER BY member_id") == [
        (f"{p}m1", f"{u}BOB", "tada"), (f"{p}m1", None, "tada")]
    assert _rows(workspace, "SELECT native_id, name, description FROM places") == [("GEN", "General",
                                                                                    "anything")]
    salt = bytes.fromhex(_rows(workspace, "SELECT value FROM meta WHERE key = 'salt'")[0][0])
    ann_hash = hmac.new(salt, b"ann@example.org", hashlib.sha256).hexdigest()[:32]
    assert _rows(workspace, "SELECT native_id, display_name, is_bot, is_staff, email_hash FROM members "
                            "ORDER BY 1") == [
        ("ANN", "Ann", False, True, ann_hash), ("BOB", "Bob", False, False, None),
        ("CID", "Cid", False, False, None), ("RB", "Rocket.Cat", True, False, None)]
    assert report.skipped == {
        "rocketchat_message.json: earlier version of an edited message (_hidden)": 1,
        "rocketchat_message.json: message in a direct room (private conversations are not read)": 1,
        "rocketchat_message.json: message without a readable ts": 1,
        "rocketchat_message.json: message without a user (u._id)": 1}


def test_perceval_rest_sample_recounted_with_json(workspace: Workspace) -> None:
    folder = data_path("format-samples-perceval", "rocketchat")
    pages = [json.loads(f.read_text()) for f in sorted(folder.glob("message_*.json"))]
    entries = [m for page in pages for m in page["messages"]]
    unique = {m["_id"]: m for m in entries}
    visible = [m for m in unique.values() if not m.get("_hidden")]
    info = json.loads((folder / "channel_info.json").read_text())["channel"]
    report = workspace.ingest(folder)
    assert report.platform == "rocketchat"
    assert report.counts["posts"] == len(visible) == info["msgs"] == 3
    assert report.counts["members"] == len({m["u"]["_id"] for m in visible}) == info["usersCount"]
    assert sum(report.skipped.values()) == len(entries) - len(visible) == 2
    assert report.counts["reactions"] == sum(len(r["usernames"]) for m in visible
                                             for r in (m.get("reactions") or {}).values())
    assert _rows(workspace, "SELECT name FROM places") == [(info["fname"],)]
    replies = {m["_id"]: m["tmid"] for m in visible if m.get("tmid")}
    got = dict(_rows(workspace, "SELECT native_id, split_part(reply_to_post_id, ':', 4) FROM posts"))
    assert {k: got[k] for k in replies} == replies


def test_bad_input_is_counted_or_one_line_and_the_store_unchanged(workspace: Workspace, tiny: Path,
                                                                  tmp_path: Path) -> None:
    workspace.ingest(tiny)
    before = workspace.counts()
    messages = (tiny / "rocketchat_message.json").read_bytes()
    cut = tmp_path / "cut"
    cut.mkdir()
    (cut / "rocketchat_message.json.gz").write_bytes(gzip.compress(messages)[:-40])
    with pytest.raises(BrokenInput, match=r"rocketchat_message\.json\.gz: .*(truncated|not a readable)") as e:
        workspace.ingest(cut, name="tiny")
    assert "\n" not in str(e.value)
    page = tmp_path / "page.json"
    page.write_text('{"messages": [{"_id": "x", "rid": "GEN", "msg": "cut', encoding="utf-8")
    with pytest.raises(BrokenInput, match=r"page\.json: not a readable Rocket\.Chat"):
        workspace.ingest(page, name="tiny")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../rocketchat_message.json", messages)
    with pytest.raises(UnsafeInput, match="points outside the archive"):
        workspace.ingest(evil, platform="rocketchat", name="tiny")
    assert workspace.counts() == before
    latin = tmp_path / "latin"  # bytes that are not UTF-8: those lines are skipped and counted
    latin.mkdir()
    (latin / "m.json").write_bytes(messages.replace(b"hi all", "h\u00e9 all".encode("latin-1")))
    report = workspace.ingest(latin)
    assert report.skipped["m.json: line is not valid JSON (UTF-8)"] == 1


def test_zip_reads_like_the_folder_and_detection(tmp_path: Path, tiny: Path) -> None:
    archive = tmp_path / "tiny.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in tiny.iterdir():
            z.write(f, f"dump/{f.name}")
    assert find_source(archive).platform == "rocketchat"
    with Workspace(tmp_path / "a.duckdb") as a, Workspace(tmp_path / "b.duckdb") as b:
        a.ingest(tiny)
        b.ingest(archive)
        q = "SELECT post_id, thread_id, reply_to_post_id, body FROM posts ORDER BY 1"
        assert _rows(a, q) == _rows(b, q) and len(_rows(a, q)) == 6
    for other in ("slack-houstondatavis", "discord-komodo", "reddit-redditcom-2005"):
        assert not RocketChatSource().detect(data_path(other))
    for sample in ("telegram", "mattermost", "discourse", "slack"):
        assert not RocketChatSource().detect(data_path("format-samples-perceval", sample))


def chatty_messages(path: Path, n: int = 400, seed: int = 9) -> Path:
    """A realistic two-room, two-theme message export built from the format's shapes (seeded)."""
    rng = random.Random(seed)
    themes = {"R1": ["printer", "driver", "install", "linux", "kernel", "module", "firmware", "usb"],
              "R2": ["recipe", "flour", "oven", "bread", "yeast", "dough", "butter", "sugar"]}
    people = [f"P{i}" for i in range(18)]
    docs, t = [], 0.0
    for i in range(n):
        t += rng.choice((0.3, 1, 4, 50))
        rid = "R1" if (i // 25) % 2 else "R2"
        extra = {"tmid": f"x{i - 1}"} if i % 4 == 3 else {}
        docs.append(_m(f"x{i}", t, rng.choice(people), " ".join(rng.choices(themes[rid], k=12)), rid=rid,
                       **extra))
    path.write_text("\n".join(json.dumps(d) for d in docs) + "\n", encoding="utf-8")
    return path


def test_cli_ingest_then_profile_network_topics_report(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "cli.duckdb")
    export = chatty_messages(tmp_path / "chatty.json")
    code, out, _ = run_cli(["ingest", str(export), "--store", store, "--json"], capsys)
    assert code == 0 and json.loads(out)["platform"] == "rocketchat"
    assert json.loads(out)["counts"]["posts"] == 400
    sample = str(data_path("format-samples-perceval", "rocketchat"))
    assert run_cli(["ingest", sample, "--store", store, "--json"], capsys)[0] == 0
    code, out, _ = run_cli(["profile", "--store", store, "--json"], capsys)
    assert code == 0 and json.loads(out)["overview"]["members"] == 18 + 2
    code, out, _ = run_cli(["network", "--store", store, "--json"], capsys)
    assert code == 0 and json.loads(out)["windows"]
    code, out, _ = run_cli(["topics", "--store", store, "-k", "2", "--json", "--source", "rocketchat:chatty"],
                           capsys)
    assert code == 0 and len(json.loads(out)["topics"]) == 2
    code, _, err = run_cli(["report", "--store", store, "-o", str(tmp_path / "r.html")], capsys)
    assert code == 0 and (tmp_path / "r.html").stat().st_size > 0, err
