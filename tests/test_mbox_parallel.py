"""mbox files parsed in worker processes give exactly what the one-process reader gives."""

from __future__ import annotations

import gzip
import mailbox
import resource
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import data_path

from communitas.errors import BrokenInput
from communitas.model import SourceInfo
from communitas.sources import mbox, mbox_stream
from communitas.sources.base import ReadContext


def _read(path: Path) -> tuple[dict[str, dict[str, list[Any]]], dict[Any, int], list[str]]:
    ctx = ReadContext(SourceInfo("mbox", "l", str(path), "x"), b"salt" * 8)
    tables: dict[str, dict[str, list[Any]]] = {}
    for batch in mbox.MboxSource().read(path, ctx):
        cols = tables.setdefault(batch.table, {})
        for name, values in batch.columns.items():
            cols.setdefault(name, []).extend(values)
    return tables, dict(ctx.skipped), ctx.warnings


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def test_workers_read_usrp_exactly_like_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = data_path("mbox-usrp-users-2022")
    expected = 0
    for f in sorted(folder.glob("*.mbox.gz")):  # the standard library's count of messages
        plain = tmp_path / f.name[:-3]
        plain.write_bytes(gzip.decompress(f.read_bytes()))
        box = mailbox.mbox(plain)
        expected += len(box)
        box.close()
    monkeypatch.setattr(mbox, "PARALLEL", False)
    one = _read(folder)
    monkeypatch.setattr(mbox, "PARALLEL", True)
    assert mbox._parallel(mbox_stream.specs(mbox_stream.mbox_files(folder)))
    before = _children_cpu()
    many = _read(folder)
    assert _children_cpu() - before > 0.05  # the parsing did happen in worker processes
    assert len(one[0]["posts"]["post_id"]) == expected == 1597
    assert many == one


def _month(i: int) -> bytes:
    text = "".join(f"From u{k}@example.com Mon Jan  3 10:30:36 2022\nFrom: U{k} <u{k}@example.com>\n"
                   f"Date: Mon, 3 Jan 2022 10:{k:02d}:00 +0000\nMessage-ID: <m{i}-{k}@example.com>\n"
                   f"Subject: s{k}\n\nhello {k}\n\n" for k in range(5))
    return gzip.compress(text.encode())


def test_when_workers_are_used_and_a_damaged_file_in_a_worker(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "list"
    folder.mkdir()
    for i in range(3):
        (folder / f"2022-0{i + 1}.mbox.gz").write_bytes(_month(i))
    specs = mbox_stream.specs(mbox_stream.mbox_files(folder))
    monkeypatch.setattr(mbox, "PARALLEL", True)
    assert not mbox._parallel(specs)  # under PARALLEL_MIN_BYTES: not worth the workers
    monkeypatch.setattr(mbox, "PARALLEL_MIN_BYTES", 0)
    assert mbox._parallel(specs) and not mbox._parallel(specs[:1])  # one file: nothing to share
    monkeypatch.setattr(mbox, "PARALLEL_MAX_FILE", 10)
    assert not mbox._parallel(specs)  # a file too large to wait whole in memory
    monkeypatch.setattr(mbox, "PARALLEL_MAX_FILE", 1 << 30)
    tables, skipped, _ = _read(folder)
    assert len(tables["posts"]["post_id"]) == 15 and skipped == {}
    (folder / "2022-02.mbox.gz").write_bytes(_month(1)[:-30])
    with pytest.raises(BrokenInput, match=r"2022-02\.mbox\.gz: the file is damaged"):
        _read(folder)


def test_communitas_workers_sets_how_many_processes_parse(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """$COMMUNITAS_WORKERS governs the mailing-list workers as it does every source's: one means
    the one-process reader; more, that many worker processes (never more than files)."""
    folder = tmp_path / "list"
    folder.mkdir()
    for i in range(3):
        (folder / f"2022-0{i + 1}.mbox.gz").write_bytes(_month(i))
    monkeypatch.setattr(mbox, "PARALLEL_MIN_BYTES", 0)
    specs = mbox_stream.specs(mbox_stream.mbox_files(folder))
    monkeypatch.setenv("COMMUNITAS_WORKERS", "1")
    assert not mbox._parallel(specs)
    monkeypatch.setenv("COMMUNITAS_WORKERS", "2")
    assert mbox._parallel(specs)
    seen: list[int] = []
    real = mbox.map_in_processes

    def spy(function: Any, items: Any, workers: int, **kw: Any) -> Any:
        seen.append(workers)
        return real(function, items, workers, **kw)

    monkeypatch.setattr(mbox, "map_in_processes", spy)
    tables, skipped, _ = _read(folder)
    assert len(tables["posts"]["post_id"]) == 15 and skipped == {} and seen == [2]
    monkeypatch.setenv("COMMUNITAS_WORKERS", "8")
    _read(folder)
    assert seen == [2, 3]
