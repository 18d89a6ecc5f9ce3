"""The profile's groups of queries run at once, one DuckDB cursor per thread
(``communitas.metrics.concurrent``): really at once, on the caller's materialised tables, and with
the same figures as one after another."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import ibis
import pytest
from tests.test_metrics_components import build_tiny

from communitas.engines import differences
from communitas.errors import UsageError
from communitas.metrics import concurrent
from communitas.metrics.profile import build_profile
from communitas.metrics.scope import ALL, PreparedBackend
from communitas.store import Workspace

RUN = concurrent.run


@pytest.fixture
def pb() -> Any:
    backend = ibis.duckdb.connect()
    backend.raw_sql("CREATE TABLE numbers AS SELECT range AS n FROM range(10)")
    with PreparedBackend(backend) as prepared:
        yield prepared


def test_two_threads_run_two_tasks_at_once_each_on_its_own_cursor(pb: PreparedBackend) -> None:
    both = threading.Barrier(2, timeout=20)  # one after another, the first would wait in vain

    def task(b: Any, get: Any) -> tuple[int, Any, int]:
        both.wait()
        total = int(b.table("numbers").n.sum().execute())
        return threading.get_ident(), b.backend.con, total

    done = concurrent.run(pb, {"a": task, "b": task}, threads=2)
    (ta, ca, na), (tb, cb, nb) = done["a"], done["b"]
    assert na == nb == 45
    assert len({ta, tb, threading.get_ident()}) == 3
    assert ca is not cb and pb.backend.con not in (ca, cb)


def test_one_thread_runs_the_tasks_in_order_on_the_caller(pb: PreparedBackend) -> None:
    order: list[str] = []

    def task(name: str) -> concurrent.Task:
        def run(b: Any, get: Any) -> int:
            assert b is pb and threading.current_thread() is threading.main_thread()
            order.append(name)
            return len(order) + (get("first") if name != "first" else 0)
        return run

    done = concurrent.run(pb, {"first": task("first"), "second": task("second")}, threads=1)
    assert order == ["first", "second"] and done == {"first": 1, "second": 3}


def test_a_task_waits_for_an_earlier_one_and_errors_reach_the_caller(pb: PreparedBackend) -> None:
    release = threading.Event()

    def slow(b: Any, get: Any) -> int:
        release.wait(20)
        return 7

    def after(b: Any, get: Any) -> int:
        release.set()
        return int(get("slow")) + 1

    assert concurrent.run(pb, {"slow": slow, "after": after}, threads=2) == {"slow": 7, "after": 8}

    def broken(b: Any, get: Any) -> int:
        raise UsageError("no such place")

    with pytest.raises(UsageError, match="no such place"):
        concurrent.run(pb, {"ok": slow, "broken": broken}, threads=2)


def test_threads_read_the_tables_the_caller_made(pb: PreparedBackend) -> None:
    built: list[str] = []

    def evens() -> Any:
        built.append("evens")
        t = pb.table("numbers")
        return t.filter(t.n % 2 == 0)

    made = pb.memo("evens", evens)
    assert built == ["evens"]

    def task(b: Any, get: Any) -> tuple[list[int], list[int]]:
        again = b.memo("evens", lambda: pytest.fail("made again"))
        t = b.table("numbers")
        odd = b.memo("odds", lambda: t.filter(t.n % 2 == 1))  # not made by the caller: computed inline
        return (sorted(again.n.execute().tolist()), sorted(odd.n.execute().tolist()))

    misses: list[Any] = []
    done = concurrent.run(pb, {"a": task, "b": task}, threads=2, misses=misses)
    assert done["a"] == done["b"] == ([0, 2, 4, 6, 8], [1, 3, 5, 7, 9])
    assert sorted(misses) == ["odds", "odds"]
    assert sorted(made.n.execute().tolist()) == [0, 2, 4, 6, 8]


def _profile(store: Path, workers: str, monkeypatch: pytest.MonkeyPatch, **scope: Any) -> Any:
    monkeypatch.setenv("COMMUNITAS_WORKERS", workers)
    misses: list[Any] = []
    monkeypatch.setattr(concurrent, "run", lambda pb, tasks: RUN(pb, tasks, None, misses))
    with Workspace(store, read_only=True) as ws:
        profile = build_profile(ws, ALL.but(**scope))
    assert misses == []  # every shared table was made before the threads started
    return profile


def test_the_beer_sites_profile_is_the_same_at_once_and_in_turn(beer_store: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    in_turn = _profile(beer_store, "1", monkeypatch)
    at_once = _profile(beer_store, "2", monkeypatch)
    assert differences(in_turn, at_once) == []
    assert json.dumps(in_turn) == json.dumps(at_once)  # the same keys in the same order, too


def test_a_scoped_profile_is_the_same_at_once_and_in_turn(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    with Workspace(tmp_path / "tiny.duckdb") as ws:
        build_tiny(ws)
    scoped = {"place": "y", "since": "2021-01-06"}
    in_turn = _profile(tmp_path / "tiny.duckdb", "1", monkeypatch, **scoped)
    assert in_turn["scope"]["place"] == "y" and in_turn["people"]["headline"]["active_members"] > 0
    assert json.dumps(in_turn) == json.dumps(_profile(tmp_path / "tiny.duckdb", "2", monkeypatch, **scoped))
