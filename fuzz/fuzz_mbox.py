"""Coverage-guided fuzzing of the mailing-list reader (atheris / libFuzzer).

Run: ``python fuzz/fuzz_mbox.py -max_total_time=300 fuzz/corpus/mbox`` (see fuzz/README.md).

The first byte of an input picks the target: even, :func:`parse_message` on one raw message
(the first line is the mbox From line); odd, the whole read path (file detection, gzip, the
``From `` splitter, parsing, threading, emitting batches) on the rest written as an mbox file.
A :class:`~communitas.errors.CommunitasError` is an expected refusal; any other exception is a
finding.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["communitas"]):
    from communitas.errors import CommunitasError
    from communitas.model import SourceInfo
    from communitas.sources import mbox
    from communitas.sources.base import ReadContext
    from communitas.sources.mbox_parse import parse_message

mbox.PARALLEL = False  # one process: libFuzzer follows coverage in this one
_DIR = Path(tempfile.mkdtemp(prefix="fuzz-mbox-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
_FILE = _DIR / "list.mbox"


def read_whole(data: bytes) -> int:
    """Read ``data`` as an mbox file through :class:`MboxSource`; the number of batches."""
    _FILE.write_bytes(data)
    info = SourceInfo("mbox", "fuzz", str(_FILE), "0")
    ctx = ReadContext(info, b"fuzz-salt")
    source = mbox.MboxSource()
    if not source.detect(_FILE):
        return 0
    return sum(1 for _ in source.read(_FILE, ctx))


def test_one_input(data: bytes) -> None:
    if not data:
        return
    body = data[1:]
    try:
        if data[0] % 2 == 0:
            from_line, _, msg = body.partition(b"\n")
            parse_message(from_line, msg)
        else:
            read_whole(body)
    except CommunitasError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
