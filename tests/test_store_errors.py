"""Store-level errors: a locked store, a missing store, a bad export target. One line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from tests.conftest import data_path

from communitas.cli.app import main
from communitas.errors import EmptyStore, StoreError, StoreLocked, UsageError
from communitas.store import STORE_ENV, Workspace, held_elsewhere, store_path


def _exe() -> str:
    return str(Path(sys.executable).with_name("communitas"))


def test_a_store_held_by_another_process_is_reported_as_locked(tmp_path: Path) -> None:
    store = tmp_path / "held.duckdb"
    with Workspace(store):  # this process holds the write lock
        for args in (["sources"], ["ingest", str(data_path("stackexchange-conlang-meta"))]):
            done = subprocess.run([_exe(), *args, "--store", str(store)], capture_output=True, text=True,
                                  timeout=120)
            assert done.returncode == 2
            assert done.stderr.strip().splitlines() == [
                f"error: {store}: another communitas process is using this store. "
                "Wait for it to finish, or use another --store."]
    with Workspace(store, read_only=True) as ws:
        assert ws.counts()["posts"] == 0  # the refused ingest wrote nothing


def test_reading_a_store_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(EmptyStore, match="communitas ingest PATH"):
        Workspace(tmp_path / "none.duckdb", read_only=True)
    assert not (tmp_path / "none.duckdb").exists()  # reading never creates a store


def test_store_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STORE_ENV, raising=False)
    assert store_path() == Path("communitas.duckdb")
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "env.duckdb"))
    assert store_path() == tmp_path / "env.duckdb"
    assert store_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"


def test_export_into_a_file_or_an_unknown_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.duckdb"
    Workspace(store).close()
    for args, message in (
        ([str(store)], f"error: Invalid value for 'directory': '{store}' is a file, not a folder. "
                       "(see `communitas export --help`)"),
        ([str(tmp_path / "out"), "--format", "xml"],
         "error: Invalid value for '--format': 'xml' is not one of parquet or csv. "
         "(see `communitas export --help`)"),
    ):
        with pytest.raises(SystemExit) as exit_:
            main(["export", *args, "--store", str(store)])
        assert exit_.value.code == 2
        assert capsys.readouterr().err.strip() == message
    with Workspace(store, read_only=True) as ws, pytest.raises(UsageError):
        ws.export(tmp_path / "out", "xml")


def _hold(store: Path, *, read_only: bool) -> subprocess.Popen[str]:
    """Another process with the store open (DuckDB's own lock on the file), until killed."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'ro'); "
        "print('held', flush=True); time.sleep(60)"), str(store), "ro" if read_only else "rw"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_busy_is_told_by_a_lock_probe_not_by_the_error_text(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Busy: another process holds a lock that conflicts with ours (a reader blocks a writer, a
    writer blocks everyone), probed on the file; any other open error is a StoreError."""
    store = tmp_path / "s.duckdb"
    Workspace(store).close()
    reader = _hold(store, read_only=True)
    try:
        assert held_elsewhere(store) and not held_elsewhere(store, read_only=True)
        with pytest.raises(StoreLocked):
            Workspace(store)
        with Workspace(store, read_only=True) as ws:  # readers share
            assert ws.counts()["posts"] == 0
    finally:
        reader.kill()
        reader.wait()
    writer = _hold(store, read_only=False)
    try:
        with pytest.raises(StoreLocked):
            Workspace(store, read_only=True)
    finally:
        writer.kill()
        writer.wait()
    assert not held_elsewhere(store) and not held_elsewhere(store, read_only=True)

    def refuse(*_: object, **__: object) -> None:
        raise duckdb.IOException("IO Error: Could not set lock on file (a message that mentions a lock)")

    monkeypatch.setattr(duckdb, "connect", refuse)  # nobody holds the file: not "busy"
    with pytest.raises(StoreError) as caught:
        Workspace(store)
    assert not isinstance(caught.value, StoreLocked)
