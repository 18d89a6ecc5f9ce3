"""``$COMMUNITAS_WORKERS`` bounds DuckDB's threads too, during ingest and analysis (docs/architecture.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.conftest import data_path

from communitas.metrics.profile import build_profile
from communitas.store import Workspace
from communitas.topics import documents


def _threads(con: Any) -> int:
    return int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])


@pytest.mark.parametrize("workers", ["1", "7"])
def test_workers_setting_is_duckdb_threads_in_ingest_and_analysis(
        workers: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMUNITAS_WORKERS", workers)
    seen: list[int] = []
    with Workspace(tmp_path / "w.duckdb") as ws:
        def progress(label: str, done: int, total: int, rows: int) -> None:
            seen.append(_threads(ws.con))  # while the source is being read and loaded

        ws.ingest(data_path("stackexchange-alcohol-meta"), progress=progress)
        assert seen and set(seen) == {int(workers)}
        build_profile(ws.ibis())
        assert int(ws.ibis().raw_sql("SELECT current_setting('threads')").fetchone()[0]) == int(workers)
    with Workspace(tmp_path / "w.duckdb", read_only=True) as ws:
        assert _threads(ws.con) == int(workers)


def test_without_the_setting_duckdb_uses_the_usable_cores(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMMUNITAS_WORKERS", raising=False)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with Workspace(tmp_path / "w.duckdb") as ws:
        assert _threads(ws.con) == cores


def test_scratch_connections_follow_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMUNITAS_WORKERS", "1")
    seen: list[int] = []
    real = duckdb.connect

    def connect(*args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        con = real(*args, **kwargs)
        seen.append(_threads(con))
        return con

    monkeypatch.setattr(documents.duckdb, "connect", connect)
    texts = ["hello\nsent from my phone"] * 6
    assert documents.boilerplate_lines(texts, min_posts=5) == {"sent from my phone"}
    assert seen == [1]
