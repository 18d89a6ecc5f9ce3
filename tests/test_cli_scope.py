"""The shared scope options on the commands that read posts directly, and ``report --json``, on
the hand-worked tiny corpus of ``tests/test_metrics_components.py`` (bots left out)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import run_cli
from tests.test_metrics_components import build_tiny

from communitas.store import Workspace


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scope") / "tiny.duckdb"
    with Workspace(path) as ws:
        build_tiny(ws)
    return path


def _whole(store: Path, capsys: pytest.CaptureFixture[str], *scope: str) -> dict[str, int]:
    code, out, err = run_cli(["network", "--store", str(store), "--whole", "--json", *scope], capsys)
    assert code == 0, err
    row = json.loads(out)["windows"][0]
    return {"members": row["members"], "ties": row["ties"]}


def test_network_takes_the_scope_options(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Tag x: T1 (b→a, a→b), T2 (c→b; b's own comment is a self-reply), T4 (d asks; the answer's
    # account was deleted: no tie). Members are everyone who contributed: a, b, c, d; three ties.
    assert _whole(store, capsys, "--place", "x") == {"members": 4, "ties": 3}
    # From March 2021: T5 (a answers the bot: dropped with the bot), T6 (c→a, b→a).
    assert _whole(store, capsys, "--since", "2021-03-01") == {"members": 3, "ties": 2}
    # Before February 2021 in tag y: T1 only (b→a, a→b).
    assert _whole(store, capsys, "--until", "2021-02-01", "--place", "y") == {"members": 2, "ties": 2}
    code, _, err = run_cli(["network", "--store", str(store), "--place", "nowhere"], capsys)
    assert code == 2 and err.startswith("error: no place named 'nowhere'")


def test_report_json_says_where_it_wrote_and_what_it_left_out(store: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.html"
    skipped = ("brief", "glance", "people", "ties", "interaction", "place", "network")  # kept fast
    code, text, err = run_cli(["report", "--store", str(store), "-o", str(out), "--json",
                               *(a for key in skipped for a in ("--skip", key))], capsys)
    assert code == 0, err
    data = json.loads(text)
    assert data["path"] == str(out.resolve()) and data["bytes"] == out.stat().st_size
    assert data["sections"] == ["overview", "appendix"]
    assert {k: v for k, v in data["left_out"].items() if k in skipped} == dict.fromkeys(skipped,
                                                                                        "left out: --skip")
    # The tiny store keeps no post bodies: the report leaves topics out, and says why on the page too.
    assert set(data["left_out"]) == {*skipped, "topics"}
    assert "the posts have no text" in data["left_out"]["topics"]
    assert "the posts have no text" in out.read_text(encoding="utf-8")
