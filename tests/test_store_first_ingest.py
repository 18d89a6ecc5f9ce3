"""A failed first ingest into a new store leaves nothing behind: no store file, no WAL, no staging
folder. A store that existed before stays exactly as it was (see also test_store_ingest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from communitas import store as store_module
from communitas.cli.app import main
from communitas.errors import BrokenInput, UnknownFormat
from communitas.store import Workspace

T0 = 1_600_000_000


def _slack(root: Path, broken_day: bool = False) -> Path:
    """A two-message Slack export; with ``broken_day`` its second day file is cut mid-JSON."""
    (root / "general").mkdir(parents=True)
    (root / "users.json").write_text(json.dumps([{"id": "U1", "name": "ann", "profile": {}}]))
    (root / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general"}]))
    (root / "general" / "2020-09-13.json").write_text(json.dumps([{"ts": f"{T0}.1", "user": "U1",
                                                                    "text": "hi"}]))
    day2 = '[{"ts": "1600100000.1", "user": "U1", "te' if broken_day else json.dumps(
        [{"ts": f"{T0 + 86_400}.1", "user": "U1", "text": "again"}])
    (root / "general" / "2020-09-14.json").write_text(day2)
    return root


def _left(folder: Path) -> list[str]:
    """What lies in ``folder`` besides the inputs (hidden staging folders included)."""
    return sorted(p.name for p in folder.iterdir() if p.name != "in")


@pytest.fixture
def place(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    return tmp_path


def test_a_broken_input_leaves_no_store_behind(place: Path) -> None:
    broken = _slack(place / "in" / "broken", broken_day=True)
    with (pytest.raises(BrokenInput, match=r"2020-09-14\.json: not valid JSON"),
          Workspace(place / "new.duckdb") as ws):
        ws.ingest(broken)
    assert _left(place) == []


def test_an_unknown_format_leaves_no_store_behind(place: Path) -> None:
    (place / "in" / "notes.txt").write_text("not an export\n")
    ws = Workspace(place / "new.duckdb")
    with pytest.raises(UnknownFormat):
        ws.ingest(place / "in" / "notes.txt")
    ws.close()  # closing after the store was discarded is harmless
    assert _left(place) == []


def test_the_workspace_is_usable_after_a_failed_first_ingest(place: Path) -> None:
    good, broken = _slack(place / "in" / "good"), _slack(place / "in" / "broken", broken_day=True)
    with Workspace(place / "new.duckdb") as ws:
        with pytest.raises(BrokenInput):
            ws.ingest(broken)
        assert _left(place) == []
        assert ws.ingest(good).counts["posts"] == 2  # opens (creates) the store again
    with Workspace(place / "new.duckdb", read_only=True) as ws:
        assert ws.counts()["posts"] == 2


def test_an_interrupted_first_ingest_leaves_no_store_behind(place: Path) -> None:
    def interrupt(label: str, done: int, total: int, rows: int) -> None:
        raise KeyboardInterrupt

    good = _slack(place / "in" / "good")
    with pytest.raises(KeyboardInterrupt), Workspace(place / "new.duckdb") as ws:
        ws.ingest(good, progress=interrupt)
    assert _left(place) == []


def test_a_failure_inside_the_load_transaction_leaves_no_store_behind(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object) -> None:
        raise RuntimeError("derive failed")

    monkeypatch.setattr(store_module, "derive", fail)
    with pytest.raises(RuntimeError, match="derive failed"), Workspace(place / "new.duckdb") as ws:
        ws.ingest(_slack(place / "in" / "good"))
    assert _left(place) == []


def test_the_cli_leaves_no_store_behind(place: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = _slack(place / "in" / "broken", broken_day=True)
    with pytest.raises(SystemExit) as done:
        main(["ingest", str(broken), "--store", str(place / "new.duckdb")])
    assert done.value.code == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert _left(place) == []
    with pytest.raises(SystemExit):
        main(["ingest", str(place / "in"), "--store", str(place / "new.duckdb")])
    assert _left(place) == []


def test_a_store_that_existed_stays_and_a_later_failure_keeps_the_first_ingest(place: Path) -> None:
    good, broken = _slack(place / "in" / "good"), _slack(place / "in" / "broken", broken_day=True)
    Workspace(place / "empty.duckdb").close()  # an existing, empty store
    with Workspace(place / "empty.duckdb") as ws, pytest.raises(BrokenInput):
        ws.ingest(broken)
    assert (place / "empty.duckdb").exists()
    with Workspace(place / "new.duckdb") as ws:  # first ingest succeeds, the second fails
        ws.ingest(good)
        with pytest.raises(BrokenInput):
            ws.ingest(broken, name="good")
        assert ws.counts()["posts"] == 2
    with Workspace(place / "new.duckdb", read_only=True) as ws:
        assert ws.counts()["posts"] == 2
