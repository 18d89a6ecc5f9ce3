"""Slack source: the houstondatavis export accounted for record by record, and a tiny export
built here whose every row was worked out by hand (threads, mentions, bots, file comments)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import data_path

from communitas.errors import BrokenInput
from communitas.store import Workspace

SID = "slack:slack-houstondatavis"
CONTRIBUTING = {None, "file_share", "file_comment"}
MEMBERSHIP = {"channel_join", "channel_leave"}


@pytest.fixture(scope="session")
def slack_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("slack") / "slack.duckdb"
    with Workspace(path) as ws:
        ws.ingest(data_path("slack-houstondatavis"))
    return path


def _raw_messages() -> list[tuple[str, dict[str, Any]]]:
    export = data_path("slack-houstondatavis", "export")
    out = []
    for day in sorted(export.glob("*/*.json")):
        out += [(day.parent.name, m) for m in json.loads(day.read_text(encoding="utf-8"))]
    return out


def test_every_record_is_accounted_for(slack_store: Path) -> None:
    stats = json.loads(data_path("slack-houstondatavis", "stats.json").read_text())
    raw = _raw_messages()
    subtypes = Counter(m.get("subtype") for _, m in raw)
    assert len(raw) == stats["messages"] == 1382
    assert subtypes["channel_join"] == stats["subtypes"]["channel_join"] == 320
    with Workspace(slack_store, read_only=True) as ws:
        q = ws.con.execute
        posts = q("SELECT count(*) FROM posts WHERE source_id = ? AND is_contribution", [SID]).fetchone()
        cats = dict(q("SELECT category, count(*) FROM events WHERE source_id = ? "
                      "AND kind NOT LIKE 'integration%' GROUP BY 1", [SID]).fetchall())
        skipped = json.loads(q("SELECT skipped FROM sources WHERE source_id = ?", [SID]).fetchall()[0][0])
    assert posts == (sum(n for s, n in subtypes.items() if s in CONTRIBUTING),)
    assert cats["membership"] == sum(subtypes[s] for s in MEMBERSHIP) == 323
    assert cats["system"] == sum(n for s, n in subtypes.items() if s not in CONTRIBUTING | MEMBERSHIP)
    # the only skip is one reaction left on a join message: no message is lost
    assert skipped == {"datajam/2016-07-11.json: reaction on a join/system message (not a post)": 1}
    assert posts[0] + cats["membership"] + cats["system"] == stats["messages"]


def test_per_channel_totals_match_stats(slack_store: Path) -> None:
    stats = json.loads(data_path("slack-houstondatavis", "stats.json").read_text())
    with Workspace(slack_store, read_only=True) as ws:
        rows = ws.con.execute(
            """SELECT pl.name, count(*) FROM (
                 SELECT p.thread_id AS t, tp.place_id AS place FROM posts p
                   JOIN thread_places tp USING (thread_id) WHERE p.source_id = $sid
                 UNION ALL SELECT NULL, place_id FROM events WHERE source_id = $sid
                   AND place_id IS NOT NULL) x JOIN places pl ON pl.place_id = x.place
               GROUP BY 1""", {"sid": SID}).fetchall()
    assert dict(rows) == stats["per_channel"]


def test_members_and_hashed_emails(slack_store: Path) -> None:
    users = json.loads(data_path("slack-houstondatavis", "export", "users.json").read_text())
    with Workspace(slack_store, read_only=True) as ws:
        salt_hex = ws.con.execute("SELECT value FROM meta WHERE key = ?", ["salt"]).fetchall()[0][0]
        salt = bytes.fromhex(salt_hex)
        members = {r[0]: r[1:] for r in ws.con.execute(
            "SELECT native_id, email_hash, display_name, is_bot FROM members WHERE source_id = ?",
            [SID]).fetchall()}
        dump = " ".join(str(v) for r in ws.con.execute(
            "SELECT CAST(COLUMNS(*) AS VARCHAR) FROM members").fetchall() for v in r)
    assert len(members) == len(users) == 71
    assert "@" not in dump  # no address in clear anywhere in the members table
    for u in users:
        email = u["profile"].get("email")
        expected = hmac.new(salt, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]
        assert members[u["id"]][0] == expected
    assert not any(m[2] for m in members.values())  # no bot in this workspace


def test_reactions_and_mentions(slack_store: Path) -> None:
    raw = _raw_messages()
    on_posts = sum(len(r["users"]) for _, m in raw if m.get("subtype") in CONTRIBUTING
                   for r in m.get("reactions", []))
    # the first plain message that names someone else with <@U...>
    chan, first = next((c, m) for c, m in raw if m.get("subtype") is None
                       and (f := re.findall(r"<@(U\w+)", m["text"])) and f[0] != m["user"])
    target = re.findall(r"<@(U\w+)", first["text"])[0]
    with Workspace(slack_store, read_only=True) as ws:
        n = ws.con.execute("SELECT count(*), count(member_id) FROM reactions WHERE source_id = ?",
                           [SID]).fetchone()
        cid = ws.con.execute("SELECT native_id FROM places WHERE source_id = ? AND name = ?",
                             [SID, chan]).fetchall()[0][0]
        got = ws.con.execute("SELECT reply_to_member_id FROM posts WHERE post_id = ?",
                             [f"{SID}:p:{cid}:{first['ts']}"]).fetchone()
    assert n == (on_posts, on_posts)
    assert got == (f"{SID}:u:{target}",)


# -- a tiny export built here ---------------------------------------------------------------

T0 = 1_600_000_000
USERS = [
    {"id": "U1", "name": "ann", "real_name": "Ann Example", "is_admin": True,
     "profile": {"email": "ann@example.com"}},
    {"id": "U2", "name": "bob", "profile": {"email": "bob@example.com"}},
    {"id": "UB1", "name": "helper", "is_bot": True, "profile": {}},
]
DAY1 = [
    {"ts": f"{T0}.000100", "user": "U1", "text": "hello"},
    {"ts": f"{T0 + 60}.000100", "user": "U2", "text": "hi <@U1|ann>",
     "reactions": [{"name": "+1", "users": ["U1"], "count": 2}]},
    {"ts": f"{T0 + 120}.000100", "user": "U2", "subtype": "channel_join", "text": "joined"},
    {"ts": f"{T0 + 180}.000100", "user": "U1", "text": "parent", "reply_count": 1,
     "thread_ts": f"{T0 + 180}.000100"},
    {"ts": f"{T0 + 200}.000100", "user": "U2", "text": "in thread", "thread_ts": f"{T0 + 180}.000100"},
    {"ts": f"{T0 + 9000}.000100", "bot_id": "B9", "subtype": "bot_message", "username": "deploybot",
     "text": "deployed"},
    {"ts": f"{T0 + 9010}.000100", "user": "U1", "subtype": "channel_topic", "topic": "new topic"},
    {"user": "U1", "text": "no ts"},
    {"ts": f"{T0 + 9020}.000100", "user": "U1", "subtype": "weird_new_thing"},
    {"ts": f"{T0 + 9030}.000100", "text": "nobody"},
    {"ts": f"{T0 + 9040}.000100", "user": "U2", "subtype": "file_share", "text": "uploaded",
     "file": {"id": "F1", "user": "U2"}},
    {"ts": f"{T0 + 9100}.000100", "subtype": "file_comment", "file": {"id": "F1", "user": "U2"},
     "comment": {"user": "U1", "comment": "nice file"}},
]
DAY2 = [{"ts": f"{T0 + 100_000}.000100", "user": "U2", "text": "next day"}]


def _write_tiny(root: Path) -> Path:
    (root / "general").mkdir(parents=True)
    (root / "users.json").write_text(json.dumps(USERS))
    (root / "channels.json").write_text(json.dumps(
        [{"id": "C1", "name": "general", "created": str(T0 - 10), "purpose": {"value": "talk"}}]))
    (root / "general" / "2020-09-13.json").write_text(json.dumps(DAY1))
    (root / "general" / "2020-09-14.json").write_text(json.dumps(DAY2))
    return root


def _zip(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.rglob("*.json")):
            z.write(p, prefix + p.relative_to(folder).as_posix())
    return target


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return _write_tiny(tmp_path / "tiny")


def _rows(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    return ws.con.execute(sql).fetchall()


def test_tiny_export_hand_checked(workspace: Workspace, tiny: Path) -> None:
    report = workspace.ingest(tiny)
    s = "slack:tiny"
    assert report.platform == "slack" and report.counts["posts"] == 8
    assert report.skipped == {"general/2020-09-13.json: message without a valid ts": 1,
                              "general/2020-09-13.json: message without user or bot_id": 1}
    assert any("weird_new_thing" in w for w in report.warnings)
    posts = {r[0].split(":p:C1:")[1][:10]: r[1:] for r in _rows(workspace, (
        "SELECT post_id, thread_id, author_id, reply_to_post_id, reply_to_member_id FROM posts"))}
    t1, t2, t3 = f"{s}:t:C1:{T0}.000100", f"{s}:t:C1:{T0 + 9000}.000100", f"{s}:t:C1:{T0 + 100_000}.000100"
    p = f"{s}:p:C1:"
    assert posts[str(T0)] == (t1, f"{s}:u:U1", None, None)
    assert posts[str(T0 + 60)] == (t1, f"{s}:u:U2", f"{p}{T0}.000100", f"{s}:u:U1")  # mention
    assert posts[str(T0 + 180)] == (t1, f"{s}:u:U1", f"{p}{T0 + 60}.000100", f"{s}:u:U2")  # adjacency
    assert posts[str(T0 + 200)] == (t1, f"{s}:u:U2", f"{p}{T0 + 180}.000100", f"{s}:u:U1")  # thread reply
    assert posts[str(T0 + 9000)] == (t2, f"{s}:b:B9", None, None)  # 2.5 h later: new conversation
    assert posts[str(T0 + 9100)] == (t2, f"{s}:u:U1", f"{p}{T0 + 9040}.000100", f"{s}:u:U2")  # file comment
    assert posts[str(T0 + 100_000)][0] == t3
    assert _rows(workspace, "SELECT count(*) FROM threads") == [(3,)]
    events = sorted(_rows(workspace, "SELECT category, kind, member_id, detail FROM events"))
    assert events == [("membership", "join", f"{s}:u:U2", None),
                      ("system", "channel_topic", f"{s}:u:U1", "new topic"),
                      ("system", "weird_new_thing", f"{s}:u:U1", None)]
    assert Counter(_rows(workspace, "SELECT kind, member_id FROM reactions")) == Counter(
        [("+1", None), ("+1", f"{s}:u:U1")])
    bots = _rows(workspace, "SELECT native_id, display_name FROM members WHERE is_bot ORDER BY 1")
    assert bots == [("B9", "deploybot"), ("UB1", "helper")]
    staff = _rows(workspace, "SELECT native_id FROM members WHERE is_staff")
    assert staff == [("U1",)]


def test_zip_gives_the_same_rows_as_the_folder(tmp_path: Path, tiny: Path) -> None:
    archive = _zip(tiny, tmp_path / "tiny.zip", prefix="tiny-export/")
    got = []
    for i, src in enumerate((tiny, archive)):
        with Workspace(tmp_path / f"{i}.duckdb") as ws:
            ws.ingest(src, name="tiny")
            sql = "SELECT CAST(COLUMNS(* EXCLUDE (source_id)) AS VARCHAR) FROM {} ORDER BY ALL"
            got.append([_rows(ws, sql.format(t))
                        for t in ("posts", "threads", "events", "reactions", "places")])
            # e-mail hashes are salted per store, so members are compared without them
            got[-1].append(_rows(ws, "SELECT member_id, display_name, is_bot, joined_at::VARCHAR "
                                     "FROM members ORDER BY ALL"))
    assert got[0] == got[1] and len(got[0][0]) == 8


def test_broken_zip_and_broken_day_file_leave_the_store_unchanged(
    tmp_path: Path, tiny: Path, workspace: Workspace
) -> None:
    workspace.ingest(tiny, name="tiny")
    before = workspace.counts()
    archive = _zip(tiny, tmp_path / "tiny.zip")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])  # truncated: no central directory
    with pytest.raises(BrokenInput, match=r"not a readable \.zip"):
        workspace.ingest(archive, platform="slack", name="tiny")
    day = tiny / "general" / "2020-09-14.json"
    day.write_text('[{"ts": "1600100000.000100", "user": "U2", "te')
    with pytest.raises(BrokenInput, match=r"2020-09-14\.json: not valid JSON"):
        workspace.ingest(tiny, name="tiny")
    assert workspace.counts() == before


def test_cli_ingest_detects_slack_and_profile_runs(
    tmp_path: Path, tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from communitas.cli.app import main

    store = str(tmp_path / "cli.duckdb")
    main(["ingest", str(tiny), "--store", store, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["platform"] == "slack" and report["counts"]["posts"] == 8
    main(["profile", "--store", store, "--json"])
    assert json.loads(capsys.readouterr().out)


def test_profile_runs_on_the_real_export(slack_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from communitas.cli.app import main

    main(["profile", "--store", str(slack_store), "--json"])
    assert json.loads(capsys.readouterr().out)


def test_no_text_keeps_no_bodies_or_topics_but_keeps_titles(workspace: Workspace, tiny: Path) -> None:
    workspace.ingest(tiny, keep_bodies=False)
    assert _rows(workspace, "SELECT count(*), count(body) FROM posts") == [(8, 0)]
    # conversation titles are kept, as on every platform (docs/data-model.md): first messages
    assert _rows(workspace, "SELECT title FROM threads ORDER BY created_at") == [
        ("hello",), ("deployed",), ("next day",)]
    assert _rows(workspace, "SELECT count(detail) FROM events") == [(0,)]
    # lengths are kept: "nice file" is the file comment's text
    assert _rows(workspace, f"SELECT length FROM posts WHERE native_id = 'C1:{T0 + 9100}.000100'") == [(9,)]


def test_a_thread_reply_whose_parent_is_missing_opens_the_thread(
    tmp_path: Path, workspace: Workspace
) -> None:
    root = _write_tiny(tmp_path / "orphan")
    parent = f"{T0 - 5000}.000100"  # not in the export
    replies = [{"ts": f"{T0 + 10}.000100", "user": "U2", "text": "late reply", "thread_ts": parent},
               {"ts": f"{T0 + 20}.000100", "user": "U1", "text": "me too", "thread_ts": parent}]
    (root / "general" / "2020-09-13.json").write_text(json.dumps(replies))
    (root / "general" / "2020-09-14.json").unlink()
    workspace.ingest(root)
    s = "slack:orphan"
    assert _rows(workspace, "SELECT thread_id, native_id, created_at::VARCHAR FROM threads") == [
        (f"{s}:t:C1:{parent}", f"C1:{parent}", "2020-09-13 12:26:50.0001+00")]
    got = _rows(workspace, "SELECT thread_id, reply_to_post_id, reply_to_member_id FROM posts ORDER BY 1, 2")
    assert got == [(f"{s}:t:C1:{parent}", f"{s}:p:C1:{parent}", None)] * 2


def test_detection_claims_only_slack_exports() -> None:
    from communitas.sources.registry import SOURCES

    for name in ("slack-houstondatavis", "discord-komodo", "discourse-askci", "mbox-usrp-users-2022",
                 "stackexchange-beer", "stackexchange-beer-7z"):
        claimed = [p for p, src in SOURCES.items() if src.detect(data_path(name))]
        assert ("slack" in claimed) == (name == "slack-houstondatavis"), (name, claimed)
        assert ("discord" in claimed) == (name == "discord-komodo"), (name, claimed)


def test_every_post_has_its_raw_author_and_no_member_is_a_bot(slack_store: Path) -> None:
    """The author rule on the sample, recounted from the raw JSON: ``comment.user`` for the 6 file
    comments, ``user`` for the 1,025 other posts; the 61 file shares carry ``bot_id: null``
    and the one ``bot_add`` event a string ``bot_id``, and neither makes anyone a bot."""
    channels = {c["name"]: c["id"] for c in json.loads(
        data_path("slack-houstondatavis", "export", "channels.json").read_text())}
    expected = {}
    for chan, m in _raw_messages():
        if m.get("subtype") in CONTRIBUTING:
            user = m["comment"]["user"] if m.get("subtype") == "file_comment" else m["user"]
            expected[f"{SID}:p:{channels[chan]}:{m['ts']}"] = f"{SID}:u:{user}"
    by_rule = Counter("comment.user" if m.get("subtype") == "file_comment" else "user"
                      for _, m in _raw_messages() if m.get("subtype") in CONTRIBUTING)
    assert by_rule == {"user": 1025, "comment.user": 6}
    assert sum(1 for _, m in _raw_messages() if "bot_id" in m and m["bot_id"] is None) == 61
    with Workspace(slack_store, read_only=True) as ws:
        got = dict(ws.con.execute("SELECT post_id, author_id FROM posts WHERE source_id = ?",
                                  [SID]).fetchall())
        flags = ws.con.execute("SELECT count(*), count(*) FILTER (is_bot OR is_system) FROM members "
                               "WHERE source_id = ?", [SID]).fetchall()
    assert got == expected
    assert len(set(expected.values())) == 32  # members who posted
    assert flags == [(71, 0)]
