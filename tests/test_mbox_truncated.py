"""An mbox cut in the middle of its last message, and bodies in 8-bit text without a charset.

The archives are built here, in code, with pseudonymous senders. A cut file keeps the messages
before the cut and counts the cut one as skipped; which cuts can be told from a whole message
is defined in docs/sources/mailing-lists.md ("A truncated file").
"""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from communitas.errors import BrokenInput
from communitas.sources import mbox_split, mbox_stream
from communitas.store import Workspace

CUT = "list.mbox: last message cut short (the file is truncated)"


def _message(n: int, body: bytes, extra: bytes = b"") -> bytes:
    return (b"From user%d@example.org Mon Jan  3 10:3%d:00 2022\n" % (n, n)
            + b"From: User %d <user%d@example.org>\nDate: Mon, 3 Jan 2022 10:3%d:00 +0000\n" % (n, n, n)
            + b"Subject: note %d\nMessage-ID: <%d@example.org>\n" % (n, n) + extra + b"\n" + body + b"\n")


MULTIPART = (b'Content-Type: multipart/mixed; boundary="zz"\n',
             b"--zz\nContent-Type: text/plain\n\nthird words\n--zz\nContent-Type: application/pdf\n"
             b"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\nJVBERi0xLjQK\n--zz--\n")
WHOLE = (_message(1, b"first words\n") + _message(2, b"second words\n")
         + _message(3, MULTIPART[1], MULTIPART[0]))


def _ingest(tmp_path: Path, data: bytes, name: str = "list.mbox") -> tuple[dict[str, int], list[str]]:
    folder = tmp_path / "in"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(data)
    with Workspace(tmp_path / "s.duckdb") as ws:
        report = ws.ingest(folder / name)
        bodies = [b for (b,) in ws.con.execute("SELECT body FROM posts ORDER BY created_at").fetchall()]
    return dict(report.skipped), bodies


def test_whole_file_keeps_every_message(tmp_path: Path) -> None:
    assert _ingest(tmp_path, WHOLE) == ({}, ["first words", "second words", "third words"])


@pytest.mark.parametrize("cut", [
    WHOLE[:-3],  # inside the closing boundary line
    WHOLE[:WHOLE.index(b"--zz--")],  # at a line end, before the closing boundary
    WHOLE[:WHOLE.index(b"JVBERi0xLjQK\n--zz--") + 5],  # inside the attachment's base64
    WHOLE[:WHOLE.index(b"Subject: note 3")],  # at a line end inside the headers
    WHOLE[:WHOLE.index(b"Subject: note 3") + 7],  # inside a header line
    WHOLE[:WHOLE.index(b"From: User 3")],  # right after the From line
    WHOLE[:WHOLE.index(b"From: User 3") - 5],  # inside the From line
], ids=["closing-line", "before-closing", "base64", "headers-line-end", "header-line", "after-from",
        "in-from-line"])
def test_cut_last_message_is_counted_the_rest_kept(tmp_path: Path, cut: bytes) -> None:
    assert _ingest(tmp_path, cut) == ({CUT: 1}, ["first words", "second words"])


@pytest.mark.parametrize("keep", [5, 14, 1])  # "From ", "From user3@exa", "F"
def test_cut_inside_the_next_from_line_keeps_the_message_before(tmp_path: Path, keep: int) -> None:
    """Cut before the From line's time, the line is not a separator yet: it must not be read as
    the last line of message 2 (which would make message 2 look cut)."""
    third = WHOLE.index(b"From user3@example.org")
    assert _ingest(tmp_path, WHOLE[:third + keep]) == ({CUT: 1}, ["first words", "second words"])


def test_cut_inside_a_single_part_body_is_counted(tmp_path: Path) -> None:
    data = _message(1, b"first words\n") + _message(2, b"second words, and then the f")
    assert _ingest(tmp_path, data[:-1]) == ({CUT: 1}, ["first words"])


def test_crlf_file_cut_inside_the_headers(tmp_path: Path) -> None:
    crlf = WHOLE.replace(b"\n", b"\r\n")
    cut = crlf[:crlf.index(b"Subject: note 3")]
    assert _ingest(tmp_path, cut) == ({CUT: 1}, ["first words", "second words"])
    assert _ingest(tmp_path / "whole", crlf)[0] == {}


def test_gzip_of_a_cut_file_counts_like_a_plain_one(tmp_path: Path) -> None:
    """The gzip stream is whole (its CRC checks), the mbox inside it was cut before compression."""
    data = gzip.compress(WHOLE[:-3], mtime=0)
    skipped, bodies = _ingest(tmp_path, data, "list.mbox.gz")
    assert skipped == {"list.mbox.gz: last message cut short (the file is truncated)": 1}
    assert bodies == ["first words", "second words"]


def test_cut_gzip_stream_is_a_damaged_file(tmp_path: Path) -> None:
    """A .gz cut short is refused whole (it could be cut anywhere), naming the file."""
    data = gzip.compress(WHOLE, mtime=0)
    with pytest.raises(BrokenInput, match=r"list\.mbox\.gz: the file is damaged or truncated"):
        _ingest(tmp_path, data[:-20], "list.mbox.gz")


def test_worker_path_counts_the_cut_too(tmp_path: Path) -> None:
    """Large archives are parsed in worker processes (``parse_stream``): same count there."""
    path = tmp_path / "list.mbox"
    path.write_bytes(WHOLE[:-3])
    spec = mbox_stream.Spec(path, None, "list.mbox", str(path), path.stat().st_size)
    parsed, skips = mbox_split.parse_stream(spec)
    assert skips == Counter({"last message cut short (the file is truncated)": 1})
    assert len(parsed) == 2


def test_latin1_and_cp1252_bodies_without_charset(tmp_path: Path) -> None:
    """8-bit bodies that are not UTF-8: read as Windows-1252 / Latin-1, like the headers, not as
    U+FFFD replacement characters."""
    latin1 = "Voilà, ça marche. Grüße, Zoë".encode("latin-1")
    cp1252 = b"It\x92s \x93fine\x94 \x96 d\xe9j\xe0 vu"  # Outlook's smart quotes and en dash
    declared = b"Content-Type: text/plain; charset=us-ascii\n"  # MIME's default, often wrong
    data = (_message(1, latin1 + b"\n") + _message(2, cp1252 + b"\n")
            + _message(3, "Café déjà\n".encode("latin-1"), declared)
            + _message(4, "Café in UTF-8".encode()))
    skipped, bodies = _ingest(tmp_path, data)
    assert skipped == {}
    assert bodies == ["Voilà, ça marche. Grüße, Zoë", "It’s “fine” – déjà vu", "Café déjà", "Café in UTF-8"]


def test_declared_charset_still_wins(tmp_path: Path) -> None:
    koi8 = "Привет".encode("koi8-r")
    data = _message(1, koi8, b"Content-Type: text/plain; charset=koi8-r\n")
    assert _ingest(tmp_path, data)[1] == ["Привет"]
