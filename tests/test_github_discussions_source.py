"""The GitHub Discussions source: the real payloadcms sample recounted with the standard library
(json) straight from the raw file; the GraphQL shapes ``gh api graphql`` prints, bots, deleted
accounts and bad input on small files built in tmp_path."""

from __future__ import annotations

import gzip
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import data_path

from communitas.errors import BrokenInput, UnsafeInput
from communitas.masking import ADDRESS
from communitas.sources.registry import find_source
from communitas.store import Workspace

SID = "github-discussions:github-discussions-payloadcms"


@pytest.fixture(scope="module")
def raw() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        data_path("github-discussions-payloadcms", "discussions.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def payload(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    path = tmp_path_factory.mktemp("gh") / "g.duckdb"
    with Workspace(path) as ws:
        ws.ingest(data_path("github-discussions-payloadcms", "discussions.json"))
    ws = Workspace(path)
    yield ws
    ws.close()


def _one(ws: Workspace, sql: str) -> Any:
    row = ws.con.execute(sql).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def _count(ws: Workspace, table: str, where: str) -> Any:
    return _one(ws, f"SELECT count(*) FROM {table} WHERE source_id = '{SID}' AND {where}")


def test_detected() -> None:
    assert find_source(data_path("github-discussions-payloadcms")).platform == "github-discussions"
    assert find_source(data_path("github-discussions-payloadcms", "discussions.json")).platform == (
        "github-discussions")


def test_every_post_comment_and_reply(payload: Workspace, raw: list[dict[str, Any]]) -> None:
    comments = [c for d in raw for c in d["comments"]]
    replies = [r for c in comments for r in c["replies"] or []]
    assert (len(raw), len(comments), len(replies)) == (241, 378, 465)  # the README's counts
    kinds = dict(payload.con.execute(f"SELECT kind, count(*) FROM posts WHERE source_id = '{SID}' "
                                     "GROUP BY kind").fetchall())
    assert kinds == {"question": len(raw), "answer": len(comments), "comment": len(replies)}
    assert _one(payload, f"SELECT count(*) FROM posts WHERE source_id = '{SID}' "
                         "AND reply_to_post_id IS NOT NULL") == len(comments) + len(replies)
    logins = {x["author"]["name"] for d in raw for x in [d, *d["comments"], *(r for c in d["comments"]
                                                                             for r in c["replies"] or [])]
              if x["author"].get("name")}
    assert _one(payload, f"SELECT count(*) FROM members WHERE source_id = '{SID}'") == len(logins) == 171
    deleted = sum(1 for d in raw if not d["author"].get("name"))
    assert _count(payload, "posts", "author_id IS NULL") == deleted
    stamps = [x["createdAt"] for d in raw for x in [d, *d["comments"]]]
    stamps += [r["createdAt"] for c in comments for r in c["replies"] or []]
    iso = "'%Y-%m-%dT%H:%M:%SZ'"
    got = _one(payload, f"SELECT strftime(min(created_at), {iso}), strftime(max(created_at), {iso}) "
                        f"FROM posts WHERE source_id = '{SID}'")
    assert got == (min(stamps), max(stamps))


def test_chosen_answers_count_like_stack_exchange(payload: Workspace, raw: list[dict[str, Any]]) -> None:
    assert _count(payload, "threads", "status = 'accepted'") == 241
    rows = payload.con.execute(
        f"SELECT t.native_id, a.body, a.created_at FROM threads t JOIN posts a "
        f"ON a.post_id = t.accepted_post_id WHERE t.source_id = '{SID}'").fetchall()
    by_number = {d["id"]: d["answer"] for d in raw}
    # addresses in the text are masked at ingest (communitas.masking): compare with them blanked
    def blank(text: str) -> str:
        return re.sub(r"\[address:[0-9a-f]{8}\]", "[address]", ADDRESS.sub("[address]", text))

    assert len(rows) == 241 and all(blank(body) == blank(by_number[n]["body"]) for n, body, _ in rows)
    assert _count(payload, "reactions", "kind = 'accept'") == 241
    upvotes = sum(d["upvotes"] for d in raw)
    assert _count(payload, "reactions", "kind = 'upvote'") == upvotes
    assert _one(payload, f"SELECT count(*) FROM places WHERE source_id = '{SID}'") == 1


def _node(number: int, author: dict[str, Any] | None, comments: list[dict[str, Any]], **kw: Any
          ) -> dict[str, Any]:
    return {"id": f"D_{number}", "number": number, "title": f"t{number}", "bodyHTML": "<p>q</p>",
            "createdAt": f"2024-01-0{number}T10:00:00Z", "url": f"https://github.com/acme/widgets/discussions/{number}",
            "upvoteCount": 1, "author": author,
            "category": {"id": "DIC_1", "name": "Q&A", "isAnswerable": True},
            "comments": {"totalCount": len(comments), "nodes": comments}, **kw}


def _comment(cid: str, login: str | None, replies: list[dict[str, Any]] | None = None, **kw: Any
             ) -> dict[str, Any]:
    author = {"login": login, "__typename": "Bot" if login == "helper" else "User"} if login else None
    return {"id": cid, "author": author, "bodyHTML": f"<p>{cid}</p>", "createdAt": "2024-01-09T11:00:00Z",
            "upvoteCount": 0, "replies": {"nodes": replies or []}, **kw}


def _graphql_pages() -> list[dict[str, Any]]:
    one = _node(1, {"login": "ann", "__typename": "User"}, [
        _comment("DC_1", "bob", [_comment("DC_2", "ann"), _comment("DC_3", "dependabot[bot]")]),
        _comment("DC_4", "helper", isAnswer=True)],
        answer={"id": "DC_4"}, answerChosenAt="2024-01-10T00:00:00Z", answerChosenBy={"login": "ann"})
    two = _node(2, None, [_comment("DC_5", None), _comment("DC_6", "github-actions")],
                category={"id": "DIC_2", "name": "Ideas", "isAnswerable": False}, closed=True)
    return [{"data": {"repository": {"discussions": {"pageInfo": {"hasNextPage": True}, "nodes": [one]}}}},
            {"data": {"repository": {"discussions": {"pageInfo": {"hasNextPage": False},
                                                     "edges": [{"node": two}]}}}}]


@pytest.mark.parametrize("layout", ["paginate", "slurp", "folder"])
def test_graphql_shapes(tmp_path: Path, layout: str) -> None:
    pages = _graphql_pages()
    if layout == "paginate":  # gh api graphql --paginate: JSON values back to back
        path = tmp_path / "widgets.json"
        path.write_text("\n".join(json.dumps(p) for p in pages))
    elif layout == "slurp":  # --paginate --slurp: one list of pages
        path = tmp_path / "widgets.json.gz"
        path.write_bytes(gzip.compress(json.dumps(pages).encode()))
    else:
        path = tmp_path / "widgets"
        path.mkdir()
        for i, p in enumerate(pages):
            (path / f"page-{i}.json").write_text(json.dumps(p))
    assert find_source(path).platform == "github-discussions"
    with Workspace(tmp_path / "g.duckdb") as ws:
        report = ws.ingest(path)
        assert report.source_id == "github-discussions:widgets"
        assert report.counts["posts"] == 8 and report.counts["threads"] == 2
        assert report.counts["places"] == 3  # the repository and two categories
        threads = ws.con.execute("SELECT native_id, status, accepted_post_id, place_id FROM threads "
                                 "ORDER BY 1").fetchall()
        sid = report.source_id
        assert threads == [("1", "accepted", f"{sid}:p:DC_4", f"{sid}:c:DIC_1"),
                           ("2", "closed", None, f"{sid}:c:DIC_2")]
        bots = {r[0] for r in ws.con.execute("SELECT native_id FROM members WHERE is_bot").fetchall()}
        assert bots == {"helper", "dependabot[bot]", "github-actions"}
        replies = dict(ws.con.execute("SELECT native_id, reply_to_post_id FROM posts").fetchall())
        assert replies["DC_2"] == f"{sid}:p:DC_1" and replies["DC_1"] == f"{sid}:p:1"
        assert ws.con.execute("SELECT member_id FROM reactions WHERE kind = 'accept'").fetchall() == [
            (f"{sid}:u:ann",)]
        kinds = dict(ws.con.execute("SELECT native_id, kind FROM posts").fetchall())
        assert (kinds["1"], kinds["DC_1"], kinds["DC_2"], kinds["2"], kinds["DC_5"]) == (
            "question", "answer", "comment", "topic", "reply")
        assert ws.con.execute("SELECT count(*) FROM posts WHERE author_id IS NULL").fetchone() == (2,)


# -- bad input --------------------------------------------------------------------------------

def _unchanged_after(tmp_path: Path, path: Path, error: type[Exception]) -> str:
    with Workspace(tmp_path / "bad.duckdb") as ws:
        before = ws.counts()
        with pytest.raises(error) as info:
            ws.ingest(path, platform="github-discussions")
        assert ws.counts() == before
    assert "\n" not in str(info.value)
    return str(info.value)


def test_truncated_file_aborts(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps(_graphql_pages()[0])[:-40])
    assert "d.json" in _unchanged_after(tmp_path, path, BrokenInput)


def test_wrong_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    text = json.dumps(_graphql_pages()[0], ensure_ascii=False).replace("<p>q", "<p>caf\u00e9")
    path.write_bytes(text.encode("latin-1"))
    assert "d.json" in _unchanged_after(tmp_path, path, BrokenInput)


def test_missing_fields_are_skipped_and_counted(tmp_path: Path) -> None:
    page = _graphql_pages()[0]
    nodes = page["data"]["repository"]["discussions"]["nodes"]
    nodes[0]["comments"]["nodes"].append({"id": "DC_9", "author": {"login": "cy"}})  # no createdAt
    nodes += [{"title": "no number"}, {"number": 5, "title": "no date", "comments": []}, None]
    path = tmp_path / "d.json"
    path.write_text(json.dumps(page))
    with Workspace(tmp_path / "m.duckdb") as ws:
        report = ws.ingest(path)
    assert report.counts["posts"] == 5 and sum(report.skipped.values()) == 4


def test_member_outside_the_zip_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "d.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("page.json", json.dumps(_graphql_pages()[0]))
        z.writestr("../../evil.json", "{}")
    assert "outside the archive" in _unchanged_after(tmp_path, archive, UnsafeInput)


def test_rest_style_names_are_read_too(tmp_path: Path) -> None:
    """A plain list of discussions with REST-style snake_case names (``user``, ``created_at``,
    ``type: Bot``, ``html_url``), as webhook payloads and REST-shaped dumps have them."""
    discussions = [{"number": 3, "title": "deploy?", "body": "how?", "created_at": "2024-02-01T10:00:00Z",
                    "html_url": "https://github.com/acme/widgets/discussions/3", "user": {"login": "ann"},
                    "comments": [{"body": "like this", "created_at": "2024-02-01T11:00:00Z",
                                  "user": {"login": "helper", "type": "Bot"}, "replies": None}]}]
    path = tmp_path / "rest.json"
    path.write_text(json.dumps(discussions))
    assert find_source(path).platform == "github-discussions"
    with Workspace(tmp_path / "r.duckdb") as ws:
        report = ws.ingest(path)
        assert report.counts["posts"] == 2 and report.counts["places"] == 1
        assert ws.con.execute("SELECT native_id, is_bot FROM members ORDER BY 1").fetchall() == [
            ("ann", False), ("helper", True)]
        assert ws.con.execute("SELECT place_id FROM threads").fetchone() == (
            "github-discussions:rest:repo:acme/widgets",)
