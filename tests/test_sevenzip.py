"""The stream that hands a .7z member on as py7zr extracts it (large pieces, small reads)."""

from __future__ import annotations

import queue
from typing import Any

import pytest

from communitas.errors import BrokenInput
from communitas.sources.sevenzip import _MemberStream


def _stream(*items: tuple[str, Any]) -> _MemberStream:
    q: queue.Queue[Any] = queue.Queue()
    for item in items:
        q.put(item)
    return _MemberStream(q, "site.7z!Posts.xml")


def test_reads_of_any_size_return_the_pieces_in_order_and_count_the_position() -> None:
    pieces = [bytes(range(256)) * 40, b"x" * 3, bytes(range(255, -1, -1)) * 17]
    s = _stream(*(("data", p) for p in pieces), ("end", "Posts.xml"))
    got, sizes = [], [1, 7, 4096, 10_000, 3, 1 << 20]
    while chunk := s.read(sizes[len(got) % len(sizes)]):
        got.append(chunk)
        assert s.position == sum(map(len, got))
    assert b"".join(got) == b"".join(pieces) and s.done
    assert [len(c) for c in got[:4]] == [1, 7, 4096, 10_000]  # a read returns what was asked


def test_read_all_and_a_damaged_archive() -> None:
    s = _stream(("data", b"<row Id='1'/>"), ("data", b"\n"), ("end", "Posts.xml"))
    assert s.read() == b"<row Id='1'/>\n" and s.read() == b""
    broken = _stream(("data", b"<row"), ("error", "CRC mismatch"))
    assert broken.read(2) == b"<r"
    with pytest.raises(BrokenInput, match=r"site\.7z!Posts\.xml: the archive is damaged \(CRC mismatch\)"):
        broken.read(100)
