"""Inputs the fuzz harnesses (fuzz/, docs/security.md "Fuzzing") found crashing a reader, kept
so they never crash again. Each is minimised by hand from the fuzzer's crash file; identities
are pseudonymous. The readers must either read them or refuse them with a CommunitasError."""

from __future__ import annotations

from communitas.sources.mbox_parse import Parsed, parse_message

FROM_LINE = b"From alice@example.org Mon Jan  3 10:30:36 2022"
HEAD = (b"From: Alice <alice@example.org>\nDate: Mon, 3 Jan 2022 10:30:36 +0000\n"
        b"Message-ID: <0@example.org>\n")


def test_nul_in_a_charset_name() -> None:
    """fuzz_mbox, crash-6bfeb185: ``bytes.decode("utf-8\\x00")`` raised ValueError ("embedded
    null character"), not the LookupError of an unknown charset; the part now decodes like a
    part without a charset."""
    msg = (HEAD + b'Content-Type: multipart/mixed; boundary="XX"\n\n--XX\n'
           b"Content-Type: text/plain; charset=utf-8\x00\x01\n\nCaf\xe9 ok\n--XX--\n")
    p = parse_message(FROM_LINE, msg)
    assert isinstance(p, Parsed) and p.text == "Café ok"


def test_charset_naming_a_codec_that_is_not_text() -> None:
    """Same family, found while fixing it: ``charset=idna`` raised UnicodeError ("Unsupported
    error handling replace"). ``base64`` and ``zlib`` (not text codecs: LookupError) already fell
    back; they are pinned with it."""
    for charset in (b"base64", b"zlib", b"idna"):
        msg = HEAD + b"Content-Type: text/plain; charset=" + charset + b"\n\n" + b"a" * 70 + b".\xe9\n"
        p = parse_message(FROM_LINE, msg)
        assert isinstance(p, Parsed) and p.text == "a" * 70 + ".é", charset
