"""No e-mail address present in the shared mailing-list and Slack samples comes out of communitas:
not in the store's text, not in `export` (Parquet, CSV), not in the profile, members or network
JSON, not in the report. (They used to: 25 members' addresses appeared 106 times in posts.body.)
The addresses are gathered from the raw files at test time; none is written into the repository."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from tests.conftest import data_path, run_cli

from communitas.masking import ADDRESS
from communitas.store import Workspace

RAW_ADDRESS = re.compile(rb"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _raw_addresses() -> set[bytes]:
    found: set[bytes] = set()
    for mbox in data_path("mbox-usrp-users-2022").glob("*.mbox.gz"):
        found |= {a.lower() for a in RAW_ADDRESS.findall(gzip.decompress(mbox.read_bytes()))}
    for js in data_path("slack-houstondatavis", "export").rglob("*.json"):
        found |= {a.lower() for a in RAW_ADDRESS.findall(js.read_bytes())}
    # what the raw pattern takes that is no address: message ids and the like keep their "@", and
    # are not what is masked; keep the ones with a dotted domain of letters
    return {a for a in found if re.search(rb"\.[a-z]{2,}$", a)}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("addr") / "s.duckdb"
    with Workspace(path) as ws:
        ws.ingest(data_path("mbox-usrp-users-2022"))
        ws.ingest(data_path("slack-houstondatavis"))
    return path


def _leaks(blob: bytes, addresses: set[bytes]) -> set[bytes]:
    low = blob.lower()
    return {a for a in addresses if a in low}


def test_the_samples_hold_addresses() -> None:
    assert len(_raw_addresses()) > 25  # the check below means something


def test_no_text_column_holds_an_address(store: Path) -> None:
    with Workspace(store, read_only=True) as ws:
        for table, column in (("posts", "body"), ("threads", "title"), ("events", "detail"),
                              ("members", "display_name"), ("places", "name"), ("places", "description")):
            rows = ws.con.execute(f"SELECT {column} FROM {table} WHERE {column} LIKE '%@%'").fetchall()
            hits = [r[0] for r in rows if ADDRESS.search(r[0])]
            assert hits == [], (table, column, len(hits))
        masked = ws.con.execute("SELECT count(*) FROM posts WHERE body LIKE '%[address:%'").fetchall()
    assert masked[0][0] > 50  # the signatures and quotes are still there, masked


def test_no_output_holds_an_address(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    addresses = _raw_addresses()
    blobs: dict[str, bytes] = {}
    for fmt in ("parquet", "csv"):
        out = tmp_path / fmt
        assert run_cli(["export", "--format", fmt, str(out), "--store", str(store)], capsys)[0] == 0
        blobs.update({str(p): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    for args in (["profile", "--json"], ["members", "--json"], ["network", "--json"]):
        code, out_text, _ = run_cli([*args, "--store", str(store)], capsys)
        assert code == 0
        blobs[" ".join(args)] = out_text.encode()
    report = tmp_path / "r.html"
    assert run_cli(["report", "-o", str(report), "--names", "--store", str(store)], capsys)[0] == 0
    blobs["report"] = report.read_bytes()
    leaks = {name: len(_leaks(blob, addresses)) for name, blob in blobs.items()}
    assert {k: v for k, v in leaks.items() if v} == {}
