"""Slack: who is a bot (the author, never the message's ``bot_id``), exports without users.json
or channels.json, Enterprise Grid's org_users.json, and private conversations left unread.

The export is built here in the shape of a current Slack export (``user_profile`` on people's
messages, ``bot_profile`` on apps' messages, a ``/giphy`` message carrying the app's ``bot_id``
beside the person's ``user``); every identity is invented."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from communitas.errors import UnknownFormat
from communitas.sources.slack import SlackSource
from communitas.store import Workspace

T0 = 1_700_000_000
TEAM = "T0TEAM"


def _profile(name: str, real: str) -> dict[str, Any]:
    return {"avatar_hash": "0", "first_name": real.split()[0], "real_name": real, "display_name": name,
            "team": TEAM, "name": name, "is_restricted": False, "is_ultra_restricted": False}


def _person(user: str, name: str, real: str, ts: int, text: str) -> dict[str, Any]:
    return {"client_msg_id": f"m-{ts}", "type": "message", "text": text, "user": user,
            "ts": f"{ts}.000200", "team": TEAM, "user_team": TEAM, "source_team": TEAM,
            "user_profile": _profile(name, real)}


USERS = [
    {"id": "U0ANN", "name": "ann", "real_name": "Ann Example", "is_bot": False, "is_app_user": False,
     "profile": {"real_name": "Ann Example", "email": "ann@example.org"}},
    # a person who authorised apps (is_app_user) and uses a slash command: still a person
    {"id": "U0BOB", "name": "bob", "real_name": "Bob Example", "is_bot": False, "is_app_user": True,
     "profile": {"real_name": "Bob Example", "email": "bob@example.org"}},
    {"id": "U0STAND", "name": "standup", "real_name": "Standup", "is_bot": True, "is_app_user": False,
     "profile": {"real_name": "Standup", "bot_id": "B0STAND"}},
    # Slack's user list gives Slackbot is_bot false; it is still the system account
    {"id": "USLACKBOT", "name": "slackbot", "real_name": "Slackbot", "is_bot": False, "profile": {}},
]
GIPHY = {"type": "message", "text": "", "user": "U0BOB", "bot_id": "B0GIPHY", "ts": f"{T0 + 60}.000300",
         "team": TEAM, "attachments": [{"fallback": "giphy: https://giphy.example/cat", "title": "cat",
                                        "footer": "Posted using /giphy"}]}
STANDUP = {"bot_id": "B0STAND", "type": "message", "text": "Standup time", "user": "U0STAND",
           "ts": f"{T0 + 120}.000400", "team": TEAM,
           "bot_profile": {"id": "B0STAND", "deleted": False, "name": "Standup", "updated": T0,
                           "app_id": "A0STAND", "team_id": TEAM}}
WEBHOOK = {"type": "message", "subtype": "bot_message", "text": "Build passed", "ts": f"{T0 + 180}.000500",
           "username": "ci", "icons": {"emoji": ":gear:"}, "bot_id": "B0CI"}
# an integration posting for a person: subtype bot_message, but the user is a person
RSS_FOR_ANN = {"type": "message", "subtype": "bot_message", "text": "New post", "user": "U0ANN",
               "ts": f"{T0 + 240}.000600", "bot_id": "B0RSS", "username": "RSS"}
SLACKBOT = {"type": "message", "user": "USLACKBOT", "text": "Reminder: standup", "ts": f"{T0 + 300}.000700"}
DAY = [
    _person("U0ANN", "ann", "Ann Example", T0, "morning"),
    GIPHY,
    _person("U0BOB", "bob", "Bob Example", T0 + 90, "ha"),
    STANDUP, WEBHOOK, RSS_FOR_ANN, SLACKBOT,
    {"type": "message", "subtype": "channel_join", "user": "U0BOB", "text": "joined",
     "ts": f"{T0 + 360}.000800"},
]


def _export(root: Path, users: str | None = "users.json", channels: bool = True,
            day: list[dict[str, Any]] | None = None) -> Path:
    (root / "general").mkdir(parents=True)
    if users is not None:
        (root / users).write_text(json.dumps(USERS))
    if channels:
        (root / "channels.json").write_text(json.dumps([{"id": "C0GEN", "name": "general",
                                                         "created": T0 - 10}]))
    (root / "general" / "2023-11-14.json").write_text(json.dumps(DAY if day is None else day))
    return root


def _q(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    return ws.con.execute(sql).fetchall()


def _members(ws: Workspace) -> dict[str, tuple[Any, ...]]:
    return {r[0]: r[1:] for r in _q(ws, "SELECT native_id, is_bot, is_system, display_name, "
                                        "email_hash IS NOT NULL FROM members")}


def _posts_by(ws: Workspace) -> dict[str, int]:
    return dict(_q(ws, "SELECT m.native_id, count(*) FROM posts p JOIN members m "
                       "ON m.member_id = p.author_id GROUP BY 1"))


def test_a_person_using_a_slash_command_stays_a_person(workspace: Workspace, tmp_path: Path) -> None:
    workspace.ingest(_export(tmp_path / "acme"))
    members = _members(workspace)
    bots = sorted(m for m, row in members.items() if row[0])
    assert bots == ["B0CI", "U0STAND", "USLACKBOT"]
    assert members["U0BOB"][:2] == (False, False)  # the /giphy message's bot_id is the app's
    assert members["U0ANN"][:2] == (False, False)  # a bot_message posted for her keeps her a person
    assert members["USLACKBOT"][:2] == (True, True)  # listed with is_bot false: still the system account
    # every message stays with its author: Bob's two, Ann's two (one relayed by RSS), one per bot
    assert _posts_by(workspace) == {"U0ANN": 2, "U0BOB": 2, "U0STAND": 1, "B0CI": 1, "USLACKBOT": 1}
    people = _q(workspace, "SELECT count(*) FROM posts p JOIN members m ON m.member_id = p.author_id "
                           "WHERE NOT m.is_bot")
    assert people == [(4,)]


def test_a_giphy_message_with_a_user_profile_counts_for_the_person(
    workspace: Workspace, tmp_path: Path
) -> None:
    giphy = {**GIPHY, "user_profile": _profile("bob", "Bob Example"),
             "bot_profile": {"id": "B0GIPHY", "name": "giphy", "app_id": "A0GIPHY"}}
    workspace.ingest(_export(tmp_path / "acme", users=None, day=[giphy]))
    assert _members(workspace)["U0BOB"] == (False, False, "Bob Example", False)


def test_an_export_without_users_json_is_ingested(workspace: Workspace, tmp_path: Path) -> None:
    export = _export(tmp_path / "acme", users=None)
    assert SlackSource().detect(export)
    report = workspace.ingest(export)
    assert report.platform == "slack" and report.counts["posts"] == 7
    assert [w for w in report.warnings if "users.json" in w] == [
        f"{export}: no users.json: members are known by their Slack id only (names from the "
        "messages' user_profile where given; no e-mail hashes, no admins, and bot accounts only "
        "from the messages)."]
    members = _members(workspace)
    # names come from the messages' user_profile; no e-mail hash without a user list
    assert members["U0ANN"] == (False, False, "Ann Example", False)
    assert members["U0BOB"] == (False, False, "Bob Example", False)
    # an unlisted user that posts with a bot_profile and never a user_profile is an app's bot user
    assert members["U0STAND"][:2] == (True, False)
    assert members["USLACKBOT"][:2] == (True, True)
    assert members["B0CI"][:3] == (True, False, "ci")
    assert _posts_by(workspace) == {"U0ANN": 2, "U0BOB": 2, "U0STAND": 1, "B0CI": 1, "USLACKBOT": 1}


def test_unlisted_users_posting_as_apps_are_bots(workspace: Workspace, tmp_path: Path) -> None:
    day = [{"type": "message", "subtype": "bot_message", "user": "U0FEED", "bot_id": "B0FEED",
            "text": "feed", "ts": f"{T0}.1"},
           {"type": "message", "user": "B0OLD", "text": "a bot id as user", "ts": f"{T0 + 1}.1"},
           {"type": "message", "user": "U0CAROL", "text": "plain, no profile", "ts": f"{T0 + 2}.1"}]
    workspace.ingest(_export(tmp_path / "acme", day=day))  # users.json lists none of them
    members = _members(workspace)
    assert {m: row[0] for m, row in members.items() if m not in {u["id"] for u in USERS}} == {
        "U0FEED": True, "B0OLD": True, "U0CAROL": False}


def test_a_zip_without_users_json_gives_the_same_rows(tmp_path: Path) -> None:
    folder = _export(tmp_path / "acme", users=None)
    archive = tmp_path / "acme.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in sorted(folder.rglob("*.json")):
            z.write(p, "acme export/" + p.relative_to(folder).as_posix())
    got = []
    for i, src in enumerate((folder, archive)):
        with Workspace(tmp_path / f"{i}.duckdb") as ws:
            ws.ingest(src, name="acme")
            got.append([_q(ws, "SELECT member_id, is_bot, is_system, display_name FROM members ORDER BY ALL"),
                        _q(ws, "SELECT post_id, author_id FROM posts ORDER BY ALL")])
    assert got[0] == got[1] and len(got[0][1]) == 7


def test_an_export_without_channels_json_reads_its_folders(workspace: Workspace, tmp_path: Path) -> None:
    export = _export(tmp_path / "acme", channels=False)
    report = workspace.ingest(export)
    assert report.counts["posts"] == 7
    assert _q(workspace, "SELECT native_id, name, kind FROM places") == [("general", "general", "channel")]
    assert [w for w in report.warnings if "channels.json" in w] == [
        f"{export}: no channels.json: each channel folder is read as a public channel named after "
        "the folder."]


def test_org_users_json_of_an_enterprise_grid_export_is_the_user_list(
    workspace: Workspace, tmp_path: Path
) -> None:
    report = workspace.ingest(_export(tmp_path / "acme", users="org_users.json"))
    assert not any("users.json" in w for w in report.warnings)
    members = _members(workspace)
    assert members["U0ANN"] == (False, False, "Ann Example", True)  # e-mail hashed from the list
    assert members["U0STAND"][:2] == (True, False)


def test_private_channels_and_direct_messages_are_not_read(workspace: Workspace, tmp_path: Path) -> None:
    export = _export(tmp_path / "acme")
    (export / "groups.json").write_text(json.dumps([{"id": "G0SECRET", "name": "secret"}]))
    (export / "dms.json").write_text(json.dumps([{"id": "D0ANNBOB", "members": ["U0ANN", "U0BOB"]}]))
    for folder, n in (("secret", 2), ("D0ANNBOB", 3)):
        (export / folder).mkdir()
        (export / folder / "2023-11-14.json").write_text(json.dumps(
            [_person("U0ANN", "ann", "Ann Example", T0 + i, "private") for i in range(n)]))
    report = workspace.ingest(export)
    assert report.counts["posts"] == 7 and report.counts["places"] == 1
    assert report.skipped == {
        "dms.json: message in a direct message (only public channels are read)": 3,
        "groups.json: message in a private channel (only public channels are read)": 2}
    assert [w.split(": ", 1)[1] for w in report.warnings if "not read" in w] == [
        "1 direct message folder(s) listed in dms.json not read: only public channels are (their "
        "messages are counted as skipped).",
        "1 private channel folder(s) listed in groups.json not read: only public channels are (their "
        "messages are counted as skipped)."]


def test_other_folders_of_json_are_not_taken_for_slack(tmp_path: Path) -> None:
    discord = tmp_path / "discord"  # a Discord export's channels.json is a map, beside CSV files
    discord.mkdir()
    (discord / "channels.json").write_text(json.dumps({"1": {"name": "LOUNGE", "channels": {}}}))
    (discord / "lounge_general.csv.gz").write_bytes(b"")
    days_only = tmp_path / "days"  # day files without any of Slack's lists
    (days_only / "general").mkdir(parents=True)
    (days_only / "general" / "2023-11-14.json").write_text("[]")
    for folder in (discord, days_only):
        assert not SlackSource().detect(folder)
        with pytest.raises(UnknownFormat, match="not a Slack export"):
            SlackSource().describe(folder)


def test_the_cli_ingests_an_export_without_users_json_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from communitas.cli.app import main

    export = _export(tmp_path / "acme", users=None)
    main(["ingest", str(export), "--store", str(tmp_path / "s.duckdb")])
    out = capsys.readouterr()
    assert "slack:acme ingested" in out.out
    assert "no users.json: members are known by their Slack id only" in " ".join(out.err.split())
    assert "channels.json" not in out.err


def test_json_files_in_folders_that_are_not_day_files_are_named_in_a_warning(
    workspace: Workspace, tmp_path: Path
) -> None:
    export = _export(tmp_path / "acme")
    (export / "general" / "canvas.json").write_text("{}")
    report = workspace.ingest(export)
    assert report.counts["posts"] == 7
    assert [w.split(": ", 1)[1] for w in report.warnings] == [
        "1 .json file(s) in folders are not day files (YYYY-MM-DD.json) and are not read, "
        "e.g. general/canvas.json."]
