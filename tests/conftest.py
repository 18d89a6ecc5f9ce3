"""Shared fixtures. Tests that need the real data fail loudly when ../shared/data is missing."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from typer.core import TyperGroup

from communitas.cli.app import app, main
from communitas.store import Workspace

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# The dashboard answers only requests addressed to loopback (web/guards.py): TestClient's base URL.
LOCAL = "http://127.0.0.1"


def comparable(table: str, col: str) -> str:
    """A SELECT expression for ``col`` that two stores of the same input agree on: masked e-mail
    addresses carry each store's own salt (``communitas.masking``), so their tokens are blanked."""
    from communitas.masking import TEXT_COLUMNS

    if col in TEXT_COLUMNS.get(table, ()):
        pattern = r"'\[address:[0-9a-f]{8}\]'"
        return f"regexp_replace(\"{col}\", {pattern}, '[address]', 'g') AS \"{col}\""
    return f'"{col}"'


def data_path(*parts: str) -> Path:
    """A path under ../shared/data; fails the test (never skips) when it is missing."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is missing: the tests need ../shared/data beside the clone.")
    return path


def raw_rows(folder: str, file: str) -> list[dict[str, str]]:
    """Every ``<row>`` of ``../shared/data/<folder>/<file>.xml.gz`` as a dict of its attributes,
    read with the standard library only (the independent check on what communitas ingests)."""
    rows = []
    with gzip.open(data_path(folder, f"{file}.xml.gz"), "rb") as fh:
        for _, el in ET.iterparse(fh):
            if el.tag == "row":
                rows.append(dict(el.attrib))
                el.clear()
    return rows


def cli_commands(group: TyperGroup | None = None, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and sub-command of the ``communitas`` CLI, e.g. ``("identities", "merge")``.

    Groups are recognised as typer's own (typer vendors click: its groups are not ``click.Group``)."""
    if group is None:
        root = typer.main.get_command(app)
        assert isinstance(root, TyperGroup)
        group = root
    out = []
    for name, cmd in group.commands.items():
        out.append((*prefix, name))
        if isinstance(cmd, TyperGroup):
            out.extend(cli_commands(cmd, (*prefix, name)))
    return out


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the console-script entry point in-process: (exit status, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace(tmp_path / "test.duckdb") as ws:
        yield ws


@pytest.fixture(scope="session")
def beer_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the beer site (from the XML.gz folder), built once per test session."""
    path = tmp_path_factory.mktemp("beer") / "beer.duckdb"
    with Workspace(path) as ws:
        ws.ingest(data_path("stackexchange-beer"), name="beer.stackexchange.com")
    return path
