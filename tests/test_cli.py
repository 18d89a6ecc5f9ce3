"""The ``communitas`` command line: ingest summary, sources, profile (+ --json), --help examples,
and the console script itself (exit status, one-line errors)."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from tests.conftest import cli_commands, data_path, raw_rows, run_cli
from typer.testing import CliRunner

from communitas.cli.app import app

CONLANG = "stackexchange-conlang-meta"
SID = "stackexchange:conlang"


COMMANDS = cli_commands()


def test_the_core_commands_are_registered() -> None:
    assert {("ingest",), ("sources",), ("export",), ("profile",)} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_help_has_an_example(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    match = re.search(r"Example: *(communitas [^\n]+)", result.output)
    assert match, f"`communitas {' '.join(command)} --help` has no 'Example: communitas ...' line"
    assert match.group(1).split()[1] == command[0]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli") / "cli.duckdb"


def test_ingest_prints_summary_then_unchanged(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["ingest", str(data_path(CONLANG)), "--name", "conlang", "--store", str(store)],
                           capsys)
    assert code == 0
    assert re.search(rf"^{SID} ingested in \d+\.\d s$", out, re.M), out
    stats = json.loads(data_path(CONLANG, "stats.json").read_text())
    rows = {k.removesuffix(".xml"): v["rows"] for k, v in stats.items()}
    expected = {"members": rows["Users"], "posts": rows["Posts"] + rows["Comments"],
                "reactions": rows["Votes"], "threads": stats["Posts.xml"]["PostTypeId"]["1"],
                "events": rows["Badges"] + rows["PostHistory"] + rows["PostLinks"]}
    for table, n in expected.items():
        assert re.search(rf"│ {table} +│ +{n:,} │", out), (table, n, out)
    assert "no rows skipped." in out
    code, out, _ = run_cli(["ingest", str(data_path(CONLANG)), "--name", "conlang", "--store", str(store)],
                           capsys)
    assert code == 0 and "unchanged since the last ingest" in out


def test_ingest_summary_lists_skipped_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dump = tmp_path / "dump"
    dump.mkdir()
    lines = gzip.decompress(data_path(CONLANG, "Comments.xml.gz").read_bytes()).split(b"\n")
    bad = [i for i, line in enumerate(lines) if b"<row " in line][:3]
    for i in bad:
        lines[i] = lines[i].replace(b'Text="', b'Text="\xc3\x28', 1)  # invalid UTF-8 sequence
    (dump / "Comments.xml").write_bytes(b"\n".join(lines))
    for name in ("Posts", "Users"):
        (dump / f"{name}.xml.gz").write_bytes(data_path(CONLANG, f"{name}.xml.gz").read_bytes())
    code, out, err = run_cli(["ingest", str(dump), "--store", str(tmp_path / "s.duckdb")], capsys)
    assert code == 0
    assert re.search(r"│ Comments\.xml: line is not valid UTF-8 +│ +3 │", out), out
    assert "no Votes.xml in this dump" in err and "no PostHistory.xml in this dump" in err


def test_sources_lists_the_store(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["sources", "--store", str(store)], capsys)
    assert code == 0
    assert "1 source(s)" in out and "2018-02-06 →" in out and "272" in out
    code, out, _ = run_cli(["sources", "--json", "--store", str(store)], capsys)
    [listed] = json.loads(out)
    assert listed["source_id"] == SID and listed["counts"]["members"] == 272


def test_profile_json_counts_from_the_raw_dump(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Overview figures, computed here from the raw XML; the Community account (-1) is left out."""
    posts, comments = raw_rows(CONLANG, "Posts"), raw_rows(CONLANG, "Comments")
    users = raw_rows(CONLANG, "Users")
    kinds = Counter({"1": "question", "2": "answer"}[p["PostTypeId"]] for p in posts
                    if p["PostTypeId"] in ("1", "2") and p.get("OwnerUserId") != "-1")
    kinds["comment"] = sum(1 for c in comments if c.get("UserId") != "-1")
    code, out, _ = run_cli(["profile", "--json", "--store", str(store)], capsys)
    assert code == 0
    overview = json.loads(out)["overview"]
    assert overview["posts_by_kind"] == dict(kinds)
    assert overview["members"] == sum(1 for u in users if u["Id"] != "-1") == 271
    first = min(p["CreationDate"] for p in posts if p["PostTypeId"] in ("1", "2"))
    assert overview["first"].startswith(first[:19])
    code, out, _ = run_cli(["profile", "--store", str(store)], capsys)
    assert code == 0 and out.strip()


def test_profile_on_a_missing_store_says_to_ingest(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.duckdb"
    code, _, err = run_cli(["profile", "--store", str(missing)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and str(missing) in err and "communitas ingest" in err


def test_console_script_exit_status_and_one_line_error(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("communitas")
    missing = tmp_path / "nowhere"
    done = subprocess.run([str(exe), "ingest", str(missing), "--store", str(tmp_path / "s.duckdb")],
                          capture_output=True, text=True, timeout=120, env={"COLUMNS": "80", "PATH": ""})
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"error: {missing}: no such file or folder. Check the path and try again."]
    usage = subprocess.run([str(exe), "ingest"], capture_output=True, text=True, timeout=120)
    assert usage.returncode == 2 and "Missing argument" in usage.stderr


def test_exit_codes_of_commands_reach_the_shell(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """typer in non-standalone mode returns (not raises) Exit codes and Ctrl-C; main passes them on."""
    import typer

    import communitas.cli.app as cli_app

    probe = typer.Typer()

    @probe.command()
    def fail() -> None:
        raise typer.Exit(3)

    @probe.command()
    def interrupt() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_app, "app", probe)
    assert run_cli(["fail"], capsys)[0] == 3
    code, _, err = run_cli(["interrupt"], capsys)
    assert code == 130
    assert err.strip() == "interrupted; the store is unchanged by the unfinished command."
