"""Hand-checked examples from the beer site, each verified against the raw XML read here with
gzip + xml.etree (never with communitas code).

Examples read by hand in the dump:
* question 1 (asked by user 7) has AcceptedAnswerId 4 (answer 4, by user 12);
* comment 1 is on question 5 (asked by user 7); comment 4 is on question 16 (asked by user 12);
* question 29 was closed 2014-01-21T21:04:25.230 as a duplicate of question 25 (PostLinks 25,
  LinkTypeId 3; PostHistory 104, close reason 101);
* question 92 was closed 2014-01-25T11:05:40.270 (reason 102), with no duplicate link;
* question 92 is tagged <distribution><buying><retail-availiability><germany>.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import raw_rows

from communitas.store import Workspace

SID = "stackexchange:beer.stackexchange.com"


@pytest.fixture(scope="module")
def raw() -> dict[str, list[dict[str, str]]]:
    return {f: raw_rows("stackexchange-beer", f) for f in ("Posts", "Comments", "PostLinks", "Votes")}


@pytest.fixture(scope="module")
def ws(beer_store: Path) -> Iterator[Workspace]:
    with Workspace(beer_store, read_only=True) as w:
        yield w


def _ms(iso: str) -> int:
    return round(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp() * 1000)


def _one(ws: Workspace, sql: str, *args: Any) -> tuple[Any, ...]:
    row = ws.con.execute(sql, list(args)).fetchone()
    assert row is not None, (sql, args)
    return row


def _thread(ws: Workspace, native: str) -> tuple[Any, ...]:
    return _one(ws, "SELECT status, accepted_post_id, epoch_ms(closed_at), duplicate_of, author_id "
                "FROM threads WHERE thread_id = ?", f"{SID}:t:{native}")


def test_accepted_answer_hand_checked(ws: Workspace, raw: dict[str, list[dict[str, str]]]) -> None:
    q1 = next(r for r in raw["Posts"] if r["Id"] == "1")
    assert (q1["AcceptedAnswerId"], q1["OwnerUserId"]) == ("4", "7")
    assert _thread(ws, "1") == ("accepted", f"{SID}:p:4", None, None, f"{SID}:u:7")
    answer = _one(ws, "SELECT thread_id, reply_to_post_id, reply_to_member_id, author_id, kind "
                  "FROM posts WHERE post_id = ?", f"{SID}:p:4")
    assert answer == (f"{SID}:t:1", f"{SID}:p:1", f"{SID}:u:7", f"{SID}:u:12", "answer")


def test_every_accepted_answer_matches_posts_xml(ws: Workspace, raw: dict[str, list[dict[str, str]]]
                                                 ) -> None:
    expected = {f"{SID}:t:{r['Id']}": f"{SID}:p:{r['AcceptedAnswerId']}"
                for r in raw["Posts"] if r.get("PostTypeId") == "1" and r.get("AcceptedAnswerId")}
    got = dict(ws.con.execute("SELECT thread_id, accepted_post_id FROM threads "
                              "WHERE accepted_post_id IS NOT NULL").fetchall())
    assert got == expected
    assert len(got) == 619  # grep -c AcceptedAnswerId= Posts.xml
    accept_votes = sum(1 for r in raw["Votes"] if r["VoteTypeId"] == "1")
    assert _one(ws, "SELECT count(*) FROM reactions WHERE kind = 'accept'") == (accept_votes,)


def test_comment_reply_targets_hand_checked(ws: Workspace) -> None:
    rows = ws.con.execute(
        "SELECT native_id, reply_to_post_id, reply_to_member_id, thread_id, author_id FROM posts "
        "WHERE kind = 'comment' AND native_id IN ('1', '4') ORDER BY native_id").fetchall()
    assert rows == [
        ("1", f"{SID}:p:5", f"{SID}:u:7", f"{SID}:t:5", f"{SID}:u:10"),
        ("4", f"{SID}:p:16", f"{SID}:u:12", f"{SID}:t:16", f"{SID}:u:39"),
    ]


def test_every_comment_replies_to_its_posts_owner(ws: Workspace,
                                                  raw: dict[str, list[dict[str, str]]]) -> None:
    owner = {r["Id"]: r.get("OwnerUserId") for r in raw["Posts"]}
    expected = {}
    for c in raw["Comments"]:
        o = owner.get(c["PostId"])
        expected[c["Id"]] = (f"{SID}:p:{c['PostId']}", f"{SID}:u:{o}" if o else None)
    got = {n: (p, m) for n, p, m in ws.con.execute(
        "SELECT native_id, reply_to_post_id, reply_to_member_id FROM posts WHERE kind = 'comment'"
    ).fetchall()}
    assert got == expected
    # comments on posts whose owner was deleted have no member to reply to
    assert sum(1 for v in expected.values() if v[1] is None) > 0


def test_closures_hand_checked(ws: Workspace, raw: dict[str, list[dict[str, str]]]) -> None:
    posts = {r["Id"]: r for r in raw["Posts"]}
    assert posts["29"]["ClosedDate"] == "2014-01-21T21:04:25.230"
    assert {"PostId": "29", "RelatedPostId": "25", "LinkTypeId": "3"}.items() <= next(
        r for r in raw["PostLinks"] if r["PostId"] == "29").items()
    assert _thread(ws, "29") == ("duplicate", None, _ms("2014-01-21T21:04:25.230"),
                                 f"{SID}:t:25", f"{SID}:u:38")
    assert posts["92"]["ClosedDate"] == "2014-01-25T11:05:40.270"
    assert not [r for r in raw["PostLinks"] if r["PostId"] == "92"]
    assert _thread(ws, "92") == ("closed", None, _ms("2014-01-25T11:05:40.270"), None, f"{SID}:u:21")
    close = ws.con.execute("SELECT category, kind, detail, thread_id, member_id FROM events "
                           "WHERE post_id = ? AND kind = 'close'", [f"{SID}:p:29"]).fetchall()
    assert close == [("moderation", "close", "101", f"{SID}:t:29", f"{SID}:u:17")]


def test_every_closure_matches_posts_and_postlinks(ws: Workspace,
                                                   raw: dict[str, list[dict[str, str]]]) -> None:
    closed = {r["Id"]: r["ClosedDate"] for r in raw["Posts"] if r.get("ClosedDate")}
    dup_links: dict[str, set[str]] = {}
    for r in raw["PostLinks"]:
        if r["LinkTypeId"] == "3":
            dup_links.setdefault(r["PostId"], set()).add(r["RelatedPostId"])
    got = ws.con.execute("SELECT native_id, status, epoch_ms(closed_at), duplicate_of FROM threads "
                         "WHERE closed_at IS NOT NULL OR status IN ('closed', 'duplicate')").fetchall()
    assert {n: ms for n, _, ms, _ in got} == {n: _ms(d) for n, d in closed.items()}
    for native, status, _, dup in got:
        if native in dup_links:
            assert status == "duplicate"
            assert dup == f"{SID}:t:{min(dup_links[native])}"
        else:
            assert (status, dup) == ("closed", None)
    assert len(closed) == 76
    assert sum(1 for n in closed if n in dup_links) == 24


def test_thread_places_from_tags_attribute(ws: Workspace, raw: dict[str, list[dict[str, str]]]) -> None:
    q92 = ws.con.execute("SELECT place_id, position FROM thread_places WHERE thread_id = ? "
                         "ORDER BY position", [f"{SID}:t:92"]).fetchall()
    names = ["distribution", "buying", "retail-availiability", "germany"]
    assert q92 == [(f"{SID}:tag:{n}", i) for i, n in enumerate(names)]
    assert _one(ws, "SELECT place_id FROM threads WHERE thread_id = ?", f"{SID}:t:92") == (
        f"{SID}:tag:distribution",)
    expected = set()
    for r in raw["Posts"]:
        if r.get("PostTypeId") == "1":
            tags = r["Tags"].strip("<>").split("><")
            expected |= {(f"{SID}:t:{r['Id']}", f"{SID}:tag:{t}", i) for i, t in enumerate(tags)}
    got = set(ws.con.execute("SELECT thread_id, place_id, position FROM thread_places").fetchall())
    assert got == expected
    # every tag used on a question is a place of kind tag under the site
    orphans = ws.con.execute("SELECT count(*) FROM thread_places tp LEFT JOIN places p USING (place_id) "
                             "WHERE p.place_id IS NULL OR p.kind <> 'tag'").fetchone()
    assert orphans == (0,)
