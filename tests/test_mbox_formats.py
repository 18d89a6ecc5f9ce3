"""mbox variants: the Perceval format samples (pipermail, HyperKitty, edge cases) and small
archives built here, in code, to pin threading, MIME decoding, bodies, skips and broken input."""

from __future__ import annotations

import gzip
import mailbox
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import data_path

from communitas.errors import BrokenInput, UnsafeInput
from communitas.model import SourceInfo
from communitas.sources import mbox_split, mbox_stream
from communitas.sources.base import ReadContext
from communitas.sources.registry import find_source
from communitas.store import Workspace

SAMPLES = ("pipermail", "hyperkitty", "mbox")


def _mbox_len(path: Path) -> int:
    box = mailbox.mbox(path)
    try:
        return len(box)
    finally:
        box.close()


def _stdlib_count(folder: Path) -> int:
    return sum(_mbox_len(p) for p in sorted(folder.iterdir()))


@pytest.mark.parametrize("name", SAMPLES)
def test_perceval_samples_every_message_accounted_for(name: str, workspace: Workspace) -> None:
    folder = data_path("format-samples-perceval", name)
    assert find_source(folder).platform == "mbox"
    report = workspace.ingest(folder)
    dropped = sum(n for reason, n in report.skipped.items() if "kept" not in reason)
    assert report.counts["posts"] + dropped == _stdlib_count(folder)


def test_pipermail_obfuscated_senders_and_encoded_names(workspace: Workspace) -> None:
    workspace.ingest(data_path("format-samples-perceval", "pipermail"))
    names = {n for (n,) in workspace.con.execute("SELECT display_name FROM members").fetchall()}
    # "From: gpoo at example.com (=?ISO-8859-1?Q?Germ=E1n_Poo-Caama=F1o?=)" in 2016-March
    assert "Germán Poo-Caamaño" in names
    assert workspace.con.execute("SELECT count(*) FROM members WHERE email_hash IS NULL").fetchone() == (0,)
    # 2016-April: "Presenting GrimoireLab" and its two replies (read by hand)
    assert workspace.con.execute(
        "SELECT count(*), count(reply_to_post_id) FROM posts JOIN threads USING (thread_id) "
        "WHERE title = '[GrimoireLab] Presenting GrimoireLab' OR title = 'Presenting GrimoireLab'"
    ).fetchone() == (3, 2)


def test_edge_case_mbox_skips_are_counted_with_reasons(workspace: Workspace) -> None:
    report = workspace.ingest(data_path("format-samples-perceval", "mbox"))
    # mbox_no_fields.mbox (read by hand): six messages; four share one Message-ID (three are
    # skipped as duplicates), one has an empty Message-Id (kept, id derived), one has no Date
    # (kept, date from its From line: the first copy keeps it); one has an invalid Date.
    assert report.skipped["mbox_no_fields.mbox: duplicate Message-ID (the same message archived twice)"] == 3
    assert any("no Message-ID" in w for w in report.warnings)


def _msg(sender: str, date: str, msgid: str, subject: str, body: str, extra: str = "") -> str:
    return (f"From {sender.split('<')[-1].rstrip('>')} Mon Jan  3 10:30:36 2022\n"
            f"From: {sender}\nDate: {date}\nMessage-ID: <{msgid}>\nSubject: {subject}\n{extra}\n{body}\n\n")


def _archive() -> str:
    """Nine messages: a thread whose root is missing, a MIME mix, bots, and two malformed ones."""
    return "".join([
        _msg("Ada <ada@example.com>", "Mon, 3 Jan 2022 10:00:00 +0000", "a1@example.com",
             "=?utf-8?q?Caf=C3=A9?= question", "Where is the caf\u00e9?\n>From the start, I ask.\n"),
        _msg("Bea <bea@example.com>", "Mon, 3 Jan 2022 11:00:00 +0000", "b1@example.com",
             "Re: Café question", "Here.\n\nOn Mon, Ada wrote:\n> Where is it?\n-- \nBea, sig",
             "In-Reply-To: <a1@example.com>\nReferences: <a1@example.com>\n"),
        # two answers to a message from before the archive (missing), sharing its References
        _msg("Ada <ada@example.com>", "Tue, 4 Jan 2022 09:00:00 +0000", "a2@example.com",
             "Re: old topic", "Yes.", "In-Reply-To: <gone@example.com>\nReferences: <gone@example.com>\n"),
        _msg("Cy <cy@example.com>", "Tue, 4 Jan 2022 10:00:00 +0000", "c1@example.com",
             "Re: old topic", "No.", "References: <gone@example.com> <lost@example.com>\n"),
        _msg("Cy <cy@example.com>", "Wed, 5 Jan 2022 10:00:00 +0000", "c2@example.com", "HTML only",
             "PHA+SGVsbG8gPGI+d29ybGQ8L2I+PC9wPg==",
             "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n"),
        _msg("Ada <ada@example.com>", "Wed, 5 Jan 2022 12:00:00 +0000", "a3@example.com", "Away",
             "I am out of office.", "Auto-Submitted: auto-replied\n"),
        _msg("CI <noreply@example.com>", "Wed, 5 Jan 2022 13:00:00 +0000", "n1@example.com",
             "Build passed", "All green."),
        _msg("", "Wed, 5 Jan 2022 14:00:00 +0000", "x1@example.com", "No sender", "who?"),
        _msg("Dee <dee@example.com>", "not a date", "d1@example.com", "Bad date", "when?")
        .replace("Mon Jan  3 10:30:36 2022", "Mon Foo 99 10:30:36 2022"),
    ])


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny-list"
    folder.mkdir()
    (folder / "2022-January.txt.gz").write_bytes(gzip.compress(_archive().encode()))
    return folder


def test_synthetic_archive_accounting_and_skips(archive: Path, workspace: Workspace) -> None:
    report = workspace.ingest(archive)
    assert report.counts["posts"] == 7
    assert report.skipped == {
        "2022-January.txt.gz: no sender address in From": 1,
        "2022-January.txt.gz: no readable Date header nor mbox From-line date": 1,
    }
    kinds = dict(workspace.con.execute(
        "SELECT kind, count(*) FROM posts GROUP BY kind").fetchall())
    assert kinds == {"email": 6, "auto_reply": 1}


def test_synthetic_threading(archive: Path, workspace: Workspace) -> None:
    workspace.ingest(archive)
    rows = workspace.con.execute(
        "SELECT p.created_at::VARCHAR, t.title, p.reply_to_post_id IS NOT NULL, p.thread_id "
        "FROM posts p JOIN threads t USING (thread_id) ORDER BY p.created_at").fetchall()
    by_time = {r[0][:16]: r for r in rows}
    assert by_time["2022-01-03 10:00"][1] == "Café question"  # encoded word decoded
    assert by_time["2022-01-03 11:00"][2] and by_time["2022-01-03 11:00"][3] == by_time["2022-01-03 10:00"][3]
    # both answers to the missing message share one thread, neither has a reply link
    old = by_time["2022-01-04 09:00"], by_time["2022-01-04 10:00"]
    assert old[0][3] == old[1][3] and not old[0][2] and not old[1][2]
    assert old[0][1] == "old topic"


def test_synthetic_bodies(archive: Path, workspace: Workspace) -> None:
    workspace.ingest(archive)
    bodies = dict(workspace.con.execute(
        "SELECT strftime(created_at, '%d %H'), body FROM posts").fetchall())
    assert bodies["03 10"] == "Where is the caf\u00e9?\nFrom the start, I ask."  # mboxrd >From undone
    assert bodies["03 11"] == "Here."  # attribution, quote and signature gone
    assert bodies["05 10"] == "Hello world"  # base64 HTML-only part, tags removed


def test_bodies_not_kept_when_asked(archive: Path, workspace: Workspace) -> None:
    workspace.ingest(archive, keep_bodies=False)
    kept = ["Where is the caf\u00e9?\nFrom the start, I ask.", "Here.", "Yes.", "No.", "Hello world",
            "I am out of office.", "All green."]
    assert workspace.con.execute("SELECT count(body), sum(length) FROM posts").fetchone() == (
        0, sum(len(k) for k in kept))


def test_crlf_and_plain_files(tmp_path: Path, workspace: Workspace) -> None:
    f = tmp_path / "list.mbox"
    f.write_bytes(_archive().replace("\n", "\r\n").encode())
    report = workspace.ingest(f)
    assert report.counts["posts"] == 7
    assert report.name == "list"


def test_truncated_gzip_is_refused_and_the_store_unchanged(archive: Path, workspace: Workspace) -> None:
    workspace.ingest(archive)
    before = workspace.counts()
    gz = archive / "2022-January.txt.gz"
    gz.write_bytes(gzip.compress(_archive().encode() * 50)[:-200])
    with pytest.raises(BrokenInput, match=r"2022-January\.txt\.gz"):
        workspace.ingest(archive)
    assert workspace.counts() == before


def test_detection_leaves_other_exports_alone(tmp_path: Path) -> None:
    (tmp_path / "channels.json").write_text("[]")
    (tmp_path / "notes.txt").write_text("From the desk of nobody\n")
    assert not find_source.__globals__["SOURCES"]["mbox"].detect(tmp_path)


def test_groupsio_zip_of_mbox(tmp_path: Path, workspace: Workspace) -> None:
    archive = data_path("format-samples-perceval", "groupsio", "messages.zip")
    with zipfile.ZipFile(archive) as z:
        (tmp_path / "messages.mbox").write_bytes(z.read("messages.mbox"))
    expected = _mbox_len(tmp_path / "messages.mbox")
    assert expected == 49  # PROVENANCE.md
    report = workspace.ingest(archive)
    assert report.counts["posts"] == expected and report.skipped == {}
    assert report.name == "messages"


def test_zip_member_escaping_the_archive_is_refused(tmp_path: Path, workspace: Workspace) -> None:
    bad = tmp_path / "list.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("../evil.mbox", _archive())
    with pytest.raises(UnsafeInput, match="outside the archive"):
        workspace.ingest(bad)
    assert workspace.counts()["posts"] == 0


def test_oversized_messages_are_skipped_without_losing_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mbox_split, "MAX_MESSAGE_BYTES", 1000)
    head = "From {0}@example.com Mon Jan  3 10:30:36 2022\nSubject: {0}\n\n"
    raw = "".join(head.format(who) + body + "\n\n" for who, body in
                  (("a", "small"), ("b", "x" * 5000), ("c", "small too"), ("d", "y" * 3000))).encode()
    ctx = ReadContext(SourceInfo("mbox", "t", "o", "f"), b"salt")
    chunks = [raw[i:i + 256] for i in range(0, len(raw), 256)]
    kept = [line[5:6] for line, _ in mbox_split.split_mbox(chunks, ctx, "f")]
    assert kept == [b"a", b"c"]
    assert ctx.skipped == {("f", "message larger than 1,000 bytes"): 2}


def test_prefetch_hands_over_errors_and_stops_when_abandoned() -> None:
    def broken() -> Iterator[bytes]:
        yield b"first"
        raise EOFError("truncated")

    with pytest.raises(EOFError, match="truncated"):
        list(mbox_stream.prefetch(broken()))
    produced: list[int] = []

    def endless() -> Iterator[bytes]:
        for i in range(10_000):
            produced.append(i)
            yield b"x"

    chunks = mbox_stream.prefetch(endless(), depth=2)
    assert next(chunks) == b"x"
    chunks.close()  # the helper thread stops instead of producing everything
    assert len(produced) < 10
