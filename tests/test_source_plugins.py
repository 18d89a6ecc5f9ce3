"""Sources are plugins: the registry reads the ``communitas.sources`` entry points, built-in or
from another installed distribution (here a toy one, written as a real ``.dist-info`` on
``sys.path``), imports each only when needed and tries them in ``order``."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from communitas.errors import UnknownFormat, UsageError
from communitas.sources.registry import SOURCES, find_source
from communitas.store import Workspace

ROOT = Path(__file__).resolve().parents[1]

TOY = '''
from pathlib import Path
from communitas.model import SourceInfo
from communitas.sources.base import Batch, fingerprint_files


class GuestbookSource:
    platform = "guestbook"
    order = {order}

    def detect(self, path):
        return path.is_file() and path.suffix == ".guestbook"

    def describe(self, path, name=None):
        return SourceInfo(self.platform, name or path.stem, str(path.resolve()), fingerprint_files([path]))

    def read(self, path, ctx):
        lines = path.read_text().splitlines()
        sid = ctx.source_id
        yield Batch("posts", {{"post_id": [f"{{sid}}:p:{{i}}" for i in range(len(lines))],
                               "source_id": [sid] * len(lines), "created_at": ["2024-01-01"] * len(lines),
                               "kind": ["message"] * len(lines), "is_contribution": [True] * len(lines),
                               "body": lines}})
'''


def _install(site: Path, name: str, entry_points: str, module: str = "", source: str = "") -> None:
    """A minimal installed distribution: ``<name>-1.0.dist-info`` with its entry points."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[communitas.sources]\n{entry_points}\n")
    if module:
        (site / f"{module}.py").write_text(source)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    SOURCES.reload()
    yield folder
    for mod in [m for m in sys.modules if m.startswith("toy_")]:
        del sys.modules[mod]
    monkeypatch.undo()
    SOURCES.reload()


def test_every_built_in_source_is_an_entry_point() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"][
        "communitas.sources"]
    modules = {p.stem for p in (ROOT / "src" / "communitas" / "sources").glob("*.py")}
    assert set(declared) == set(SOURCES.names())
    for platform, target in declared.items():
        module, _, cls = target.partition(":")
        assert module.rsplit(".", 1)[-1] in modules
        assert SOURCES[platform].platform == platform and type(SOURCES[platform]).__name__ == cls
    first = ["stackexchange", "mbox", "discourse", "slack", "discord", "zulip", "github-discussions"]
    assert [p for p in SOURCES if p in first] == first


def test_a_third_party_source_is_detected_and_ingested(site: Path, tmp_path: Path) -> None:
    _install(site, "toy_guestbook", "guestbook = toy_guestbook:GuestbookSource", "toy_guestbook",
             TOY.format(order=100))
    book = tmp_path / "garden.guestbook"
    book.write_text("hello\nwelcome\n")
    order = list(SOURCES)
    assert order.index("guestbook") > order.index("github-discussions")  # default order: after the built-ins
    assert find_source(book).platform == "guestbook"
    with Workspace(tmp_path / "w.duckdb") as ws:
        report = ws.ingest(book)
    assert report.source_id == "guestbook:garden" and report.counts["posts"] == 2


def test_order_decides_which_source_claims_a_path_first(site: Path, tmp_path: Path) -> None:
    """A plugin with a low order is tried before the built-ins (here it claims a Discourse topic)."""
    _install(site, "toy_early", "early = toy_early:GuestbookSource", "toy_early", TOY.format(order=1)
             .replace('path.suffix == ".guestbook"', 'path.suffix == ".json"'))
    topic = tmp_path / "t.json"
    topic.write_text('{"id": 1, "post_stream": {"posts": []}}')
    assert next(iter(SOURCES)) == "early" and find_source(topic).platform == "guestbook"


def test_a_broken_plugin_is_named_and_does_not_stop_detection(site: Path, tmp_path: Path) -> None:
    _install(site, "toy_broken", "broken = toy_missing_module:Nothing")
    with pytest.raises(UsageError, match=r"'broken'.*cannot be loaded"):
        find_source(tmp_path, "broken")
    assert "broken" not in list(SOURCES)
    assert find_source(ROOT / "pyproject.toml", "mbox").platform == "mbox"
    with pytest.raises(UnknownFormat, match="cannot be loaded: broken"):
        find_source(ROOT / "pyproject.toml")


def test_listing_platforms_imports_no_source() -> None:
    code = ("import sys\nfrom communitas.sources.registry import SOURCES\nnames = SOURCES.names()\n"
            "print(len(names), sorted(m for m in sys.modules if m.startswith('communitas.sources.') "
            "and m.rsplit('.', 1)[-1] not in ('registry', 'base')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"{len(SOURCES.names())} []"


def test_the_new_sources_import_neither_duckdb_nor_other_platforms() -> None:
    """What a parsing worker would import to read Zulip or GitHub files: no store, no DuckDB, no
    other platform."""
    code = ("import sys, communitas.sources.zulip, communitas.sources.github_discussions\n"
            "print(sorted(m for m in sys.modules if m in ('duckdb', 'communitas.store', 'py7zr') or "
            "m.rsplit('.', 1)[-1] in ('mbox', 'discord', 'slack', 'discourse', 'stackexchange')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
