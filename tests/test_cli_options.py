"""Every option of every command is checked before any work: a bad value is one ``error:`` line
and exit status 2, and no store is opened, no file read or written, no server or crawl started.

The walk covers every command of the CLI (``cli_commands()``): an option added without a bad
value in ``BAD`` (or a reason in ``FREE``) fails ``test_every_option_has_a_bad_value``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
import uvicorn
from tests.conftest import cli_commands, run_cli
from tests.test_metrics_components import build_tiny

import communitas.cli.brief
import communitas.cli.compare
import communitas.cli.identities
import communitas.cli.ingest
import communitas.cli.members
import communitas.cli.network
import communitas.cli.profile
import communitas.cli.report
import communitas.cli.topics
import communitas.sources.discourse_crawler
import communitas.synth
import communitas.web
from communitas.cli.app import app
from communitas.store import Workspace

# Bad values; "{tmp}" is the test's tmp_path (a folder that exists), "{file}" a file in it.
BAD: dict[str, list[str]] = {
    "--store": ["{tmp}"],
    "--source": [""],
    "--period": ["fortnight", "Month"],
    "--since": ["2020-13-01", "last tuesday"],
    "--until": ["yesterday"],
    "--place": ["  "],
    "--top": ["-1"],
    "--platform": ["myspace"],
    "--name": [""],
    "--format": ["xml"],
    "--topics": ["many", "0"],
    "--last": ["2"],
    "--seed": ["-1"],
    "--method": ["lda"],
    "--window-days": ["0"],
    "--stride-days": ["-5"],
    "--co-participation-hours": ["0"],
    "--member": [""],
    "--picture": ["{tmp}/net.gif", "{tmp}/missing-folder/net.svg", "{tmp}"],
    "--window": ["first"],
    "--rate": ["0", "-1"],
    "--max-pages": ["0"],
    "--contact": [""],
    "--evidence": [""],
    "--limit": ["0"],
    "--output": ["{tmp}/missing-folder/r.html", "{tmp}"],
    "--host": [""],
    "--port": ["0", "70000"],
    "--skip": ["nosuch"],
    "--months": ["0"],
    "--as-of": ["2020-13-01", "soon"],
    "--kind": ["nope"],
    "--posts": ["0", "-5"],
    "--like": ["{tmp}"],
    "--out": ["{file}"],
    "--every": ["30", "0d", "monthly"],
    "--engine": ["flink", "Spark"],
    "--tables": ["{tmp}"],
    "--spark-remote": ["localhost:15002", "http://h:15002"],
    "--spark-memory": ["6x", "1.5g", "100m"],
    "--spark-conf": ["spark.sql.shuffle.partitions", "shuffle=8"],
}
# Options where every value is meaningful (none is a usage error), with the reason.
FREE: dict[str, str] = {}
# Valid arguments that let a command reach its options; bad arguments, checked too.
ARGS: dict[tuple[str, ...], list[str]] = {
    ("ingest",): ["{tmp}"],
    ("export",): ["{tmp}/out"],
    ("crawl", "discourse"): ["https://forum.example.org", "{tmp}/dump"],
    ("identities", "merge"): ["a", "b"],
    ("identities", "split"): ["a", "b"],
    ("members", "bot"): ["m", "--yes"],
    ("compare",): ["x"],
    ("synth",): ["--out", "{tmp}/synth"],
}
BAD_ARGS: list[tuple[list[str], str]] = [
    (["ingest", "{tmp}/nowhere"], "no such file or folder"),
    (["export", "{file}"], "is a file, not a folder"),
    (["crawl", "discourse", "ftp://forum.example.org", "{tmp}/dump"], "is not a web address"),
    (["crawl", "discourse", "forum.example.org", "{tmp}/dump"], "is not a web address"),
    (["crawl", "discourse", "https://forum.example.org", "{file}"], "is a file, not a folder"),
    (["identities", "merge", "", "b"], "is empty"),
    (["identities", "split", "a", " "], "is empty"),
    (["members", "bot", "", "--yes"], "is empty"),
]


def _leaf_commands() -> dict[tuple[str, ...], Any]:
    root = typer.main.get_command(app)
    out = {}
    for path in cli_commands():
        cmd: Any = root
        for name in path:
            cmd = cmd.commands[name]
        out[path] = cmd
    return out


def _options(cmd: Any) -> list[Any]:
    """The command's options that take a value (flags cannot be given a bad one)."""
    return [p for p in cmd.params if p.param_type_name == "option" and not p.is_flag
            and "--help" not in p.opts]


def _long(param: Any) -> str:
    return next(o for o in param.opts if o.startswith("--"))


CASES = [(path, _long(p), bad) for path, cmd in _leaf_commands().items() for p in _options(cmd)
         for bad in BAD.get(_long(p), [])]


class WorkStarted(AssertionError):
    pass


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening a store, starting the server or a crawl fails the test: options come first."""

    def refuse(*args: object, **kw: object) -> None:
        raise WorkStarted("work started before the options were checked")

    for module in (communitas.cli.brief, communitas.cli.compare, communitas.cli.identities,
                   communitas.cli.ingest, communitas.cli.members, communitas.cli.network,
                   communitas.cli.profile, communitas.cli.report, communitas.cli.topics):
        monkeypatch.setattr(module, "Workspace", refuse)
    monkeypatch.setattr(uvicorn, "run", refuse)
    monkeypatch.setattr(communitas.web, "create_app", refuse)
    monkeypatch.setattr(communitas.sources.discourse_crawler, "crawl", refuse)
    monkeypatch.setattr(communitas.synth, "synthesize", refuse)


NAMES = {name for path in cli_commands() for name in path}
# The commands that compute figures: each takes the one set of scope options (docs/cli.md).
FIGURES = [("profile",), ("topics",), ("network",), ("report",), ("members",), ("brief",)]
SCOPE = {"--source", "--since", "--until", "--place"}


@pytest.mark.parametrize("path", FIGURES, ids=" ".join)
def test_every_command_that_computes_figures_takes_the_scope_options(path: tuple[str, ...]) -> None:
    cmd = _leaf_commands()[path]
    assert {_long(p) for p in _options(cmd)} >= SCOPE
    assert {(path, o) for o in SCOPE} <= {(c[0], c[1]) for c in CASES}  # each given a bad value below


@pytest.mark.usefixtures("no_work")
@pytest.mark.parametrize("args", [["brief", "--until", "2020-03-01", "--as-of", "2020-02-01"],
                                  ["brief", "--backtest", "--since", "2020-01-01"],
                                  ["members", "--since", "2020-03-01", "--until", "2020-03-01"],
                                  ["report", "--since", "2020-03-01", "--until", "2020-01-01"]],
                         ids=lambda a: " ".join(a[:2]))
def test_scope_options_that_disagree_are_one_line_and_exit_2(args: list[str], tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli([*args, "--store", str(tmp_path / "never-made.duckdb")], capsys)
    assert code == 2 and out == "", err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --"), err


def _store_args(path: tuple[str, ...], option: str, store: Path) -> list[str]:
    """``--store`` pointing at a store that does not exist, for commands that take one."""
    has = any("--store" in p.opts for p in _leaf_commands()[path].params)
    return ["--store", str(store)] if has and option != "--store" else []


def _fill(args: list[str], tmp_path: Path) -> list[str]:
    file = tmp_path / "a-file.txt"
    file.write_text("not a folder")
    return [a.replace("{tmp}", str(tmp_path)).replace("{file}", str(file)) for a in args]


def test_every_option_has_a_bad_value() -> None:
    missing = sorted({f"{' '.join(path)} {_long(p)}" for path, cmd in _leaf_commands().items()
                      for p in _options(cmd) if not BAD.get(_long(p)) and _long(p) not in FREE})
    assert not missing, f"options with no bad value to test: {missing}"
    assert len(CASES) >= 60


@pytest.mark.usefixtures("no_work")
@pytest.mark.parametrize(("path", "option", "bad"), CASES, ids=[f"{' '.join(c[0])} {c[1]}={c[2]!r}"
                                                               for c in CASES])
def test_a_bad_option_value_is_one_line_and_exit_2(path: tuple[str, ...], option: str, bad: str,
                                                   tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                   ) -> None:
    store = tmp_path / "never-made.duckdb"
    args = [*path, *ARGS.get(path, []), option, bad]
    args += _store_args(path, option, store)
    code, out, err = run_cli(_fill(args, tmp_path), capsys)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert option in lines[0] and out == ""
    assert not store.exists()


@pytest.mark.usefixtures("no_work")
@pytest.mark.parametrize(("args", "needle"), BAD_ARGS, ids=[" ".join(a[:2]) + f" {n}" for a, n in BAD_ARGS])
def test_a_bad_argument_is_one_line_and_exit_2(args: list[str], needle: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "never-made.duckdb"
    code, _, err = run_cli(_fill([*args, *_store_args(tuple(a for a in args[:2] if a in NAMES), "", store)],
                                 tmp_path), capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], err
    assert not store.exists()


@pytest.mark.usefixtures("no_work")
@pytest.mark.parametrize("path", list(_leaf_commands()), ids=" ".join)
def test_an_unknown_option_is_one_line_and_exit_2(path: tuple[str, ...], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli([*path, "--no-such-option"], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--no-such-option" in lines[0], err


def test_report_with_an_unknown_period_writes_nothing(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The reported case: it used to exit 0 and write a report whose sections said "unknown
    period"."""
    store = tmp_path / "tiny.duckdb"
    with Workspace(store) as ws:
        build_tiny(ws)
    out = tmp_path / "r.html"
    code, _, err = run_cli(["report", "-o", str(out), "--store", str(store), "--period", "fortnight"], capsys)
    assert code == 2 and not out.exists()
    assert err.strip() == ("error: Invalid value for '--period': 'fortnight' is not one of week, month, "
                           "quarter or year. (see `communitas report --help`)")
    code, _, err = run_cli(["profile", "--store", str(store), "--since", "2021-03-01", "--until",
                            "2021-01-01"], capsys)
    assert code == 2 and err.strip().startswith("error: --since 2021-03-01 is not before --until")


def test_help_text_is_printed_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    """Terminal markup must not eat help text: ``communitas[embeddings]`` used to print as
    ``communitas``. Every option's help of every command appears whole in its ``--help``."""
    for path, cmd in _leaf_commands().items():
        code, out, _ = run_cli([*path, "--help"], capsys)
        assert code == 0
        flat = " ".join(out.split())
        for p in cmd.params:
            if getattr(p, "help", None):
                assert " ".join(p.help.split()) in flat, (path, p.help)
    code, out, _ = run_cli(["topics", "--help"], capsys)
    assert "communitas[embeddings]" in " ".join(out.split())


# -- one convention: every option is declared in cli/common.py ---------------------------------

def _common_options() -> set[int]:
    """The ids of the typer option declarations of ``cli/common.py``'s aliases."""
    import communitas.cli.common as common

    out = set()
    for value in vars(common).values():
        for meta in getattr(value, "__metadata__", ()):
            if isinstance(meta, typer.models.OptionInfo):
                out.add(id(meta))
    return out


def test_every_option_is_declared_in_common() -> None:
    """Each option of each command comes from an alias of ``cli/common.py`` — none declared in
    the command's module, none made implicitly by typer from a plain parameter."""
    import inspect
    import typing

    common = _common_options()
    stray = []
    for path, cmd in _leaf_commands().items():
        if cmd.callback is None:  # a group that only holds sub-commands
            continue
        hints = typing.get_type_hints(cmd.callback, include_extras=True)
        for name in inspect.signature(cmd.callback).parameters:
            metas = getattr(hints.get(name), "__metadata__", ())
            if any(isinstance(m, typer.models.ArgumentInfo) for m in metas) or name == "ctx":
                continue
            if not any(id(m) in common for m in metas if isinstance(m, typer.models.OptionInfo)):
                stray.append(f"{' '.join(path)} {name}")
    assert not stray, f"options not declared in cli/common.py: {stray}"
    assert len(common) >= 40


def _check_tool() -> Any:
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "tools" / "check_cli_options.py"
    spec = importlib.util.spec_from_file_location("check_cli_options", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_lint_check_fails_on_an_option_declared_outside_common(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]
                                                                     ) -> None:
    tool = _check_tool()
    bad = tmp_path / "stray.py"
    bad.write_text("from typing import Annotated\nimport typer\nfrom typer import Option as O\n\n\n"
                   "def cmd(top: Annotated[int, typer.Option(help='rows')] = 5,\n"
                   "        raw: bool = O('--raw')) -> None:\n    pass\n")
    assert tool.main([str(bad)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"{bad}:6: --top is declared here; declare it in cli/common.py and use its alias",
                     f"{bad}:7: --raw is declared here; declare it in cli/common.py and use its alias"]
    good = tmp_path / "common.py"
    good.write_text(bad.read_text())
    assert tool.main([str(good)]) == 0
    assert tool.main([]) == 0  # the CLI package as it is
    assert capsys.readouterr().err == ""


def test_the_lint_check_fails_on_a_figure_command_without_the_scope_options(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tool = _check_tool()
    bad = tmp_path / "members.py"
    bad.write_text("from communitas.cli.common import SinceOpt, SourceOpt\n\n\n"
                   "def members(source: SourceOpt = None, since: SinceOpt = None) -> None:\n    pass\n")
    assert tool.main([str(bad)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{bad}:4: `communitas members` computes figures but does not take {alias} (every such command "
        "takes the same scope options, docs/cli.md)" for alias in ("UntilOpt", "PlaceOpt")]


def test_top_is_the_old_name_of_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--top N`` (hidden) still works on profile and network, with a note; ``--limit`` is the name."""
    store = tmp_path / "tiny.duckdb"
    with Workspace(store) as ws:
        build_tiny(ws)
    code, out, err = run_cli(["profile", "--store", str(store), "--top", "1", "--json"], capsys)
    assert code == 0 and "--top is now --limit" in err
    import json

    assert len(json.loads(out)["place"]["places"]) == 1
    code, out, err = run_cli(["profile", "--store", str(store), "--limit", "1", "--json"], capsys)
    # three tags are in use in the tiny corpus (w, x, y): one row is the limit at work
    assert code == 0 and err == "" and len(json.loads(out)["place"]["places"]) == 1
    code, out, _ = run_cli(["profile", "--help"], capsys)
    assert "--limit" in out and "--top" not in out
