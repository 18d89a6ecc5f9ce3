"""The usrp-users 2022 list (Mailman 3 mbox, 12 gzip'd months): accounting, senders, threading.

Expected values are computed here from the raw files with the standard library only
(gzip + mailbox + email.utils), or were checked by hand by reading the messages; the threads
asserted below are named by the SHA-256 of their Message-ID (first 10 hex digits).
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import hmac
import json
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pytest
from tests.conftest import data_path

from communitas.cli.app import main
from communitas.store import IngestReport, Workspace

LIST = "mbox-usrp-users-2022"
SID = f"mbox:{LIST}"
Usrp = tuple[duckdb.DuckDBPyConnection, IngestReport]


@dataclass
class Raw:
    """The raw archive as the standard library reads it."""

    per_file: dict[str, int]
    messages: list[mailbox.mboxMessage]


@pytest.fixture(scope="session")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Raw:
    folder = data_path(LIST)
    tmp = tmp_path_factory.mktemp("usrp-raw")
    per_file, messages = {}, []
    for f in sorted(folder.glob("*.mbox.gz")):
        plain = tmp / f.name[:-3]
        plain.write_bytes(gzip.decompress(f.read_bytes()))
        mbox = mailbox.mbox(plain)
        box = list(mbox)
        mbox.close()
        per_file[f.name] = len(box)
        messages += box
    return Raw(per_file, messages)


@pytest.fixture(scope="session")
def usrp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Usrp]:
    path = tmp_path_factory.mktemp("usrp") / "usrp.duckdb"
    with Workspace(path) as ws:
        report = ws.ingest(data_path(LIST))
    con = duckdb.connect(str(path), read_only=True)
    yield con, report
    con.close()


def _salted(con: duckdb.DuckDBPyConnection, value: str) -> str:
    salt = bytes.fromhex(con.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0])  # type: ignore[index]
    return hmac.new(salt, value.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


def _msgid(value: str | None) -> str | None:
    v = (value or "").strip()
    m = re.search(r"<([^<>\s]+)>", v)
    return m.group(1) if m else (v or None)


def _post_id(con: duckdb.DuckDBPyConnection, raw: Raw, sha_prefix: str) -> str:
    """Our post id of the raw message whose Message-ID hashes (SHA-256) to ``sha_prefix``."""
    found = [m for m in raw.messages
             if hashlib.sha256(_msgid(m["Message-ID"]).encode()).hexdigest().startswith(sha_prefix)]  # type: ignore[union-attr]
    assert len(found) == 1
    return f"{SID}:p:{_salted(con, _msgid(found[0]['Message-ID']))}"  # type: ignore[arg-type]


def _post(con: duckdb.DuckDBPyConnection, post_id: str) -> tuple[str, str | None, str]:
    row = con.execute("SELECT thread_id, reply_to_post_id, author_id FROM posts WHERE post_id = ?",
                      [post_id]).fetchone()
    assert row is not None, post_id
    return row


def test_every_raw_message_is_accounted_for(raw: Raw, usrp: Usrp
                                            ) -> None:
    con, report = usrp
    stats = json.loads((data_path(LIST) / "stats.json").read_text())
    assert raw.per_file == {k: v["messages"] for k, v in stats["files"].items()}
    total = sum(raw.per_file.values())
    assert total == stats["total"] == 1597
    contributions, other = con.execute(
        "SELECT count(*) FILTER (WHERE is_contribution), count(*) FILTER (WHERE NOT is_contribution) "
        "FROM posts").fetchone()  # type: ignore[misc]
    skipped = sum(n for reason, n in report.skipped.items() if "kept" not in reason)
    assert contributions + other + skipped == total
    assert (contributions, other, skipped) == (1597, 0, 0)  # no bot, no auto-reply, nothing malformed
    assert con.execute("SELECT count(*) FROM places WHERE kind = 'mailing_list'").fetchone() == (1,)


def test_senders_are_hashed_addresses_after_undoing_dmarc_rewrites(
        raw: Raw, usrp: Usrp) -> None:
    con, report = usrp
    from_addresses, real = set(), set()
    munged = 0
    for m in raw.messages:
        addr = email.utils.parseaddr(m["From"])[1].lower()
        from_addresses.add(addr)
        list_addr = email.utils.parseaddr((m["List-Post"] or "").replace("mailto:", ""))[1].lower()
        if addr == list_addr:  # Mailman's DMARC mitigation: "X via USRP-users" <list address>
            munged += 1
            addr = email.utils.parseaddr(m["Reply-To"])[1].lower()
        real.add(addr)
    assert len(from_addresses) == 178  # the PROVENANCE count, which counts the list address once
    assert munged == 101
    stored = {h for (h,) in con.execute("SELECT email_hash FROM members").fetchall()}
    assert stored == {_salted(con, a) for a in real}
    assert len(stored) == 206
    # all 101 recovered by the Reply-To rule (docs/sources/mailing-lists.md); no address posts
    # under 5+ distinct names (at most 2 on this list), so no merged-people warning
    assert any("101 message(s) had their From rewritten" in w and "(Reply-To: 101)" in w
               for w in report.warnings)
    assert not [w for w in report.warnings if "distinct display names" in w]


def test_no_address_is_stored_about_members(raw: Raw, usrp: Usrp
                                            ) -> None:
    con, _ = usrp
    addresses = {email.utils.parseaddr(m[h] or "")[1].lower() for m in raw.messages
                 for h in ("From", "Reply-To")} - {""}
    rows = con.execute("SELECT COLUMNS(*)::VARCHAR FROM members").fetchall()
    text = " ".join(str(v) for row in rows for v in row).lower()
    assert not [a for a in addresses if a in text]
    assert con.execute("SELECT count(*) FROM members WHERE member_id NOT LIKE ? || ':m:' || email_hash",
                       [SID]).fetchone() == (0,)


def test_reply_links_match_in_reply_to_within_the_archive(
        raw: Raw, usrp: Usrp) -> None:
    con, _ = usrp
    ids = {_msgid(m["Message-ID"]) for m in raw.messages}
    expected = 0
    for m in raw.messages:
        refs = re.findall(r"<([^<>\s]+)>", m["References"] or "")
        parent = _msgid(m["In-Reply-To"]) or (refs[-1] if refs else None)
        expected += parent in ids
    assert expected == 1172
    assert con.execute("SELECT count(reply_to_post_id) FROM posts").fetchone() == (expected,)
    # the store addresses each reply to the author of the replied-to message
    assert con.execute("""SELECT count(*) FROM posts c JOIN posts p ON c.reply_to_post_id = p.post_id
                          WHERE c.reply_to_member_id IS DISTINCT FROM p.author_id""").fetchone() == (0,)


def test_thread_whose_first_message_answers_one_missing_from_the_archive(
        raw: Raw, usrp: Usrp) -> None:
    """'N320 LO leakage cancelation', 3 Jan 2022: the first message in the archive answers a 2021
    message (its In-Reply-To, a bare id without <>, is not in the archive); three replies follow."""
    con, _ = usrp
    root = _post_id(con, raw, "a485316c1a")
    thread, parent, _ = _post(con, root)
    assert parent is None
    replies = [_post(con, _post_id(con, raw, h)) for h in ("d8e23ed753", "bedc5bb5f2", "d05efb545c")]
    assert all(r[0] == thread and r[1] == root for r in replies)
    assert con.execute("SELECT count(*), min(title) FROM posts JOIN threads USING (thread_id) "
                       "WHERE thread_id = ?", [thread]).fetchone() == (4, "N320 LO leakage cancelation")


def test_thread_with_missing_parents_and_a_changed_subject(
        raw: Raw, usrp: Usrp) -> None:
    """'RFNoC 4.0 OOT FPGA Testbench Writing Guidance?' (May 2022): its first message replies to
    an off-list message; five later messages answer messages missing from the archive (their
    References still tie them in); one reply changed the subject to 'Custom block not working
    properly'. 15 messages, 9 with a parent in the archive."""
    con, _ = usrp
    root = _post_id(con, raw, "933f676589")
    thread, parent, _ = _post(con, root)
    assert parent is None
    n, with_parent = con.execute("SELECT count(*), count(reply_to_post_id) FROM posts WHERE thread_id = ?",
                                 [thread]).fetchone()  # type: ignore[misc]
    assert (n, with_parent) == (15, 9)
    changed = _post(con, _post_id(con, raw, "6a14198267"))
    assert changed[0] == thread and changed[1] == _post_id(con, raw, "6790560365")


def test_subject_fallback_joins_a_reply_without_references(
        raw: Raw, usrp: Usrp) -> None:
    """'Timed Commands Not Working' (Feb 2022): 19 messages linked by References; on 7 Feb a
    'Re:' arrives with neither In-Reply-To nor References and gets two replies of its own. The
    subject fallback puts those 3 in the thread, without a reply link for the orphan."""
    con, _ = usrp
    root = _post_id(con, raw, "5226c33800")
    thread, _, _ = _post(con, root)
    orphan = _post(con, _post_id(con, raw, "03585184fc"))
    assert orphan[0] == thread and orphan[1] is None
    n, with_parent = con.execute("SELECT count(*), count(reply_to_post_id) FROM posts WHERE thread_id = ?",
                                 [thread]).fetchone()  # type: ignore[misc]
    assert (n, with_parent) == (22, 20)
    other = _post(con, _post_id(con, raw, "bd2ec7af50"))  # "Timed Commands compatibility ..."
    assert other[0] != thread


def test_reply_chain_with_a_bare_in_reply_to(raw: Raw, usrp: Usrp
                                             ) -> None:
    """'Propagating late and overflow message' (3 Jan 2022): a chain of four; the third message
    has no References and a web-form In-Reply-To without angle brackets."""
    con, _ = usrp
    chain = [_post_id(con, raw, h) for h in ("2980b9edfc", "e8a9fec81e", "fad352650b", "16c8e42c16")]
    posts = [_post(con, p) for p in chain]
    assert len({p[0] for p in posts}) == 1
    assert [p[1] for p in posts] == [None, *chain[:-1]]


def test_kept_text_has_no_quotes_signatures_or_footers(usrp: Usrp
                                                       ) -> None:
    con, _ = usrp
    bodies = [b for (b,) in con.execute("SELECT body FROM posts").fetchall()]
    assert all(b is not None for b in bodies)
    lines = [line for b in bodies for line in b.splitlines()]
    assert not [line for line in lines if line.lstrip().startswith(">")]
    assert not [line for line in lines if "To unsubscribe send an email to" in line]
    assert not [line for line in lines if line in ("-- ", "--")]
    # no attribution left behind, even when "On <date>, <name> <" is wrapped before "wrote:"
    assert not [line for line in lines if re.search(r"\bwrote:\s*$", line)]
    assert not [b for b in bodies if b and re.match(r"On \w{3}, \w{3} \d+, \d{4}", b.splitlines()[-1])]
    # length is the text as written: it differs from the stored body only where an address was masked
    assert con.execute("SELECT count(*) FROM posts WHERE length <> length(body) "
                       "AND body NOT LIKE '%[address:%'").fetchone() == (0,)


def test_threads_each_have_one_place(usrp: Usrp) -> None:
    con, _ = usrp
    threads, placed = con.execute(
        "SELECT (SELECT count(*) FROM threads), (SELECT count(DISTINCT thread_id) FROM thread_places "
        "WHERE place_id = ?)", [f"{SID}:list"]).fetchone()  # type: ignore[misc]
    assert threads == placed
    # every thread's id is the thread of its root post, and every post is in a known thread
    assert con.execute("SELECT count(*) FROM posts WHERE thread_id NOT IN (SELECT thread_id FROM threads)"
                       ).fetchone() == (0,)


def test_profile_and_network_run_on_the_list(usrp: Usrp, capsys: pytest.CaptureFixture[str]) -> None:
    con, _ = usrp
    store = con.execute("SELECT path FROM duckdb_databases() WHERE NOT internal").fetchone()[0]  # type: ignore[index]
    main(["profile", "--json", "--store", store])
    profile = json.loads(capsys.readouterr().out)
    people, talk = profile["people"]["headline"], profile["social_interaction"]["headline"]
    assert people["contributions"] == 1597 and people["active_members"] == 206
    assert talk["threads"] == con.execute("SELECT count(*) FROM threads").fetchone()[0]  # type: ignore[index]
    assert profile["place"]["headline"]["places"] == 1
    main(["network", "--json", "--store", store])
    windows = json.loads(capsys.readouterr().out)["windows"]
    assert windows and all(w["members"] > 0 for w in windows)
