"""Senders rewritten by list servers (issue 12, item 1): every documented scheme gives back the
author, people whose address the relay hid stay apart by display name, and an address posting
under many names is reported by member id only.

The fixtures are built here, shaped like the headers each server writes (documented in
``docs/sources/mailing-lists.md``), with pseudonymous people at example domains. Expected values
come from the generation data, never from the code under test.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import mailbox
import zipfile
from pathlib import Path

import duckdb
import pytest
from tests.conftest import data_path

from communitas.sources import email_sender as es
from communitas.sources.email_text import sender
from communitas.sources.mbox_parse import Parsed, parse_message
from communitas.store import IngestReport, Workspace

GROUP = "grp@googlegroups.com"
GOOGLE = ("List-ID: <grp.googlegroups.com>\n"
          "Mailing-list: list grp@googlegroups.com; contact grp+owners@googlegroups.com\n"
          "List-Post: <https://groups.google.com/group/grp/post>, <mailto:grp@googlegroups.com>\n"
          "Precedence: list\n")
SID = "mbox:lst"
MAILMAN = "List-Id: <dev.lists.example.org>\nList-Post: <mailto:dev@lists.example.org>\n"


def _mail(n: int, headers: str, parent: int | None = None, msgid: str = "") -> str:
    reply = ""
    if parent is not None:
        reply = f"In-Reply-To: <m{parent}@example.net>\nReferences: <m{parent}@example.net>\n"
    day, hour = 1 + n // 24, n % 24
    return (f"From x@example.net Mon Mar  1 10:00:00 2021\n{headers}"
            f"Date: {day:02d} Mar 2021 {hour:02d}:00:00 +0000\nMessage-ID: {msgid or f'<m{n}@example.net>'}\n"
            f"{reply}Subject: {'Re: ' if parent is not None else ''}talk\n\nMessage {n}.\n\n")


def _ingest(tmp_path: Path, text: str) -> tuple[duckdb.DuckDBPyConnection, IngestReport]:
    archive = tmp_path / "lst.mbox"
    archive.write_text(text, encoding="utf-8")
    db = tmp_path / "s.duckdb"
    with Workspace(db) as ws:
        report = ws.ingest(archive)
    return duckdb.connect(str(db), read_only=True), report


def _salted(con: duckdb.DuckDBPyConnection, value: str) -> str:
    salt = bytes.fromhex(con.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0])  # type: ignore[index]
    return hmac.new(salt, value.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


def _parse(headers: str, msgid: str = "") -> Parsed:
    p = parse_message(b"From x@example.net Mon Mar  1 10:00:00 2021",
                      _mail(1, headers, msgid=msgid).split("\n", 1)[1].encode())
    assert isinstance(p, Parsed), p
    return p


# -- Google Groups: 16 people, 154 messages, one group address ------------------------------------

PEOPLE = 16
MESSAGES = 154


def _google_author(i: int) -> int:
    return (i * 7 + i // 16) % PEOPLE  # every person posts, unevenly


def _google_parent(i: int) -> int | None:
    return i - 1 if i % 6 else None  # threads of six, each message answering the one before


def _google_archive() -> str:
    out = []
    for i in range(MESSAGES):
        k = _google_author(i)
        out.append(_mail(i, f"From: \"'Person {k:02d}' via grp\" <{GROUP}>\nReply-To: {GROUP}\n"
                            f"X-Original-Sender: p{k:02d}@example.org\n{GOOGLE}", _google_parent(i)))
    return "".join(out)


def test_google_group_senders_are_the_people_not_the_group(tmp_path: Path) -> None:
    con, report = _ingest(tmp_path, _google_archive())
    sid = SID
    hashes = {h for (h,) in con.execute("SELECT email_hash FROM members").fetchall()}
    assert hashes == {_salted(con, f"p{k:02d}@example.org") for k in range(PEOPLE)}
    names = {n for (n,) in con.execute("SELECT display_name FROM members").fetchall()}
    assert names == {f"Person {k:02d}" for k in range(PEOPLE)}
    member = {k: f"{sid}:m:{_salted(con, f'p{k:02d}@example.org')}" for k in range(PEOPLE)}
    per_author = dict(con.execute("SELECT author_id, count(*) FROM posts GROUP BY 1").fetchall())
    expected = {member[k]: sum(_google_author(i) == k for i in range(MESSAGES)) for k in range(PEOPLE)}
    assert per_author == expected and max(expected.values()) < 20  # no "top poster" of 154
    # each reply is addressed to the author of the message it answers
    rows = con.execute("SELECT post_id, reply_to_member_id FROM posts").fetchall()
    got = dict(rows)
    for i in range(MESSAGES):
        parent = _google_parent(i)
        want = member[_google_author(parent)] if parent is not None else None
        assert got[f"{sid}:p:{_salted(con, f'm{i}@example.net')}"] == want
    assert any(f"{MESSAGES} message(s) had their From rewritten" in w and "X-Original-Sender: 154" in w
               for w in report.warnings)
    assert not any("distinct display names" in w for w in report.warnings)


def test_google_group_with_names_only_gives_one_member_per_name(tmp_path: Path) -> None:
    """No X-Original-Sender (stripped by an archiver): the display names still tell people apart,
    each a member of its own with no e-mail hash; replies between them keep their authors."""
    text = "".join(_mail(i, f"From: \"'{who}' via grp\" <{GROUP}>\nReply-To: {GROUP}\n{GOOGLE}",
                         i - 1 if i else None)
                   for i, who in enumerate(["Ann Lee", "Bo Chen", "ann lee", "Cy Diaz", "Bo Chen"]))
    con, _ = _ingest(tmp_path, text)
    rows = con.execute("SELECT display_name, email_hash, count(*) FROM members JOIN posts "
                       "ON author_id = member_id GROUP BY ALL ORDER BY 1").fetchall()
    assert rows == [("Ann Lee", None, 2), ("Bo Chen", None, 2), ("Cy Diaz", None, 1)]
    # Bo's second message answers "ann lee" (the same member as "Ann Lee")
    assert con.execute("SELECT count(DISTINCT reply_to_member_id) FROM posts").fetchone() == (3,)


# -- every scheme, message by message ---------------------------------------------------------------

SCHEMES = [
    pytest.param(f"From: \"'Ann Lee' via grp\" <{GROUP}>\nReply-To: {GROUP}\n"
                 f"X-Original-Sender: ann@example.net\n{GOOGLE}",
                 "Ann Lee", "ann@example.net", es.X_ORIGINAL_SENDER, id="google-x-original-sender"),
    pytest.param(f"From: \"'Ann Lee' via grp\" <{GROUP}>\nReply-To: {GROUP}\n"
                 f"X-Original-From: Ann Lee <ann@example.net>\n{GOOGLE}",
                 "Ann Lee", "ann@example.net", es.ORIGINAL_FROM, id="google-x-original-from"),
    pytest.param(f"From: \"'ann@example.net' via grp\" <{GROUP}>\n{GOOGLE}",
                 "", "ann@example.net", es.NAME_ADDRESS, id="google-address-as-name"),
    pytest.param(f"From: \"'Ann Lee' via grp\" <{GROUP}>\nReply-To: {GROUP}\n{GOOGLE}",
                 "Ann Lee", "", es.DISPLAY_NAME, id="google-name-only"),
    pytest.param(f"From: Ann Lee via Dev <dev@lists.example.org>\nReply-To: Ann Lee <ann@example.net>\n"
                 f"X-MailFrom: ann@example.net\n{MAILMAN}",
                 "Ann Lee", "ann@example.net", es.REPLY_TO, id="mailman-munge-from"),
    pytest.param("From: =?utf-8?q?Ann_L=C3=A9e_via_Dev?= <dev@lists.example.org>\n"
                 f"Reply-To: =?utf-8?q?Ann_L=C3=A9e?= <ann@example.net>\n{MAILMAN}",
                 "Ann Lée", "ann@example.net", es.REPLY_TO, id="mailman-encoded-name"),
    pytest.param("From: Ann Lee via Dev <dev@lists.example.org>\nReply-To: dev@lists.example.org\n"
                 f"Cc: \"Lee, Bo\" <bo@example.com>, Ann Lee <ann@example.net>\n{MAILMAN}",
                 "Ann Lee", "ann@example.net", es.CC, id="mailman-reply-goes-to-list-cc"),
    pytest.param(f"From: Ann Lee via Dev <dev@lists.example.org>\nX-MailFrom: ann@example.net\n{MAILMAN}",
                 "Ann Lee", "ann@example.net", es.X_MAILFROM, id="mailman-x-mailfrom"),
    pytest.param("From: \"Ann Lee via groups.io\" <ann.lee=example.net@groups.io>\n"
                 "Reply-To: main@dev.groups.io\nSender: main@dev.groups.io\nList-Id: <dev.groups.io>\n",
                 "Ann Lee", "ann.lee@example.net", es.GROUPS_IO, id="groups-io"),
    pytest.param("From: \"Ann Lee via groups.io\" <noreply@groups.io>\nReply-To: main@dev.groups.io\n"
                 "X-Original-From: Ann Lee <ann@example.net>\nList-Id: <dev.groups.io>\n",
                 "Ann Lee", "ann@example.net", es.ORIGINAL_FROM, id="groups-io-x-original-from"),
    pytest.param("From: \"Ann Lee (ann@example.net) via Dev Mailing List\" <dev@lists.example.org>\n"
                 f"{MAILMAN}", "Ann Lee", "ann@example.net", es.NAME_ADDRESS, id="sympa-name-email-via-list"),
    pytest.param(f"From: \"Ann Lee (ann@example.net)\" <dev@lists.example.org>\n{MAILMAN}",
                 "Ann Lee", "ann@example.net", es.NAME_ADDRESS, id="sympa-name-and-email"),
    pytest.param("From: \"Dev on behalf of Ann Lee\" <dev@lists.example.org>\n"
                 f"Reply-To: Ann Lee <ann@example.net>\n{MAILMAN}",
                 "Ann Lee", "ann@example.net", es.REPLY_TO, id="sympa-list-for-name"),
    pytest.param("From: \"Ann Lee via Dev Mailing List\" <noreply@lists.example.org>\n"
                 f"{MAILMAN}", "Ann Lee", "", es.DISPLAY_NAME, id="sympa-other-email-name-only"),
    pytest.param("From: Ann Lee <dev@lists.example.org>\nX-Original-From: Ann Lee <ann@example.net>\n"
                 f"{MAILMAN}", "Ann Lee", "ann@example.net", es.ORIGINAL_FROM, id="kernel-x-original-from"),
    pytest.param("From: \"ann via Example Forum\" <noreply@forum.example.org>\n"
                 "Reply-To: \"Example Forum\" <replies+0a1b2c3d@forum.example.org>\n"
                 "List-ID: \"Example Forum | Dev\" <dev.forum.example.org>\nPrecedence: list\n",
                 "ann", "", es.DISPLAY_NAME, id="discourse-mailing-list-mode"),
    pytest.param("From: Ann Lee <ann@corp.groups.io>\nList-Id: <dev.groups.io>\n",
                 "Ann Lee", "ann@corp.groups.io", "", id="groups-io-staff-is-not-a-relay"),
    pytest.param(f"From: Ann Via Lopez <ann@example.net>\n{MAILMAN}",
                 "Ann Via Lopez", "ann@example.net", "", id="surname-via-is-not-a-relay"),
    pytest.param("From: Ann Lee <ann@example.net>\nX-Original-Sender: bounce-7@example.com\n",
                 "Ann Lee", "ann@example.net", "", id="not-rewritten-from-wins"),
]


@pytest.mark.parametrize(("headers", "name", "address", "rule"), SCHEMES)
def test_each_rewriting_scheme(headers: str, name: str, address: str, rule: str) -> None:
    p = _parse(headers, "<topic/12/34@forum.example.org>" if "forum.example" in headers else "")
    assert (p.name, p.known, p.rule) == (name, bool(address), rule)
    if address:
        assert p.address == address
    else:  # one member per (relay address, display name), never the relay address alone
        relay = sender(headers.split("\n", 1)[0][6:])[1]
        assert p.address == f"{relay} name:{name.casefold()}"


@pytest.mark.parametrize(("headers", "name", "address", "rule"), SCHEMES)
def test_each_scheme_keeps_two_people_apart_in_the_store(tmp_path: Path, headers: str, name: str,
                                                          address: str, rule: str) -> None:
    """Ann, Bo, then Ann answering Bo, all through the same relay: two members, the right e-mail
    hashes (none when the relay hid the address), and Ann's reply addressed to Bo."""
    forum = "forum.example" in headers
    people = [headers, headers.replace("Ann", "Bo").replace("ann", "bo"), headers]
    text = "".join(_mail(i, h, i - 1 if i == 2 else None,
                         f"<topic/12/{30 + i}@forum.example.org>" if forum else "")
                   for i, h in enumerate(people))
    if forum:  # Discourse threads by its own ids
        text = text.replace("<m1@example.net>", "<topic/12/31@forum.example.org>")
    con, _ = _ingest(tmp_path, text)
    rows = con.execute("SELECT member_id, email_hash, count(*) FROM members JOIN posts "
                       "ON author_id = member_id GROUP BY ALL ORDER BY 3 DESC").fetchall()
    assert [n for _, _, n in rows] == [2, 1]
    if address:
        assert [h for _, h, _ in rows] == [_salted(con, address), _salted(con, address.replace("ann", "bo"))]
    else:
        assert [h for _, h, _ in rows] == [None, None]
    reply = con.execute("SELECT reply_to_member_id FROM posts WHERE reply_to_post_id IS NOT NULL").fetchall()
    assert reply == [(rows[1][0],)]


def test_discourse_relay_address_does_not_make_people_bots(tmp_path: Path) -> None:
    """Discourse sends every post from its notification address (``noreply@`` by default): the
    bot rule must judge the person's name, not the relay's address, and each person stays one
    member even though every Reply-To is a different per-message address."""
    out = []
    for i, who in enumerate(["ann", "bo", "ann", "cy", "bo", "ann"]):
        reply = "In-Reply-To: <topic/12@forum.example.org>\n" if i else ""
        out.append(f"From x@example.net Mon Mar  1 10:00:00 2021\n"
                   f"From: \"{who} via Example Forum\" <noreply@forum.example.org>\n"
                   f"Reply-To: \"Example Forum\" <replies+{i:08x}@forum.example.org>\n"
                   f"List-ID: \"Example Forum | Dev\" <dev.forum.example.org>\nPrecedence: list\n"
                   f"Date: 0{i + 1} Mar 2021 10:00:00 +0000\n"
                   f"Message-ID: <topic/12{'/' + str(30 + i) if i else ''}@forum.example.org>\n"
                   f"{reply}Subject: {'Re: ' if i else ''}Hello\n\nPost {i}.\n\n")
    con, _ = _ingest(tmp_path, "".join(out))
    rows = con.execute("SELECT display_name, is_bot, count(DISTINCT member_id), count(*) FROM members "
                       "JOIN posts ON author_id = member_id GROUP BY ALL ORDER BY 1").fetchall()
    assert rows == [("ann", False, 1, 3), ("bo", False, 1, 2), ("cy", False, 1, 1)]


# -- an address posting under many names ------------------------------------------------------------

def _relay_archive(names: list[str]) -> str:
    """An unknown relay that rewrites every From to its own address, keeping the person's name
    and nothing else: no list header, no original sender."""
    return "".join(_mail(i, f"From: \"{n}\" <relay@relay.example.com>\n") for i, n in enumerate(names))


def test_an_address_with_many_display_names_is_reported_by_member_id(tmp_path: Path) -> None:
    names = ["Ann Lee", "Bo Chen", "Cy Diaz", "Di Eng", "Ed Fox", "ann lee", "'Ann Lee'"]
    (tmp_path / "a").mkdir()
    con, report = _ingest(tmp_path / "a", _relay_archive(names) + _relay_person(len(names)))
    sid = SID
    relay_member = f"{sid}:m:{_salted(con, 'relay@relay.example.com')}"
    warned = [w for w in report.warnings if "distinct display names" in w]
    assert len(warned) == 1
    assert f"{relay_member} (5 names)" in warned[0]  # "Ann Lee", "ann lee", "'Ann Lee'" are one
    assert "1 sender address(es)" in warned[0]  # the person with two spellings is not reported
    assert "relay.example.com" not in warned[0] and "example.org" not in warned[0]


def _relay_person(start: int) -> str:
    return "".join(_mail(start + i, f"From: {n} <zed@example.org>\n")
                   for i, n in enumerate(["Zed Young", "Z. Young", "Zed Young"]))


def test_four_names_are_not_reported(tmp_path: Path) -> None:
    _, report = _ingest(tmp_path, _relay_archive(["Ann Lee", "Bo Chen", "Cy Diaz", "Di Eng", "di eng"]))
    assert not [w for w in report.warnings if "distinct display names" in w]


def test_groupsio_export_keeps_its_original_senders(tmp_path: Path) -> None:
    """The Groups.io export (``messages.zip``) holds the original From lines: nothing to undo, and
    every distinct From address (counted here with the standard library) is one member."""
    archive = data_path("format-samples-perceval", "groupsio", "messages.zip")
    with zipfile.ZipFile(archive) as z:
        (tmp_path / "m.mbox").write_bytes(z.read("messages.mbox"))
    box = mailbox.mbox(tmp_path / "m.mbox")
    addresses = {email.utils.parseaddr(m["From"])[1].lower() for m in box}
    box.close()
    db = tmp_path / "s.duckdb"
    with Workspace(db) as ws:
        report = ws.ingest(archive)
    con = duckdb.connect(str(db), read_only=True)
    stored = {h for (h,) in con.execute("SELECT email_hash FROM members").fetchall()}
    assert stored == {_salted(con, a) for a in addresses}
    assert not [w for w in report.warnings if "rewritten" in w or "display names" in w]


def test_mailman_wrap_message_keeps_the_author_and_the_text() -> None:
    """Mailman's ``wrap_message`` DMARC action: the outer message is From the list, the author in
    Reply-To, and the whole original message is the body (``message/rfc822``)."""
    raw = (f"From: Ann Lee via Dev <dev@lists.example.org>\nReply-To: Ann Lee <ann@example.net>\n{MAILMAN}"
           "Date: 01 Mar 2021 10:00:00 +0000\nMessage-ID: <w1@example.net>\nSubject: news\n"
           "MIME-Version: 1.0\nContent-Type: message/rfc822\nContent-Disposition: inline\n\n"
           "From: Ann Lee <ann@example.net>\nTo: dev@lists.example.org\nSubject: news\n"
           "Content-Type: text/plain; charset=utf-8\n\nA message of great import.\n")
    p = parse_message(b"From x@example.net Mon Mar  1 10:00:00 2021", raw.encode())
    assert isinstance(p, Parsed) and not p.date_from_line and p.msgid == "w1@example.net"
    assert (p.name, p.address, p.rule) == ("Ann Lee", "ann@example.net", es.REPLY_TO)
    assert p.text == "A message of great import."
