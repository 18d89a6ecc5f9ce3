"""Inputs the fuzz harnesses (fuzz/, docs/security.md "Fuzzing") found crashing a reader, kept
so they never crash again. Each is minimised by hand from the fuzzer's crash file; identities
are pseudonymous. The readers must either read them or refuse them with a CommunitasError."""

from __future__ import annotations

from datetime import UTC, datetime

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


def test_leap_second_in_the_from_line() -> None:
    """fuzz_mbox, crash-37ef9c2a: with no Date header the date comes from the From line, whose
    ``10:3:60`` ``time.strptime`` accepts (leap seconds) and ``datetime`` refused (ValueError:
    "second must be in 0..59"). A leap second now reads as second 59."""
    for stamp, second in ((b"10:3:60", 59), (b"10:30:61", 59), (b"10:30:59", 59)):
        p = parse_message(b"From alice@example.org Mon Jan  3 " + stamp + b" 2022",
                          b"From: Alice <alice@example.org>\n\nHello list.\n")
        assert isinstance(p, Parsed) and p.date_from_line
        assert p.at == datetime(2022, 1, 3, 10, 3 if stamp.startswith(b"10:3:") else 30, second, tzinfo=UTC)
