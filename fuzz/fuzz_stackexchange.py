"""Coverage-guided fuzzing of the Stack Exchange reader (atheris / libFuzzer).

Run: ``python fuzz/fuzz_stackexchange.py -max_total_time=300 fuzz/corpus/stackexchange``.

The first byte of an input picks the dump file (Posts, Comments, Users, Votes, Tags, Badges,
PostHistory, PostLinks); the rest is that file's XML, read by
:func:`communitas.sources.xml_rows.iter_row_columns` and mapped to canonical batches by the
file's handler in :mod:`communitas.sources.stackexchange_rows`, exactly as ``_read_file`` does.
A :class:`~communitas.errors.CommunitasError` is an expected refusal; any other exception is a
finding.
"""

from __future__ import annotations

import contextlib
import io
import sys

import atheris

with atheris.instrument_imports(include=["communitas"]):
    from communitas.errors import CommunitasError
    from communitas.model import SourceInfo
    from communitas.sources.base import ReadContext
    from communitas.sources.stackexchange import _read_file
    from communitas.sources.stackexchange_rows import HANDLERS

KEYS = sorted(HANDLERS)


def read_file(key: str, xml: bytes) -> int:
    """Read ``xml`` as the dump file ``key``; the number of batches."""
    ctx = ReadContext(SourceInfo("stackexchange", "fuzz", "fuzz", "0"), b"fuzz-salt")
    tags: dict[str, set[str]] = {"used": set(), "listed": set()}
    batches = _read_file(key, f"{key}.xml", io.BytesIO(xml), len(xml), lambda: 0, ctx, tags)
    return sum(1 for _ in batches)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    with contextlib.suppress(CommunitasError):  # an expected refusal, not a finding
        read_file(KEYS[data[0] % len(KEYS)], data[1:])


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
