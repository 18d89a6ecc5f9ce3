"""The synthetic-community generator's own properties (``communitas synth``): seeded
determinism, output that ``communitas ingest`` reads (counts checked against the raw files with
the standard library), canonical Parquet, flat memory, and quantiles near a fitted store's.
Synthetic data is never used to check any metric's correctness."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest
from tests.conftest import run_cli

from communitas.model import TABLES
from communitas.store import Workspace
from communitas.synth import synthesize
from communitas.synth.measure import distributions


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _rows(path: Path) -> list[dict[str, str]]:
    return [e.attrib for e in ET.parse(path).getroot()]


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "dump"
    synthesize(out, 3000, seed=5)
    return out


def test_same_seed_same_bytes_other_seed_other_community(dump: Path, tmp_path: Path) -> None:
    synthesize(tmp_path / "again", 3000, seed=5)
    synthesize(tmp_path / "other", 3000, seed=6)
    assert _digest(tmp_path / "again") == _digest(dump)
    assert _digest(tmp_path / "other")["Posts.xml"] != _digest(dump)["Posts.xml"]


def test_the_dump_is_ingested_whole(dump: Path, tmp_path: Path) -> None:
    posts, comments = _rows(dump / "Posts.xml"), _rows(dump / "Comments.xml")
    users = _rows(dump / "Users.xml")
    questions = [r for r in posts if r["PostTypeId"] == "1"]
    assert len(posts) + len(comments) == 3000
    assert all(re.fullmatch(r"member\d+", u["DisplayName"]) for u in users)
    with Workspace(tmp_path / "s.duckdb") as ws:
        report = ws.ingest(dump, name="synthetic")
        assert not report.skipped
        assert report.counts["threads"] == len(questions)
        assert report.counts["members"] == len(users)
        n = ws.con.execute("SELECT count(*) FROM posts WHERE is_contribution").fetchone()
        assert n == (3000,)
        # every author is a member, every answer and comment hangs on a post of the dump
        orphans = ws.con.execute("""SELECT count(*) FROM posts p LEFT JOIN members m
                                    ON m.member_id = p.author_id WHERE m.member_id IS NULL""").fetchone()
        assert orphans == (0,)


def test_parquet_is_the_canonical_layout(tmp_path: Path) -> None:
    out = tmp_path / "pq"
    report = synthesize(out, 2000, seed=1, fmt="parquet")
    assert sorted(p.stem for p in out.iterdir()) == sorted(TABLES)
    with Workspace(tmp_path / "s.duckdb") as ws:
        for table, cols in TABLES.items():
            names = [r[0] for r in duckdb.sql(f"DESCRIBE SELECT * FROM '{out / table}.parquet'").fetchall()]
            assert names == list(cols), table
            ws.con.execute(f"INSERT INTO {table} SELECT * FROM '{out / table}.parquet'")
        assert ws.con.execute("SELECT count(*) FROM posts").fetchone() == (2000,)
        counts = json.loads(ws.con.execute("SELECT counts FROM sources").fetchone()[0])  # type: ignore[index]
        assert counts["posts"] == 2000 and counts["members"] == report.members


_PEAK = """
import resource, sys
from pathlib import Path
from communitas.synth import synthesize
synthesize(Path(sys.argv[2]), int(sys.argv[1]), seed=3)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_memory_stays_flat_from_10k_to_200k_posts(tmp_path: Path) -> None:
    peaks = [int(subprocess.run([sys.executable, "-c", _PEAK, str(n), str(tmp_path / str(n))], check=True,
                                capture_output=True, text=True).stdout.split()[-1]) / 1024
             for n in (10_000, 200_000)]
    sizes = [(tmp_path / str(n) / "Posts.xml").stat().st_size for n in (10_000, 200_000)]
    assert sizes[1] > 15 * sizes[0]
    assert peaks[1] - peaks[0] < 20, f"peak RSS {peaks[0]:.0f} MB at 10 k posts, {peaks[1]:.0f} MB at 200 k"


def test_a_community_fitted_to_the_beer_site_has_its_distributions(beer_store: Path, tmp_path: Path) -> None:
    real = distributions(beer_store)
    synthesize(tmp_path / "beer-like", real["posts"], like=beer_store, seed=2)
    with Workspace(tmp_path / "s.duckdb") as ws:
        ws.ingest(tmp_path / "beer-like", name="beer-like")
    synth = distributions(tmp_path / "s.duckdb")
    assert synth["posts"] == real["posts"]
    # quantiles 10, 25, 50, 75, 90 % (the 99th rests on a dozen members or threads)
    for a, b in zip(real["posts_per_member"][:5], synth["posts_per_member"][:5], strict=True):
        assert abs(a - b) <= max(1.0, 0.25 * a), (real["posts_per_member"], synth["posts_per_member"])
    for a, b in zip(real["replies_per_thread"][:5], synth["replies_per_thread"][:5], strict=True):
        assert abs(a - b) <= 1.0, (real["replies_per_thread"], synth["replies_per_thread"])
    for a, b in zip(real["response_hours"][1:5], synth["response_hours"][1:5], strict=True):
        assert 0.6 < b / a < 1.6, (real["response_hours"], synth["response_hours"])
    assert abs(real["no_response_share"] - synth["no_response_share"]) < 0.03
    assert abs(real["members"] - synth["members"]) < 0.25 * real["members"]


def test_cli_writes_the_dump(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["synth", "--posts", "500", "--seed", "4", "--out", str(tmp_path / "d")], capsys)
    assert code == 0, err
    assert "wrote 500 posts" in out
    synthesize(tmp_path / "lib", 500, seed=4)
    assert _digest(tmp_path / "d") == _digest(tmp_path / "lib")


def test_like_a_missing_store_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["synth", "--like", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "d")],
                           capsys)
    assert code == 2 and err.startswith("error: ") and "none.duckdb" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "d").exists()
