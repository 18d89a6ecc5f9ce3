"""Topics of one source in a store holding two (beer + the alcohol meta site), checked against the
raw dumps read here with gzip + xml.etree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from tests.conftest import data_path, raw_rows

from communitas.cli.app import main
from communitas.store import Workspace
from communitas.topics import read_corpus

BEER = "stackexchange:beer.stackexchange.com"
META = "stackexchange:alcohol.meta.stackexchange.com"


@pytest.fixture(scope="module")
def two_sources(beer_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("two") / "two.duckdb"
    shutil.copyfile(beer_store, path)
    with Workspace(path) as ws:
        ws.ingest(data_path("stackexchange-alcohol-meta"), name="alcohol.meta.stackexchange.com")
        sources = {sid for (sid,) in ws.con.execute("SELECT source_id FROM sources").fetchall()}
    assert sources == {BEER, META}
    return path


def _questions(folder: str) -> dict[str, str]:
    """Question id -> title, straight from Posts.xml, for the questions that have a post (question,
    answer or comment) by someone other than the Community account (-1), which is a system account
    and so never makes a thread on its own (4 meta threads are only the Community's)."""
    posts = raw_rows(folder, "Posts")
    question = {r["Id"]: r["Id"] if r["PostTypeId"] == "1" else r.get("ParentId", "") for r in posts
                if r["PostTypeId"] in ("1", "2")}
    human = {question.get(r["Id"]) for r in posts if r.get("OwnerUserId") != "-1"}
    human |= {question.get(c["PostId"]) for c in raw_rows(folder, "Comments") if c.get("UserId") != "-1"}
    return {r["Id"]: r["Title"] for r in posts if r["PostTypeId"] == "1" and r["Id"] in human}


def test_read_corpus_of_one_source(two_sources: Path) -> None:
    meta = _questions("stackexchange-alcohol-meta")
    with Workspace(two_sources, read_only=True) as ws:
        corpus = read_corpus(ws, source_id=META)
        both = read_corpus(ws)
        # each ingest recorded its source's declared body format: Stack Exchange bodies are HTML
        assert ws.con.execute("SELECT source_id, body_format FROM sources ORDER BY 1").fetchall() == [
            (META, "html"), (BEER, "html")]
    assert sorted(t.rsplit(":", 1)[1] for t in corpus.docs["thread_id"]) == sorted(meta)
    assert set(corpus.docs["source_id"]) == {META}
    assert set(corpus.posts["thread_id"]) == set(corpus.docs["thread_id"])
    assert len(both.docs) == len(meta) + len(_questions("stackexchange-beer"))


@pytest.mark.parametrize(("sid", "folder"),
                         [(META, "stackexchange-alcohol-meta"), (BEER, "stackexchange-beer")])
def test_cli_topics_of_one_source(two_sources: Path, sid: str, folder: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    titles = _questions(folder)
    main(["topics", "--store", str(two_sources), "--source", sid, "-k", "3", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["threads"] == len(titles)
    assert sum(t["threads"] for t in data["topics"]) == data["modelled_threads"] <= len(titles)
    examples = {r for t in data["topics"] for r in t["representative"]}
    assert examples and examples <= set(titles.values())


def test_read_corpus_in_a_window_and_a_place(two_sources: Path) -> None:
    """``--since``/``--until``/``--place`` (``topics``): the threads of tag ``hops`` with a
    contribution made in 2016, counted from the raw dump (dates are UTC, ISO, so they compare as
    text); the Community account (-1) is a system account and is left out."""
    posts = raw_rows("stackexchange-beer", "Posts")
    question = {r["Id"]: r["Id"] if r["PostTypeId"] == "1" else r.get("ParentId", "") for r in posts
                if r["PostTypeId"] in ("1", "2")}
    hops = {r["Id"] for r in posts if r["PostTypeId"] == "1" and "<hops>" in r.get("Tags", "")}
    made = [(question.get(r["Id"]), r["CreationDate"], r.get("OwnerUserId")) for r in posts]
    made += [(question.get(c["PostId"]), c["CreationDate"], c.get("UserId"))
             for c in raw_rows("stackexchange-beer", "Comments")]
    expected = {q for q, at, who in made if q in hops and "2016-01-01" <= at < "2017-01-01" and who != "-1"}
    with Workspace(two_sources, read_only=True) as ws:
        corpus = read_corpus(ws, source_id=BEER, since="2016-01-01", until="2017-01-01", place="hops")
    assert 5 <= len(expected) < len(hops)
    assert sorted(t.rsplit(":", 1)[1] for t in corpus.docs["thread_id"]) == sorted(expected)
    assert corpus.posts["created_at"].min() >= pd.Timestamp("2016-01-01", tz="UTC")
