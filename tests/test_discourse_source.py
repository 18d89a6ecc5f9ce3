"""The Discourse source on the real samples: every raw record accounted for, recounted here with
the standard library straight from the raw JSON; plus hand-made dumps for the rarer cases."""

from __future__ import annotations

import gzip
import json
import tarfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import data_path

from communitas.sources.discourse import DiscourseSource
from communitas.sources.registry import find_source
from communitas.store import Workspace

ASKCI_SID = "discourse:discourse-askci"
DELVING_SID = "discourse:delvingbitcoin-posts"


def _askci_topics() -> list[dict[str, Any]]:
    folder = data_path("discourse-askci", "topics")
    out = []
    for p in sorted(folder.glob("*-post-*.json.gz")):
        out.append(json.loads(gzip.decompress(p.read_bytes())))
    return out


def _delving_files() -> list[dict[str, Any]]:
    out = []
    with tarfile.open(data_path("discourse-delvingbitcoin", "delvingbitcoin-posts.tar.gz")) as tar:
        for m in tar.getmembers():
            if m.isfile() and m.name.startswith("archive/posts/"):
                f = tar.extractfile(m)
                assert f is not None
                out.append(json.loads(f.read()))
    return out


@pytest.fixture(scope="session")
def discourse_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("discourse") / "d.duckdb"
    with Workspace(path) as ws:
        ws.ingest(data_path("discourse-askci"))
        ws.ingest(data_path("discourse-delvingbitcoin", "delvingbitcoin-posts.tar.gz"))
    return path


def _one(ws: Workspace, sql: str, *params: Any) -> Any:
    row = ws.con.execute(sql, list(params)).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def test_detects_both_samples_and_not_stackexchange() -> None:
    assert find_source(data_path("discourse-askci")).platform == "discourse"
    assert find_source(data_path("discourse-askci", "topics")).platform == "discourse"
    tar = data_path("discourse-delvingbitcoin", "delvingbitcoin-posts.tar.gz")
    assert find_source(tar).platform == "discourse"
    assert find_source(data_path("stackexchange-beer")).platform == "stackexchange"
    discourse = DiscourseSource()
    for other in ("slack-houstondatavis", "discord-komodo", "mbox-usrp-users-2022", "stackexchange-beer"):
        assert not discourse.detect(data_path(other)), other


def test_askci_every_post_accounted_for(discourse_store: Path) -> None:
    stats = json.loads(data_path("discourse-askci", "stats.json").read_text())
    topics = _askci_topics()
    types = Counter(p["post_type"] for t in topics for p in t["post_stream"]["posts"])
    assert sum(types.values()) == stats["posts_in_topic_files"] == 593
    with Workspace(discourse_store, read_only=True) as ws:
        posts = _one(ws, "SELECT count(*) FROM posts WHERE source_id = ?", ASKCI_SID)
        events = _one(ws, "SELECT count(*) FROM events WHERE source_id = ? AND category = 'moderation'",
                      ASKCI_SID)
        threads = _one(ws, "SELECT count(*) FROM threads WHERE source_id = ?", ASKCI_SID)
        members = _one(ws, "SELECT count(*) FROM members WHERE source_id = ?", ASKCI_SID)
        skipped = json.loads(_one(ws, "SELECT skipped FROM sources WHERE source_id = ?", ASKCI_SID))
    assert posts == types[1]
    assert events == types[3]
    assert posts + events == stats["posts_in_topic_files"]
    assert threads == stats["topic_files"] == len(topics)
    assert members == stats["distinct_usernames"]
    # only whole non-API files are skipped (tag lists, the exporter's own post map, stats.json)
    assert all("not a Discourse topic" in k for k in skipped)


def test_askci_replies_follow_reply_to_post_number(discourse_store: Path) -> None:
    expected: dict[str, str | None] = {}
    for t in _askci_topics():
        regular = {p["post_number"]: p["id"] for p in t["post_stream"]["posts"] if p["post_type"] == 1}
        for p in t["post_stream"]["posts"]:
            if p["post_type"] != 1 or p["post_number"] == 1:
                continue
            target = regular.get(p["reply_to_post_number"] or 1)
            expected[str(p["id"])] = None if target is None else f"{ASKCI_SID}:p:{target}"
    with Workspace(discourse_store, read_only=True) as ws:
        got = dict(ws.con.execute("SELECT native_id, reply_to_post_id FROM posts WHERE source_id = ? "
                                  "AND kind = 'reply'", [ASKCI_SID]).fetchall())
    assert got == expected
    assert sum(v is not None for v in expected.values()) == len(expected) - 2


def test_askci_hand_checked_records(discourse_store: Path) -> None:
    with Workspace(discourse_store, read_only=True) as ws:
        # topic 1018: asked by toreliza (user 28, admin+moderator, trust level 4), 6 posts
        title, author, place, status = _one(
            ws, "SELECT title, author_id, place_id, status FROM threads WHERE thread_id = ?",
            f"{ASKCI_SID}:t:1018")
        assert title == "What conferences might I attend that focus on Research Computing and Facilitation?"
        assert author == f"{ASKCI_SID}:u:28"
        assert place == f"{ASKCI_SID}:c:23"
        assert status == "open"
        m = _one(ws, "SELECT display_name, is_staff, is_moderator, score, is_system FROM members "
                     "WHERE member_id = ?", f"{ASKCI_SID}:u:28")
        assert m == ("toreliza", True, True, None, False)  # trust level 4 is not a reputation
        # the one small-action post: jma pinned topic 32 (post 326, post_number 5)
        ev = _one(ws, "SELECT kind, member_id, thread_id FROM events WHERE event_id = ?",
                  f"{ASKCI_SID}:e:326")
        assert ev == ("pinned.enabled", f"{ASKCI_SID}:u:3", f"{ASKCI_SID}:t:32")
        assert _one(ws, "SELECT count(*) FROM posts WHERE post_id = ?", f"{ASKCI_SID}:p:326") == 0
        names = dict(ws.con.execute("SELECT native_id, name FROM places WHERE source_id = ? AND "
                                    "kind = 'category'", [ASKCI_SID]).fetchall())
        assert names == {"26": "q-a", "23": "Area-for-open-ended-topics-of-interest"}


def test_askci_likes_and_votes_become_reactions(discourse_store: Path) -> None:
    counts: Counter[int] = Counter()
    for t in _askci_topics():
        for p in t["post_stream"]["posts"]:
            if p["post_type"] == 1:
                for a in p["actions_summary"]:
                    counts[a["id"]] += a.get("count", 0)
    with Workspace(discourse_store, read_only=True) as ws:
        got = dict(ws.con.execute("SELECT kind, sum(value)::INT FROM reactions WHERE source_id = ? "
                                  "GROUP BY 1",
                                  [ASKCI_SID]).fetchall())
    assert got == {"like": counts[2], "qa_vote": counts[100], "flag_spam": counts[8]}
    assert counts[2] == 74


def test_delving_every_file_accounted_for(discourse_store: Path) -> None:
    stats = json.loads(data_path("discourse-delvingbitcoin", "stats.json").read_text())
    files = _delving_files()
    assert len(files) == stats["posts"] == 4725
    first: dict[int, dict[str, Any]] = {}
    for d in files:
        first.setdefault(d["id"], d)
    with Workspace(discourse_store, read_only=True) as ws:
        posts = _one(ws, "SELECT count(*) FROM posts WHERE source_id = ?", DELVING_SID)
        threads = _one(ws, "SELECT count(*) FROM threads WHERE source_id = ?", DELVING_SID)
        members = _one(ws, "SELECT count(*) FROM members WHERE source_id = ?", DELVING_SID)
        skipped = json.loads(_one(ws, "SELECT skipped FROM sources WHERE source_id = ?", DELVING_SID))
        system = _one(ws, "SELECT is_system, is_staff FROM members WHERE member_id = ?",
                      f"{DELVING_SID}:u:-1")
    dupes = sum(n for k, n in skipped.items() if k.endswith("same post id saved twice (first copy kept)"))
    assert posts == len(first) == 4661
    assert posts + dupes == stats["posts"]
    assert threads == stats["topics"] == len({d["topic_id"] for d in files})
    assert members == stats["distinct_usernames"]
    assert system == (True, True)


def test_delving_replies_and_emoji_reactions(discourse_store: Path) -> None:
    first: dict[int, dict[str, Any]] = {}
    for d in _delving_files():
        first.setdefault(d["id"], d)
    with_number = sum(1 for d in first.values() if d["reply_to_post_number"])
    emoji: Counter[str] = Counter()
    for d in first.values():
        for r in d["reactions"]:
            emoji[f"emoji:{r['id']}"] += r["count"]
    with Workspace(discourse_store, read_only=True) as ws:
        got = dict(ws.con.execute("SELECT kind, sum(value)::INT FROM reactions WHERE source_id = ? AND "
                                  "kind LIKE 'emoji:%' GROUP BY 1", [DELVING_SID]).fetchall())
        first_posts = _one(ws, "SELECT count(*) FROM posts WHERE source_id = ? AND kind = 'topic'",
                           DELVING_SID)
        bodies = _one(ws, "SELECT count(*) FROM posts WHERE source_id = ? AND body LIKE '%[quote=%'",
                      DELVING_SID)
    assert got == dict(emoji)
    assert first_posts == sum(1 for d in first.values() if d["post_number"] == 1)
    assert bodies == sum(1 for d in first.values() if "[quote=" in d["raw"])  # raw Markdown kept
    assert with_number > 2000


# -- hand-made dumps -------------------------------------------------------------------------

def _post(pid: int, number: int, user: int, name: str, **extra: Any) -> dict[str, Any]:
    base = {"id": pid, "post_number": number, "post_type": 1, "user_id": user, "username": name,
            "created_at": f"2024-01-01T00:0{number}:00.000Z", "cooked": f"<p>post {pid}</p>",
            "reply_to_post_number": None, "trust_level": 1, "staff": False, "moderator": False,
            "admin": False, "actions_summary": [], "topic_id": 7}
    base.update(extra)
    return base


def _tiny_dump(folder: Path) -> Path:
    posts = [
        _post(70, 1, 5, "ana"),
        _post(71, 2, 6, "ben", reply_to_post_number=1, accepted_answer=True,
              actions_summary=[{"id": 2, "count": 2}]),
        _post(72, 3, 7, "cai", reply_to_post_number=2),
        _post(73, 4, 1, "mod", post_type=4),  # whisper
        _post(74, 5, -1, "system", post_type=3, action_code="closed.enabled", cooked=""),
        _post(75, 6, -2, "discobot"),
        _post(76, 7, 6, "ben", deleted_at="2024-01-02T00:00:00Z"),
        {"id": 77, "username": "broken"},  # no post_number, no created_at
    ]
    topic = {"id": 7, "title": "Hello", "category_id": 3, "created_at": "2024-01-01T00:01:00Z",
             "user_id": 5, "views": 12, "closed": True, "archived": False, "tags": [{"name": "intro"}],
             "post_stream": {"posts": posts}}
    cats = {"category_list": {"categories": [
        {"id": 2, "name": "Parent", "topic_count": 1,
         "subcategory_list": [{"id": 3, "name": "Child", "parent_category_id": 2}]}]}}
    solved = {"id": 8, "title": "Solved", "category_id": 3, "user_id": 6,
              "accepted_answer": {"post_number": 2, "username": "ana"},
              "post_stream": {"posts": [_post(80, 1, 6, "ben", topic_id=8),
                                        _post(81, 2, 5, "ana", topic_id=8)]}}
    (folder / "t").mkdir(parents=True)
    (folder / "t" / "7.json").write_text(json.dumps(topic))
    (folder / "t" / "8.json").write_text(json.dumps(solved))
    (folder / "categories.json").write_text(json.dumps(cats))
    return folder


def test_tiny_dump_mapping(tmp_path: Path, workspace: Workspace) -> None:
    report = workspace.ingest(_tiny_dump(tmp_path / "tiny"))
    sid = "discourse:tiny"
    assert report.counts["posts"] == 6 and report.counts["events"] == 1
    reasons = Counter({k.split(": ", 1)[1]: n for k, n in report.skipped.items()})
    assert reasons == {"whisper (staff-only post), excluded": 1,
                       "deleted post (visible to staff only), excluded": 1,
                       "post without id, topic_id, post_number or created_at": 1}
    t = _one(workspace, "SELECT status, accepted_post_id, closed_at IS NOT NULL, view_count "
                        "FROM threads WHERE thread_id = ?", f"{sid}:t:7")
    assert t == ("closed", f"{sid}:p:71", True, 12)
    assert _one(workspace, "SELECT count(*) FROM reactions WHERE kind = 'accept' AND post_id = ?",
                f"{sid}:p:71") == 1
    assert _one(workspace, "SELECT sum(value) FROM reactions WHERE kind = 'like'") == 2
    # the Solved plugin's topic-level accepted_answer (a post number) works the same way
    assert _one(workspace, "SELECT status, accepted_post_id FROM threads WHERE thread_id = ?",
                f"{sid}:t:8") == ("accepted", f"{sid}:p:81")
    assert _one(workspace, "SELECT count(*) FROM reactions WHERE kind = 'accept'") == 2
    assert _one(workspace, "SELECT reply_to_member_id FROM posts WHERE post_id = ?",
                f"{sid}:p:72") == f"{sid}:u:6"
    assert _one(workspace, "SELECT reply_to_post_id FROM posts WHERE post_id = ?",
                f"{sid}:p:75") == f"{sid}:p:70"  # no reply_to_post_number: answers the topic
    flags = dict(workspace.con.execute("SELECT native_id, is_bot OR is_system FROM members").fetchall())
    assert flags == {"5": False, "6": False, "7": False, "-1": True, "-2": True}
    parents = dict(workspace.con.execute("SELECT name, parent_id FROM places WHERE kind = 'category'"
                                         ).fetchall())
    assert parents == {"Parent": f"{sid}:site", "Child": f"{sid}:c:2"}
    tp = workspace.con.execute("SELECT place_id FROM thread_places WHERE thread_id = ? ORDER BY position",
                               [f"{sid}:t:7"]).fetchall()
    assert tp == [(f"{sid}:c:3",), (f"{sid}:tag:intro",)]


def test_no_text_keeps_no_bodies(tmp_path: Path, workspace: Workspace) -> None:
    workspace.ingest(_tiny_dump(tmp_path / "tiny"), keep_bodies=False)
    assert _one(workspace, "SELECT count(body), min(length) FROM posts") == (0, len("<p>post 70</p>"))


def test_profile_runs_on_both_discourse_sources(discourse_store: Path, capsys: pytest.CaptureFixture[str]
                                                ) -> None:
    """The profile counts topics and replies by people (the system account's posts left out)."""
    from communitas.cli.app import main

    askci = [p for t in _askci_topics() for p in t["post_stream"]["posts"] if p["post_type"] == 1]
    first: dict[int, dict[str, Any]] = {}
    for d in _delving_files():
        first.setdefault(d["id"], d)
    for sid, posts in ((ASKCI_SID, askci), (DELVING_SID, list(first.values()))):
        people = [p for p in posts if p["user_id"] > 0]
        expected = Counter("topic" if p["post_number"] == 1 else "reply" for p in people)
        main(["profile", "--store", str(discourse_store), "--source", sid, "--json"])
        overview = json.loads(capsys.readouterr().out)["overview"]
        assert overview["posts_by_kind"] == dict(expected), sid
        assert overview["contributors"] == len({p["user_id"] for p in people}), sid


def test_a_folder_holding_only_the_archive_reads_the_archive(discourse_store: Path, tmp_path: Path) -> None:
    """The shared folder has the .tar.gz beside stats.json and notes: pointing at the folder is
    pointing at the archive (same source, same rows; the second form is "unchanged")."""
    folder = data_path("discourse-delvingbitcoin")
    assert find_source(folder).platform == "discourse"
    with Workspace(discourse_store, read_only=True) as ws:
        want = {t: n for t, n in ws.counts(DELVING_SID).items() if t != "sources"}
    with Workspace(tmp_path / "f.duckdb") as ws:
        report = ws.ingest(folder)
        assert report.source_id == DELVING_SID
        assert {t: n for t, n in ws.counts(DELVING_SID).items() if t != "sources"} == want
        assert report.counts["posts"] == 4661
        again = ws.ingest(data_path("discourse-delvingbitcoin", "delvingbitcoin-posts.tar.gz"))
        assert again.unchanged
