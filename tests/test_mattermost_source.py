"""Mattermost source: a bulk export built here whose every row was worked out by hand, Perceval's
API sample recounted with the standard library, and bad input (truncated, missing fields, not
UTF-8, a zip member outside the archive): skipped and counted, or one line with the store unchanged."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import random
import zipfile
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import data_path, run_cli

from communitas.errors import BrokenInput, UnsafeInput
from communitas.sources.mattermost import MattermostSource
from communitas.sources.registry import find_source
from communitas.store import Workspace

T0 = 1_600_000_000_000  # ms
SID = "mattermost:tiny"


def _line(kind: str, obj: dict[str, Any]) -> str:
    return json.dumps({"type": kind, kind: obj})


def _post(user: str, dt_s: int, message: str, **extra: Any) -> str:
    return _line("post", {"team": "eng", "channel": "town-square", "user": user, "message": message,
                          "create_at": T0 + dt_s * 1000, **extra})


def _bulk_lines() -> list[str]:
    return [
        json.dumps({"type": "version", "version": 1}),
        _line("team", {"name": "eng", "display_name": "Engineering", "type": "O"}),
        _line("channel", {"team": "eng", "name": "town-square", "display_name": "Town Square",
                          "type": "O", "purpose": "All hands"}),
        _line("user", {"username": "alice", "email": "alice@example.org", "first_name": "Alice",
                       "last_name": "Archer", "roles": "system_admin system_user"}),
        _line("user", {"username": "bob", "email": "Bob@Example.org", "nickname": "Bobby",
                       "roles": "system_user"}),
        _post("alice", 0, "hello @bob and @nobody", reactions=[
            {"user": "bob", "emoji_name": "+1", "create_at": T0 + 5000}],
            replies=[{"user": "bob", "message": "hi", "create_at": T0 + 30_000},
                     {"user": "alice", "message": "welcome", "create_at": T0 + 60_000}]),
        _post("bob", 120, "a question"),
        _post("carol", 150, "carol joined the channel.", type="system_join_channel"),
        _post("ci-bot", 200, "build ok", props={"from_bot": "true"}),
        _post("alice", 4000, "next day"),
        _line("direct_channel", {"members": ["alice", "bob"]}),
        _line("direct_post", {"channel_members": ["alice", "bob"], "user": "bob", "message": "psst",
                              "create_at": T0, "replies": [{"user": "alice", "message": "ok",
                                                            "create_at": T0 + 1}]}),
        _line("post", {"team": "eng", "channel": "town-square", "message": "who?", "create_at": T0}),
        _line("post", {"channel": "town-square", "user": "bob", "message": "where?", "create_at": T0}),
        _line("emoji", {"name": "party"}),
        '{"type": "post", "post": {"team": "eng", "chan',
    ]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(_bulk_lines()) + "\n", encoding="utf-8")
    return path


def _rows(ws: Workspace, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    return ws.con.execute(sql, params).fetchall()


def test_tiny_bulk_export_worked_out_by_hand(workspace: Workspace, tiny: Path) -> None:
    report = workspace.ingest(tiny)
    assert report.source_id == SID
    c, u = "eng/town-square", f"{SID}:u:"
    p, t = f"{SID}:p:{c}:", f"{SID}:t:{c}:"
    posts = _rows(workspace, "SELECT native_id, author_id, reply_to_post_id, reply_to_member_id, thread_id "
                             "FROM posts ORDER BY created_at")
    assert posts == [
        # "@bob" names a known user; "@nobody" does not. Bob has no post yet in this conversation
        (f"{c}:{T0}:alice", f"{u}alice", None, f"{u}bob", f"{t}{T0}:alice"),
        # the thread's replies reply to its root and share its thread
        (f"{c}:{T0 + 30_000}:bob", f"{u}bob", f"{p}{T0}:alice", f"{u}alice", f"{t}{T0}:alice"),
        (f"{c}:{T0 + 60_000}:alice", f"{u}alice", f"{p}{T0}:alice", f"{u}alice", f"{t}{T0}:alice"),
        # top-level, 2 min after alice's top-level post: adjacency
        (f"{c}:{T0 + 120_000}:bob", f"{u}bob", f"{p}{T0}:alice", f"{u}alice", f"{t}{T0}:alice"),
        (f"{c}:{T0 + 200_000}:ci-bot", f"{u}ci-bot", f"{p}{T0 + 120_000}:bob", f"{u}bob", f"{t}{T0}:alice"),
        # over an hour of silence: a new conversation
        (f"{c}:{T0 + 4_000_000}:alice", f"{u}alice", None, None, f"{t}{T0 + 4_000_000}:alice"),
    ]
    assert _rows(workspace, "SELECT category, kind, member_id FROM events") == [
        ("membership", "join", f"{u}carol")]
    assert _rows(workspace, "SELECT member_id, kind, post_id FROM reactions") == [
        (f"{u}bob", "+1", f"{p}{T0}:alice")]
    assert _rows(workspace, "SELECT place_id, kind, name, parent_id, description FROM places ORDER BY 1") == [
        (f"{SID}:c:{c}", "channel", "Town Square", f"{SID}:g:eng", "All hands"),
        (f"{SID}:g:eng", "team", "Engineering", None, None)]
    salt = bytes.fromhex(_rows(workspace, "SELECT value FROM meta WHERE key = 'salt'")[0][0])
    members = _rows(workspace, "SELECT native_id, display_name, is_bot, is_staff, email_hash FROM members "
                               "ORDER BY 1")
    h = {e: hmac.new(salt, e.lower().encode(), hashlib.sha256).hexdigest()[:32]
         for e in ("alice@example.org", "bob@example.org")}
    assert members == [("alice", "Alice Archer", False, True, h["alice@example.org"]),
                       ("bob", "Bobby", False, False, h["bob@example.org"]),
                       ("carol", None, False, False, None), ("ci-bot", None, True, False, None)]
    assert report.skipped == {
        "tiny.jsonl: direct message (private conversations are not read)": 2,
        "tiny.jsonl: post without a user": 1, "tiny.jsonl: post without a team or channel": 1,
        "tiny.jsonl: emoji line (not read)": 1, "tiny.jsonl: line is not valid JSON (UTF-8)": 1}


def test_perceval_api_sample_recounted_with_json(workspace: Workspace) -> None:
    folder = data_path("format-samples-perceval", "mattermost")
    pages = [json.loads(f.read_text()) for f in sorted(folder.glob("mattermost_posts*.json"))]
    posts = {k: v for page in pages for k, v in page["posts"].items()}
    system = [p for p in posts.values() if p["type"].startswith("system_")]
    report = workspace.ingest(folder)
    assert report.platform == "mattermost"
    assert report.counts["posts"] == len(posts) - len(system) == 7
    assert report.counts["events"] == len(system) == 2
    users = [json.loads(f.read_text()) for f in sorted(folder.glob("mattermost_user_*.json"))]
    assert report.counts["members"] == len({p["user_id"] for p in posts.values()} | {u["id"] for u in users})
    replies = {(p["id"], p["parent_id"]) for p in posts.values() if p["root_id"]}
    got = dict(_rows(workspace, "SELECT native_id, split_part(reply_to_post_id, ':', 4) FROM posts"))
    assert {(k, got[k]) for k, _ in replies} == replies and len(replies) == 1
    # the channel file describes another channel than the posts' (as in Perceval's fixtures)
    channel = json.loads((folder / "mattermost_channel.json").read_text())
    places = dict(_rows(workspace, "SELECT native_id, name FROM places"))
    assert places[channel["id"]] == channel["display_name"]
    assert {p["channel_id"] for p in posts.values()} <= set(places)
    assert report.skipped == {"mattermost_erros.json: API error response (no data)": 1}
    assert "@" not in " ".join(str(v) for r in _rows(workspace, "SELECT CAST(COLUMNS(*) AS VARCHAR) "
                                                                "FROM members") for v in r)


def test_bad_input_is_counted_or_one_line_and_the_store_unchanged(workspace: Workspace, tiny: Path,
                                                                  tmp_path: Path) -> None:
    workspace.ingest(tiny)
    before = workspace.counts()
    data = tiny.read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(data)[:-30])
    with pytest.raises(BrokenInput, match=r"cut\.jsonl\.gz: .*(truncated|not a readable)") as e:
        workspace.ingest(cut, name="tiny")
    assert "\n" not in str(e.value)
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../import.jsonl", data)
    with pytest.raises(UnsafeInput, match="points outside the archive"):
        workspace.ingest(evil, platform="mattermost", name="tiny")
    assert workspace.counts() == before
    latin = tmp_path / "latin.jsonl"  # not UTF-8: the lines with such bytes are skipped and counted
    latin.write_bytes(data.replace(b"a question", "une r\u00e9ponse".encode("latin-1")))
    report = workspace.ingest(latin, name="latin")
    assert report.skipped["latin.jsonl: line is not valid JSON (UTF-8)"] == 2
    assert report.counts["posts"] == before["posts"] - 1


def test_zip_reads_like_the_file_and_detection(tmp_path: Path, tiny: Path) -> None:
    archive = tmp_path / "tiny.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(tiny, "import.jsonl")
        z.writestr("data/attachment.bin", b"\0\1")
    assert find_source(archive).platform == "mattermost"
    with Workspace(tmp_path / "a.duckdb") as a, Workspace(tmp_path / "b.duckdb") as b:
        a.ingest(tiny)
        b.ingest(archive, name="tiny")
        q = "SELECT post_id, thread_id, reply_to_post_id, body FROM posts ORDER BY 1"
        assert _rows(a, q) == _rows(b, q) and len(_rows(a, q)) == 6
    for other in ("slack-houstondatavis", "discord-komodo", "reddit-redditcom-2005"):
        assert not MattermostSource().detect(data_path(other))
    for sample in ("telegram", "rocketchat", "discourse", "slack"):
        assert not MattermostSource().detect(data_path("format-samples-perceval", sample))


def chatty_bulk(path: Path, n: int = 400, seed: int = 5) -> Path:
    """A realistic two-channel, two-theme bulk export built from the format's shapes (seeded)."""
    rng = random.Random(seed)
    themes = {"infra": ["kubernetes", "deploy", "cluster", "node", "helm", "ingress", "pod", "restart"],
              "design": ["mockup", "figma", "colour", "layout", "button", "font", "spacing", "icon"]}
    people = [f"user{i}" for i in range(20)]
    lines = [json.dumps({"type": "version", "version": 1}), _line("team", {"name": "eng"})]
    lines += [_line("channel", {"team": "eng", "name": ch, "type": "O"}) for ch in themes]
    lines += [_line("user", {"username": p, "email": f"{p}@example.org"}) for p in people]
    t = 0
    for i in range(n):
        t += rng.choice((20, 90, 250, 3000))
        ch = "infra" if (i // 30) % 2 else "design"
        text = " ".join(rng.choices(themes[ch], k=12))
        replies = [{"user": rng.choice(people), "message": " ".join(rng.choices(themes[ch], k=8)),
                    "create_at": T0 + (t + 10 + k) * 1000} for k in range(i % 3)]
        lines.append(_line("post", {"team": "eng", "channel": ch, "user": rng.choice(people),
                                    "message": text, "create_at": T0 + t * 1000, "replies": replies}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_ingest_then_profile_network_topics_report(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "cli.duckdb")
    export = chatty_bulk(tmp_path / "chatty.jsonl")
    code, out, _ = run_cli(["ingest", str(export), "--store", store, "--json"], capsys)
    assert code == 0 and json.loads(out)["platform"] == "mattermost"
    assert json.loads(out)["counts"]["posts"] == 400 + sum(i % 3 for i in range(400))
    sample = str(data_path("format-samples-perceval", "mattermost"))
    assert run_cli(["ingest", sample, "--store", store, "--json"], capsys)[0] == 0
    code, out, _ = run_cli(["profile", "--store", store, "--json"], capsys)
    assert code == 0 and json.loads(out)["overview"]["members"] == 20 + 2
    code, out, _ = run_cli(["network", "--store", store, "--json"], capsys)
    assert code == 0 and json.loads(out)["windows"]
    code, out, _ = run_cli(["topics", "--store", store, "-k", "2", "--json", "--source", "mattermost:chatty"],
                           capsys)
    assert code == 0 and len(json.loads(out)["topics"]) == 2
    code, _, err = run_cli(["report", "--store", store, "-o", str(tmp_path / "r.html")], capsys)
    assert code == 0 and (tmp_path / "r.html").stat().st_size > 0, err


def test_analyses_on_the_tiny_real_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Profile, network and report run on Perceval's 9 posts; topics says in one line why it cannot
    (one thread of 10 words or more: themes need two), instead of a traceback."""
    store = str(tmp_path / "s.duckdb")
    assert run_cli(["ingest", str(data_path("format-samples-perceval", "mattermost")), "--store", store],
                   capsys)[0] == 0
    for args in (["profile", "--json"], ["network", "--json"], ["report", "-o", str(tmp_path / "r.html")]):
        assert run_cli([*args, "--store", store], capsys)[0] == 0, args
    code, _, err = run_cli(["topics", "--store", store, "--json"], capsys)
    assert code == 2 and err.strip().splitlines() == [
        "error: too little text for topics: only one thread has 10 words or more, and themes need at "
        "least two. Ingest a larger community, or more of it."]
