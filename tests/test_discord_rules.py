"""Discord on exports built here: the mention/adjacency/conversation rules on a tiny CSV whose
every reply was worked out by hand, an exporter-shaped JSON file, and broken input."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from communitas.errors import BrokenInput
from communitas.store import Workspace

HEADER = "AuthorID;Author;Date;Content;Attachments;Reactions;"
# (author id, author, date, content, reactions) -- expected outcome in the comment
ROWS = [
    ("1", "Ann#0001", "01-Jan-20 10:00 AM", "hello all", ""),  # p1: conversation 1 starts
    ("2", "Bob Smith#0002", "01-Jan-20 10:02 AM", "hi ann", "👍 (2),🎈 (1)"),  # p2: adjacency -> p1
    ("2", "Bob Smith#0002", "01-Jan-20 10:02 AM", "how are you", ""),  # p3: same speaker, no reply
    ("3", "Cid#0003", "01-Jan-20 10:20 AM", "@Bob Smith welcome", ""),  # p4: mention -> Bob's p3
    ("1", "Ann#0001", "01-Jan-20 10:30 AM", "later", ""),  # p5: 10 min gap > 5: no reply
    ("4", "Dee#0004", "01-Jan-20 10:31 AM", "Joined the server.", ""),  # membership event
    ("3", "Cid#0003", "01-Jan-20 10:32 AM", "ok", ""),  # p7: adjacency -> p5 (the join is no turn)
    ("1", "Ann#0001", "01-Jan-20 11:30 AM", "mail me at ann@example.com", ""),  # p8: 58 min: conv 2
    ("5", "Eve#0005", "01-Jan-20 11:31 AM", "@everyone @Ann thanks", ""),  # p9: mention -> p8
    ("6", "KMD TipBot#0077", "01-Jan-20 11:31 AM", "tip sent", ""),  # p10: bot; adjacency -> p9
    ("x", "Bad#0001", "01-Jan-20 11:32 AM", "bad id", ""),  # skipped: AuthorID
    ("1", "Ann#0001", "not a date", "?", ""),  # skipped: Date
    ("7", "Gus#0007", "01-Jan-20 11:33 AM", "@Cid hi", ""),  # p13: mention -> Cid, no post in conv 2
]
CHAN = "111"
S = "discord:tiny"


def _pid(author: str, minute: str, k: int = 1) -> str:
    return f"{S}:p:{CHAN}:2020-01-01T{minute}:{author}:{k}"


def _csv_line(row: tuple[str, ...]) -> str:
    return ";".join('"' + v.replace('"', '""') + '"' for v in (*row[:4], "", row[4])) + ";"


def _write_csv(folder: Path, rows: Sequence[tuple[str, ...]] = ROWS, gz: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join([HEADER, *(_csv_line(r) for r in rows)]) + "\n"
    path = folder / f"Example Guild - Lounge - chat [{CHAN}].csv"
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return folder


def _rows(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    return ws.con.execute(sql).fetchall()


def test_tiny_csv_replies_worked_out_by_hand(tmp_path: Path, workspace: Workspace) -> None:
    report = workspace.ingest(_write_csv(tmp_path / "tiny"))
    assert report.platform == "discord"
    name = f"Example Guild - Lounge - chat [{CHAN}].csv"
    assert report.skipped == {f"{name}: AuthorID is not a Discord id": 1, f"{name}: unreadable Date": 1}
    got = {r[0]: r[1:] for r in _rows(workspace, "SELECT post_id, reply_to_member_id, reply_to_post_id "
                                                 "FROM posts")}
    u = f"{S}:u:"
    assert got == {
        _pid("1", "10:00"): (None, None),
        _pid("2", "10:02"): (u + "1", _pid("1", "10:00")),
        _pid("2", "10:02", 2): (None, None),
        _pid("3", "10:20"): (u + "2", _pid("2", "10:02", 2)),
        _pid("1", "10:30"): (None, None),
        _pid("3", "10:32"): (u + "1", _pid("1", "10:30")),
        _pid("1", "11:30"): (None, None),
        _pid("5", "11:31"): (u + "1", _pid("1", "11:30")),
        _pid("6", "11:31"): (u + "5", _pid("5", "11:31")),
        _pid("7", "11:33"): (u + "3", None),
    }
    threads = dict(_rows(workspace, "SELECT post_id, thread_id FROM posts"))
    assert len(set(threads.values())) == 2
    assert threads[_pid("3", "10:32")] == f"{S}:t:{CHAN}:2020-01-01T10:00:1:1"
    assert threads[_pid("7", "11:33")] == f"{S}:t:{CHAN}:2020-01-01T11:30:1:1"
    events = _rows(workspace, "SELECT category, kind, member_id FROM events")
    assert events == [("membership", "join", u + "4")]
    got = _rows(workspace, "SELECT kind, sum(value), count(member_id) FROM reactions GROUP BY 1")
    assert sorted(got) == [
        ("🎈", 1, 0), ("👍", 2, 0)]
    assert _rows(workspace, "SELECT native_id FROM members WHERE is_bot") == [("6",)]
    assert _rows(workspace, "SELECT count(*) FROM members") == [(7,)]
    assert _rows(workspace, "SELECT name, kind, parent_id FROM places ORDER BY kind") == [
        ("Lounge", "category", None), ("chat", "channel", f"{S}:g:lounge")]


def test_csv_ids_are_stable_across_reingests(tmp_path: Path) -> None:
    folder = _write_csv(tmp_path / "tiny", gz=True)
    ids = []
    for i in range(2):
        with Workspace(tmp_path / f"{i}.duckdb") as ws:
            ws.ingest(folder)
            ids.append(_rows(ws, "SELECT post_id, thread_id, reply_to_post_id FROM posts ORDER BY ALL"))
    assert ids[0] == ids[1] and len(ids[0]) == 10


def _user(uid: str, name: str, bot: bool = False) -> dict[str, Any]:
    return {"id": uid, "name": name, "discriminator": "0001", "nickname": name.title(), "color": None,
            "isBot": bot, "avatarUrl": "https://cdn.example.com/a.png"}


ANN, BOB, CID, CI = _user("11", "ann"), _user("12", "bob"), _user("13", "cid"), _user("14", "ci", True)


def _msg(mid: str, kind: str, at: str, content: str, author: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": mid, "type": kind, "timestamp": at, "timestampEdited": None, "callEndedTimestamp": None,
            "isPinned": False, "content": content, "author": author, "attachments": [], "embeds": [],
            "stickers": [], "reactions": [], "mentions": [], **extra}


EXPORT = {
    "guild": {"id": "900", "name": "Example Guild", "iconUrl": "https://cdn.example.com/g.png"},
    "channel": {"id": "222", "type": "GuildTextChat", "categoryId": "800", "category": "Help",
                "name": "support", "topic": None},
    "dateRange": {"after": None, "before": None},
    "messages": [
        _msg("1001", "Default", "2021-03-01T10:00:00.000+00:00", "how do I X?", ANN, reactions=[
            {"emoji": {"id": None, "name": "👍", "isAnimated": False}, "count": 2, "users": [BOB]}]),
        _msg("1002", "GuildMemberJoin", "2021-03-01T10:01:00+00:00", "Joined the server.", CID),
        _msg("1003", "Reply", "2021-03-01T11:10:00+01:00", "do Y", BOB, mentions=[ANN],
             reference={"messageId": "1001", "channelId": "222", "guildId": "900"}),
        _msg("1004", "Default", "2021-03-01T10:11:00+00:00", "thanks", ANN),
        _msg("1005", "ChannelPinnedMessage", "2021-03-01T10:12:00+00:00", "Pinned a message.", ANN,
             reference={"messageId": "1003", "channelId": "222", "guildId": "900"}),
        _msg("1006", "Default", "2021-03-01T10:13:00+00:00", "Build passed", CI),
        {"type": "Default", "timestamp": "2021-03-01T10:14:00+00:00", "content": "no id", "author": ANN},
    ],
    "messageCount": 7,
}


def test_exporter_json(tmp_path: Path, workspace: Workspace) -> None:
    folder = tmp_path / "json-export"
    folder.mkdir()
    (folder / "Example Guild - Help - support [222].json").write_text(json.dumps(EXPORT))
    report = workspace.ingest(folder)
    s = "discord:json-export"
    assert report.platform == "discord"
    assert report.skipped == {"Example Guild - Help - support [222].json: message without an id": 1}
    posts = _rows(workspace, "SELECT native_id, created_at::VARCHAR, reply_to_post_id, reply_to_member_id "
                             "FROM posts ORDER BY 1")
    assert posts == [
        ("1001", "2021-03-01 10:00:00+00", None, None),
        ("1003", "2021-03-01 10:10:00+00", f"{s}:p:1001", f"{s}:u:11"),  # explicit reply (+01:00)
        ("1004", "2021-03-01 10:11:00+00", f"{s}:p:1003", f"{s}:u:12"),  # adjacency
        ("1006", "2021-03-01 10:13:00+00", f"{s}:p:1004", f"{s}:u:11"),  # adjacency (a bot)
    ]
    assert sorted(_rows(workspace, "SELECT category, kind, member_id, post_id FROM events")) == [
        ("membership", "join", f"{s}:u:13", None),
        ("system", "channel_pinned_message", f"{s}:u:11", f"{s}:p:1003")]
    assert sorted(_rows(workspace, "SELECT kind, coalesce(member_id, '-') FROM reactions")) == [
        ("👍", "-"), ("👍", f"{s}:u:12")]
    assert _rows(workspace, "SELECT native_id, display_name FROM members WHERE is_bot") == [("14", "Ci")]
    assert _rows(workspace, "SELECT count(DISTINCT thread_id) FROM posts") == [(1,)]
    assert _rows(workspace, "SELECT native_id, kind, name, parent_id FROM places ORDER BY kind") == [
        ("800", "category", "Help", None), ("222", "channel", "support", f"{s}:g:800")]


def test_broken_gzip_and_broken_json_leave_the_store_unchanged(tmp_path: Path, workspace: Workspace) -> None:
    folder = _write_csv(tmp_path / "tiny", gz=True)
    workspace.ingest(folder)
    before = workspace.counts()
    gz = next(folder.glob("*.csv.gz"))
    data = gz.read_bytes()
    gz.write_bytes(data[: len(data) - 30])  # cut the end of the gzip stream
    with pytest.raises(BrokenInput, match="truncated or damaged"):
        workspace.ingest(folder, force=True)
    assert workspace.counts() == before
    jfolder = tmp_path / "tiny-json"
    jfolder.mkdir()
    text = json.dumps(EXPORT)
    (jfolder / "chan.json").write_text(text[: len(text) // 2])
    with pytest.raises(BrokenInput, match="not a readable DiscordChatExporter JSON"):
        workspace.ingest(jfolder, platform="discord", name="tiny")
    assert workspace.counts() == before


def test_cli_ingest_detects_discord(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from communitas.cli.app import main

    store = str(tmp_path / "cli.duckdb")
    main(["ingest", str(_write_csv(tmp_path / "tiny")), "--store", store, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["platform"] == "discord" and report["counts"]["posts"] == 10
    main(["profile", "--store", store, "--json"])
    assert json.loads(capsys.readouterr().out)


def test_no_text_keeps_no_bodies_but_keeps_titles(tmp_path: Path, workspace: Workspace) -> None:
    workspace.ingest(_write_csv(tmp_path / "tiny"), keep_bodies=False)
    assert _rows(workspace, "SELECT count(*), count(body), sum(length) FROM posts") == [
        (10, 0, sum(len(r[3]) for r in ROWS if r[0].isdigit() and r[2] != "not a date"
                    and r[3] != "Joined the server."))]
    # conversation titles are kept, as on every platform (docs/data-model.md): p1's and p8's text,
    # with the address masked like every stored text (communitas.masking)
    assert _unsalted(_rows(workspace, "SELECT title FROM threads ORDER BY created_at")) == [
        ("hello all",), ("mail me at [address]",)]


def test_a_channel_split_into_parts_reads_as_one(tmp_path: Path) -> None:
    whole = _write_csv(tmp_path / "whole" / "tiny")
    parts = tmp_path / "parts" / "tiny"
    parts.mkdir(parents=True)
    text = next(whole.glob("*.csv")).read_text(encoding="utf-8").splitlines(keepends=True)
    # split between Bob's two lines of 10:02 (the ordinal must go on) and in a numbered order
    # that sorts wrongly as text ("part 10" < "part 9")
    (parts / f"Example Guild - Lounge - chat [{CHAN}] [part 9].csv").write_text("".join(text[:3]))
    (parts / f"Example Guild - Lounge - chat [{CHAN}] [part 10].csv").write_text(text[0] + "".join(text[3:]))
    got = []
    for folder in (whole, parts):
        with Workspace(folder.parent / "s.duckdb") as ws:
            ws.ingest(folder)
            sql = "SELECT CAST(COLUMNS(* EXCLUDE (source_id)) AS VARCHAR) FROM {} ORDER BY ALL"
            tables = ("posts", "threads", "places", "events", "reactions")
            got.append([_unsalted(_rows(ws, sql.format(t))) for t in tables])
    assert got[0] == got[1]
    assert len(got[1][0]) == 10 and len(got[1][2]) == 2


def _unsalted(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows with masked addresses' tokens blanked: each store has its own salt (masking.py)."""
    return [tuple(re.sub(r"\[address:[0-9a-f]{8}\]", "[address]", v) if isinstance(v, str) else v
                  for v in row) for row in rows]


def test_a_zipped_export_reads_like_the_folder_and_a_bomb_is_refused(tmp_path: Path) -> None:
    import zipfile

    from communitas.errors import UnsafeInput

    folder = _write_csv(tmp_path / "tiny", gz=True)
    archive = tmp_path / "zipped" / "tiny.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for p in folder.iterdir():
            z.write(p, f"export/{p.name}")
    got = []
    for i, src in enumerate((folder, archive)):
        with Workspace(tmp_path / f"{i}.duckdb") as ws:
            report = ws.ingest(src)
            assert report.platform == "discord"
            got.append(_rows(ws, "SELECT post_id, thread_id, reply_to_post_id FROM posts ORDER BY ALL"))
    assert got[0] == got[1] and len(got[0]) == 10
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("export/zeros.csv", b"\0" * (64 << 20))
    with Workspace(tmp_path / "1.duckdb") as ws:
        before = ws.counts()
        with pytest.raises(UnsafeInput, match="decompression bomb"):
            ws.ingest(archive, platform="discord", name="tiny")
        assert ws.counts() == before
