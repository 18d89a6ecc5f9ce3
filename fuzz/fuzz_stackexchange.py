"""Coverage-guided fuzzing of the Stack Exchange reader (atheris / libFuzzer).

Run: ``python fuzz/fuzz_stackexchange.py -max_total_time=300 fuzz/corpus/stackexchange``.

The first byte of an input picks the dump file (Posts, Comments, Users, Votes, Tags, Badges,
PostHistory, PostLinks). When the second byte is even, the rest is that file's XML as it is
(mutations mostly exercise the XML reader and its refusals); when odd, the rest drives a
:class:`atheris.FuzzedDataProvider` that writes well-formed rows with the file's attributes
present or not and arbitrary values (interesting ids, dates and tags mixed with random text), so
the column mapping sees values a byte-level mutation rarely keeps well-formed. The XML is read by
:func:`communitas.sources.xml_rows.iter_row_columns` and mapped to canonical batches by the
file's handler in :mod:`communitas.sources.stackexchange_rows`, exactly as ``_read_file`` does.
A :class:`~communitas.errors.CommunitasError` is an expected refusal; any other exception is a
finding.
"""

from __future__ import annotations

import contextlib
import io
import sys
from xml.sax.saxutils import quoteattr

import atheris

with atheris.instrument_imports(include=["communitas"]):
    from communitas.errors import CommunitasError
    from communitas.model import SourceInfo
    from communitas.sources.base import ReadContext
    from communitas.sources.stackexchange import _read_file
    from communitas.sources.stackexchange_rows import HANDLERS

KEYS = sorted(HANDLERS)
VALUES = ("1", "2", "-1", "0", "", " ", "007", "99999999999999999999", "1.5", "x1",
          "2022-01-03T10:30:36.123", "2022-01-03T10:30:36", "2022-02-30T00:00:00", "2022-01-03",
          "2022-01-03T10:30:36+05:00", "9999-12-31T23:59:59", "0001-01-01T00:00:00",
          "<ale><hops>", "|ale|hops|", "<>", "<", "&amp;", "\u00e9t\u00e9", "\U0001f37a")


def structured_rows(key: str, data: bytes) -> bytes:
    """A well-formed dump file of ``key`` with up to 12 rows drawn from ``data``."""
    fdp = atheris.FuzzedDataProvider(data)
    fields = HANDLERS[key][0]
    rows = []
    for _ in range(fdp.ConsumeIntInRange(0, 12)):
        attrs = []
        for name in fields:
            pick = fdp.ConsumeIntInRange(0, len(VALUES) + 1)
            if pick == len(VALUES):
                continue  # attribute left out
            value = fdp.ConsumeUnicodeNoSurrogates(24) if pick > len(VALUES) else VALUES[pick]
            value = "".join(c for c in value if c in "\t\n\r" or c >= " ")  # characters XML allows
            attrs.append(f"{name}={quoteattr(value)}")
        rows.append(f"  <row {' '.join(attrs)} />")
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rows>\n" + "\n".join(rows) + "\n</rows>\n").encode()


def read_file(key: str, xml: bytes) -> int:
    """Read ``xml`` as the dump file ``key``; the number of batches."""
    ctx = ReadContext(SourceInfo("stackexchange", "fuzz", "fuzz", "0"), b"fuzz-salt")
    tags: dict[str, set[str]] = {"used": set(), "listed": set()}
    batches = _read_file(key, f"{key}.xml", io.BytesIO(xml), len(xml), lambda: 0, ctx, tags)
    return sum(1 for _ in batches)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    key = KEYS[data[0] % len(KEYS)]
    xml = structured_rows(key, data[2:]) if len(data) > 1 and data[1] % 2 else data[1:]
    with contextlib.suppress(CommunitasError):  # an expected refusal, not a finding
        read_file(key, xml)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
