"""The docs cover what the code has (in the style of sqlite-utils' test_docs.py).

* every CLI command and sub-command has a heading in ``docs/cli.md``;
* every table of ``communitas.model.TABLES`` has a section in ``docs/data-model.md`` that names
  each of its columns;
* every Stack Exchange dump file the source reads is described in
  ``docs/sources/stackexchange.md``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import cli_commands

from communitas.model import TABLES
from communitas.sources.stackexchange import FILE_NAMES

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _sections(path: Path) -> dict[str, str]:
    """Heading text -> the body under it (to the next heading of any level)."""
    out: dict[str, str] = {}
    heading = ""
    for line in path.read_text().splitlines():
        if re.match(r"#{1,6} ", line):
            heading = line.lstrip("#").strip()
            out[heading] = ""
        elif heading:
            out[heading] += line + "\n"
    return out


COMMANDS = [" ".join(c) for c in cli_commands()]
CLI_HEADINGS = set(_sections(DOCS / "cli.md"))
MODEL = _sections(DOCS / "data-model.md")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented(command: str) -> None:
    assert f"`communitas {command}`" in CLI_HEADINGS, (
        f"docs/cli.md has no heading `communitas {command}`")


@pytest.mark.parametrize("table", list(TABLES))
def test_every_table_and_column_is_documented(table: str) -> None:
    body = MODEL.get(f"`{table}`")
    assert body is not None, f"docs/data-model.md has no section ## `{table}`"
    missing = [c for c in TABLES[table] if f"`{c}`" not in body]
    assert not missing, f"docs/data-model.md, section `{table}`, does not describe {missing}"


def test_data_model_has_the_column_groups() -> None:
    conventions = MODEL["Conventions (column groups shared by every table)"]
    for group in ("Ids and namespacing", "Times", "Personal data", "Derived columns"):
        assert f"**{group}.**" in conventions
    assert "--no-text" in conventions and "HMAC" in conventions


def test_every_stackexchange_file_is_documented() -> None:
    text = (DOCS / "sources" / "stackexchange.md").read_text()
    missing = [name for name in FILE_NAMES.values() if f"| {name} |" not in text]
    assert not missing, f"docs/sources/stackexchange.md has no row for {missing}"


README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_readme_starts_with_the_two_setup_commands() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split("#")[0].strip() for line in first_block] == ["make demo", "make test"]


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_shows_every_command(command: str) -> None:
    using = README.split("## Using it", 1)[1].split("\n## ", 1)[0]
    assert re.search(rf"^\.venv/bin/communitas {command} ", using, re.MULTILINE), (
        f"README.md 'Using it' has no example line for `communitas {command}`")


@pytest.mark.parametrize("doc", sorted(str(p.relative_to(DOCS.parent)) for p in DOCS.rglob("*.md")))
def test_readme_lists_every_docs_file(doc: str) -> None:
    listed = README.split("## Documentation", 1)[1]
    assert f"`{doc}`" in listed, f"README.md 'Documentation' does not list {doc}"


def _visible_options(path: tuple[str, ...]) -> list[str]:
    """The long names of a command's options shown in its ``--help`` (``--store``, which every
    command has, is described once at the top of the page)."""
    import typer.main

    from communitas.cli.app import app

    cmd: Any = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]
    out = []
    for p in cmd.params:
        if p.param_type_name != "option" or p.hidden:
            continue
        names = [o for o in (*p.opts, *p.secondary_opts) if o.startswith("--")]
        out.extend(n for n in names[:1] if n not in ("--help", "--store"))
    return out


CLI_SECTIONS = _sections(DOCS / "cli.md")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_is_documented(command: str) -> None:
    body = CLI_SECTIONS[f"`communitas {command}`"]
    missing = [o for o in _visible_options(tuple(command.split())) if o not in body]
    assert not missing, f"docs/cli.md, `communitas {command}`: say what {missing} do"
