"""A site dumped as one .7z per file, as Stack Overflow is (``stackoverflow.com-Posts.7z``, ...).

Built here from the beer site's real XML (one LZMA2 archive per dump file, named the way the
official Stack Overflow dump names them); the store must equal the one read from the XML.gz
folder, table by table, read in one process or on two lanes.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import py7zr
import pyarrow as pa
import pytest
from tests.conftest import comparable, data_path

from communitas.errors import UnknownFormat
from communitas.model import SOURCE_TABLES, TABLES
from communitas.sources import stackexchange
from communitas.store import Workspace

SITE = "beer.stackexchange.com"


def _split_dump(folder: Path, site: str = SITE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for gz in sorted(data_path("stackexchange-beer").glob("*.xml.gz")):
        xml = folder / gz.name.removesuffix(".gz")
        xml.write_bytes(gzip.decompress(gz.read_bytes()))
        table = xml.name.removesuffix(".xml")
        with py7zr.SevenZipFile(folder / f"{site}-{table}.7z", "w",
                                filters=[{"id": py7zr.FILTER_LZMA2, "preset": 1}]) as archive:
            archive.write(xml, xml.name)
        xml.unlink()
    return folder


@pytest.fixture(scope="module")
def split_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _split_dump(tmp_path_factory.mktemp("split") / "dump")


def _rows(path: Path, table: str) -> pa.Table:
    cols = [c for c in TABLES[table] if c not in {"origin", "fingerprint", "ingested_at"}]
    with Workspace(path, read_only=True) as ws:
        select = ", ".join(comparable(table, c) for c in cols)
        return ws.con.sql(f"SELECT {select} FROM {table} ORDER BY ALL").to_arrow_table()


@pytest.mark.parametrize("lanes", [1, 2])
def test_split_archives_give_the_same_store(split_dump: Path, beer_store: Path, tmp_path: Path,
                                            lanes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(list(split_dump.glob("*.7z"))) == 8
    monkeypatch.setenv("COMMUNITAS_WORKERS", str(lanes))
    monkeypatch.setattr(stackexchange, "PARALLEL_MIN_BYTES", 0)  # beer is small: force the lanes
    store = tmp_path / "split.duckdb"
    with Workspace(store) as ws:
        report = ws.ingest(split_dump)
    assert report.source_id == f"stackexchange:{SITE}"  # named after the archives, not the folder
    assert report.warnings == []
    for table in (*SOURCE_TABLES, "sources"):
        got, want = _rows(store, table), _rows(beer_store, table)
        assert got.num_rows == want.num_rows > 0, table
        assert got.equals(want), table


def test_two_sites_archives_in_one_folder_are_refused(split_dump: Path, tmp_path: Path) -> None:
    folder = tmp_path / "two"
    folder.mkdir()
    for archive in sorted(split_dump.glob("*-Posts.7z")):
        (folder / archive.name).write_bytes(archive.read_bytes())
        (folder / "other.site.com-Posts.7z").write_bytes(archive.read_bytes())
    with Workspace(tmp_path / "s.duckdb") as ws, pytest.raises(UnknownFormat) as e:
        ws.ingest(folder)
    message = str(e.value)
    assert "both hold Posts.xml" in message and "other.site.com-Posts.7z" in message
    assert f"{SITE}-Posts.7z" in message
