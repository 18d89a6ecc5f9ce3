"""Store-level errors: a locked store, a missing store, a bad export target. One line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import data_path

from communitas.cli.app import main
from communitas.errors import EmptyStore, UsageError
from communitas.store import STORE_ENV, Workspace, store_path


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
