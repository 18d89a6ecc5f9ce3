"""The shared scope options (profile aside: tests/test_profile_cli.py) and ``report --json``, on
the hand-worked tiny corpus of ``tests/test_metrics_components.py`` (bots left out)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from tests.conftest import run_cli
from tests.test_metrics_components import POSTS, TAG, THREADS, T, U, build_tiny

from communitas import brief
from communitas.metrics.scope import Scope
from communitas.report.components import build_place
from communitas.report.context import ReportContext
from communitas.report.drill import members_behind, threads_behind
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


def _members(store: Path, capsys: pytest.CaptureFixture[str], *scope: str) -> dict[str, int]:
    code, out, err = run_cli(["members", "--store", str(store), "--json", *scope], capsys)
    assert code == 0, err
    return {r["member_id"].removeprefix(U): r["contributions"] for r in json.loads(out)}


def _count(place: str | None = None, since: str = "", until: str = "9999") -> dict[str, int]:
    """The oracle: contributions per author counted from the corpus lists themselves."""
    tags = {tid: t for tid, _, _, t in THREADS}
    out: dict[str, int] = {}
    for _, tid, author, created, _, _ in POSTS:
        if author and since <= created < until and (place is None or place in tags[tid]):
            out[author] = out.get(author, 0) + 1
    return out


def test_members_takes_the_scope_options(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Tag x: T1 (a a b, the bot), T2 (b b c), T4 (d; the deleted account's answer has no member).
    assert _members(store, capsys, "--place", "x") == _count("x") == {"a": 2, "b": 3, "c": 1, "d": 1,
                                                                      "bot": 1}
    assert _members(store, capsys, "--since", "2021-03-01") == _count(since="2021-03-01")
    assert _members(store, capsys, "--until", "2021-01-05", "--place", TAG + "y") == _count(
        "y", until="2021-01-05") == {"a": 2, "b": 1, "bot": 1}
    assert len(_members(store, capsys)) == 7  # no scope: every member, with or without posts
    code, _, err = run_cli(["members", "--store", str(store), "--place", "nowhere"], capsys)
    assert code == 2 and err.startswith("error: no place named 'nowhere'") and len(err.splitlines()) == 1


def test_the_drill_down_takes_a_scope(store: Path) -> None:
    with Workspace(store, read_only=True) as ws:
        b = ws.ibis()
        scope = Scope.of(since="2021-01-10", place="x")
        # x from 10 January: T2 (p5 p6 by b, p7 by c), T4 (p9 by d, p10 by a deleted account).
        threads = [(t["thread_id"].removeprefix(T), t["contributions"], t["members"])
                   for t in threads_behind(b, scope)]
        assert threads == [("T2", 3, 2), ("T4", 2, 1)]
        assert [(m["member_id"].removeprefix(U), m["contributions"]) for m in members_behind(b, scope)] == [
            ("b", 2), ("c", 1), ("d", 1)]
        # the period from start, inside the scope: February holds T4 only
        feb = threads_behind(b, scope, start=datetime(2021, 2, 1), period="month")
        assert [t["thread_id"] for t in feb] == [T + "T4"]
        # the keyword form folds into the same scope
        assert threads_behind(b, since="2021-01-10", place="x") == threads_behind(b, scope)
        # the report's place section lists the threads behind it in the report's scope
        section = build_place(ReportContext(ws, since="2021-01-10", place="x"))
        assert section is not None
        assert [t["contributions"] for t in section["threads"]] == [3, 2]


def test_report_takes_the_scope_options(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    out = tmp_path / "r.html"
    only = ["--skip", "brief", "--skip", "network", "--skip", "topics", "--skip", "glance",
            "--skip", "people", "--skip", "ties", "--skip", "interaction", "--skip", "appendix"]
    code, _, err = run_cli(["report", "--store", str(store), "-o", str(out), "--since", "2021-01-10",
                            "--until", "2021-03-01", "--place", "x", *only], capsys)
    assert code == 0, err
    assert "Scope: contributions from 2021-01-10 before 2021-03-01, in place x." in out.read_text("utf-8")
    code, _, err = run_cli(["report", "--store", str(store), "-o", str(out), "--place", "nowhere"], capsys)
    assert code == 2 and err.startswith("error: no place named 'nowhere'") and len(err.splitlines()) == 1
    code, _, err = run_cli(["report", "--store", str(store), "-o", str(out), "--since", "2021-02-01",
                            "--until", "2021-01-01"], capsys)
    assert code == 2 and "is not before --until" in err


KINDS3 = ["unanswered", "place", "nugget"]  # the kinds that find something in the tiny corpus


def test_brief_takes_the_scope_options(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Workspace(store, read_only=True) as ws:
        whole = [i["id"] for i in brief.items(ws, kinds=KINDS3)]
        # T3 waits for an answer (tag y), T6 is a nugget (tag y); tags w and z are silent.
        assert whole == ["unanswered:" + T + "T3", "place:silent+" + TAG + "w", "nugget:" + T + "T6",
                         "place:silent+" + TAG + "z"]
        # In tag y: its threads T3 and T6; the silent tags are other places.
        assert [i["id"] for i in brief.items(ws, kinds=KINDS3, place="y")] == [whole[0], whole[2]]
        # From March 2021: T6 got answers (p14, p15); T3 (p8, 1 February) and tags w, z nothing.
        assert [i["id"] for i in brief.items(ws, kinds=KINDS3, since="2021-03-01")] == [whole[2]]
        # --until is the brief's moment: the same items as --as-of
        until = brief.items(ws, kinds=KINDS3, until="2021-03-01")
        assert until == brief.items(ws, kinds=KINDS3, as_of="2021-03-01") and until
    code, _, err = run_cli(["brief", "--store", str(store), "--until", "2021-03-01", "--as-of", "2021-02-01"],
                           capsys)
    assert code == 2 and err.startswith("error: --until 2021-03-01 and --as-of 2021-02-01")
    code, _, err = run_cli(["brief", "--store", str(store), "--backtest", "--place", "x"], capsys)
    assert code == 2 and "do not go with --backtest" in err and len(err.splitlines()) == 1
