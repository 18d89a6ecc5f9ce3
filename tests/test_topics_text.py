"""Text preparation, the model on a corpus built in code, trends, demand for a place, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.metrics import normalized_mutual_info_score
from tests.conftest import data_path

from communitas.errors import StoreError
from communitas.markup import strip_quotes
from communitas.store import Workspace
from communitas.topics import Corpus, fit_topics, outputs, read_corpus
from communitas.topics.model import npmi_coherence
from communitas.topics.text import format_for, prepare, words


def test_html_code_kept_apart_and_links_reduced_to_hosts() -> None:
    body = ("<p>Use <code>make_usrp()</code> as in <a href='https://www.Ettus.com/docs?x=1'>the docs</a>."
            "</p><pre><code>int main() { return uhd_init(); }</code></pre><p>See http://files.example.org/a.</p>")
    p = prepare(body, "html")
    assert words(p.text) == ["use", "as", "in", "the", "docs", "see"]
    assert "make_usrp()" in p.code and "uhd_init()" in p.code
    assert p.hosts == ["ettus.com", "files.example.org"]


def test_markdown_chat_and_email() -> None:
    md = ("Hi <@U123> look:\n```python\nimport pandas\n```\n"
          "and `df.plot()` at <https://github.com/x|repo> :tada:")
    p = prepare(md, "markdown")
    assert words(p.text) == ["hi", "look", "and", "at", "repo"]
    assert "import pandas" in p.code and "df.plot()" in p.code
    assert p.hosts == ["github.com"]
    mail = ("Thanks, that works.\n\nOn Tue, Jan 4, 2022 Bob wrote:\n> try --rate\n> ok\n"
            "-- \nAlice Example\nLab")
    assert strip_quotes(mail) == "Thanks, that works."
    assert words(prepare(mail, "email").text) == ["thanks", "that", "works"]


def test_format_is_sniffed_for_html_whatever_the_source_declares() -> None:
    assert format_for("html", "plain") == "html"
    assert format_for("markdown", "<p>cooked</p>") == "html"
    assert format_for("markdown", "<@U1> hi </b>") == "markdown"
    assert format_for("email", "hello") == "email"
    assert format_for(None, "hello") == "markdown"  # a source that declared nothing


MAIL = "Thanks, that works.\n-- \nAlice Example"  # a signature: only e-mail reading drops it


def _two_sources(ws: Workspace) -> None:
    """One thread per source, the same body; the sources declare e-mail and Markdown."""
    for sid, fmt in (("m:list", "email"), ("c:chat", "markdown")):
        ws.con.execute("INSERT INTO sources (source_id, platform, name, body_format) VALUES (?, 'x', ?, ?)",
                       [sid, sid, fmt])
        ws.con.execute("INSERT INTO threads (thread_id, source_id, created_at) VALUES (?, ?, '2021-01-01')",
                       [sid + ":t", sid])
        ws.con.execute("INSERT INTO posts (post_id, source_id, thread_id, author_id, created_at, kind, "
                       "is_contribution, body) VALUES (?, ?, ?, ?, '2021-01-01', 'message', true, ?)",
                       [sid + ":p", sid, sid + ":t", sid + ":u", MAIL])


def test_topics_read_each_sources_declared_body_format(tmp_path: Path) -> None:
    with Workspace(tmp_path / "f.duckdb") as ws:
        _two_sources(ws)
        docs = read_corpus(ws).docs.set_index("source_id")["text"]
    assert words(docs["m:list"]) == ["thanks", "that", "works"]
    assert words(docs["c:chat"]) == ["thanks", "that", "works", "alice", "example"]


def test_a_store_from_before_body_format_gets_it_from_its_sources(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Workspace(path) as ws:
        ws.con.execute("ALTER TABLE sources DROP COLUMN body_format")  # as an older communitas made it
        ws.con.executemany("INSERT INTO sources (source_id, platform, name) VALUES (?, ?, 'n')",
                           [("a", "mbox"), ("b", "stackexchange"), ("c", "slack"), ("d", "gone-plugin")])
    with Workspace(path, read_only=True) as ws:  # read-only: the column is missing, the formats are not
        from communitas.topics.documents import body_formats

        assert body_formats(ws.ibis()) == {"a": "email", "b": "html", "c": "markdown", "d": "markdown"}
    with Workspace(path) as ws:  # opened for writing: the column is added and filled
        rows = ws.con.execute("SELECT source_id, body_format FROM sources ORDER BY 1").fetchall()
    assert rows == [("a", "email"), ("b", "html"), ("c", "markdown"), ("d", "markdown")]


def _corpus(n_per_topic: int = 30, seed: int = 1) -> tuple[Corpus, list[int]]:
    """Three themes with their own vocabularies plus shared filler words."""
    rng = np.random.default_rng(seed)
    vocab = [["hops", "bitter", "ipa", "aroma", "citra", "pale"],
             ["wine", "grape", "red", "cellar", "vintage", "tannin"],
             ["yeast", "ferment", "sugar", "wort", "starter", "gravity"]]
    filler = ["the", "and", "people", "really", "question", "good"]
    rows, truth = [], []
    for i in range(3 * n_per_topic):
        topic = i % 3
        text = " ".join(rng.choice(vocab[topic], 12).tolist() + rng.choice(filler, 6).tolist())
        rows.append({"thread_id": f"t{i}", "source_id": "s", "title": f"thread {i}",
                     "created_at": pd.Timestamp("2020-01-01", tz="UTC") + pd.Timedelta(days=7 * i),
                     "place_id": f"p{topic}", "n_posts": 1, "text": text, "code": "", "hosts": ""})
        truth.append(topic)
    docs = pd.DataFrame(rows)
    posts = pd.DataFrame({"post_id": docs["thread_id"] + "p", "thread_id": docs["thread_id"],
                          "author_id": [f"m{i % 7}" for i in range(len(docs))],
                          "created_at": docs["created_at"]})
    places = pd.DataFrame({"place_id": ["p0", "p1", "p2"], "name": ["hops", "wine", "yeast"],
                           "kind": "tag"})
    return Corpus(docs, posts, places, docs[["thread_id", "place_id"]].copy()), truth


def test_model_recovers_planted_themes_and_picks_k() -> None:
    corpus, truth = _corpus()
    model = fit_topics(corpus, k="auto", seed=0, grid=(2, 3, 4, 6))
    assert model.k == 3
    assert normalized_mutual_info_score(truth, model.docs["topic"]) == pytest.approx(1.0)
    assert {frozenset(t[:6]) for t in model.topics["top_terms"]} == {
        frozenset(["hops", "bitter", "ipa", "aroma", "citra", "pale"]),
        frozenset(["wine", "grape", "red", "cellar", "vintage", "tannin"]),
        frozenset(["yeast", "ferment", "sugar", "wort", "starter", "gravity"])}
    assert np.allclose(model.doc_topics.sum(axis=1), 1.0, atol=1e-6)
    demand = outputs.place_demand(model)
    assert demand["has_home"].all() and not demand["demand"].any()


def test_a_theme_scattered_over_places_is_demand_for_a_place() -> None:
    corpus, _ = _corpus()
    # 30 yeast threads: 12 moved to the hops place (12 of 42 threads there = 0.29 < 0.3), 12 to the
    # wine place (same), 6 stay in the yeast place (about yeast, but only 6 / 30 = 0.2 < 0.3 of it)
    yeast = corpus.docs.index[corpus.docs["place_id"] == "p2"]
    corpus.docs.loc[yeast, "place_id"] = ["p0"] * 12 + ["p1"] * 12 + ["p2"] * 6
    corpus.thread_places = corpus.docs[["thread_id", "place_id"]].copy()
    model = fit_topics(corpus, k=3, seed=0)
    yeast_topic = int(model.docs.loc[yeast[0], "topic"])
    demand = outputs.place_demand(model).set_index("topic")
    assert bool(demand.at[yeast_topic, "demand"])
    assert demand.at[yeast_topic, "home_coverage"] == pytest.approx(0.2)
    assert demand["demand"].sum() == 1


def _over_time(series: dict[int, list[float]]) -> pd.DataFrame:
    rows = []
    for topic, values in series.items():
        for i, v in enumerate(values):
            rows.append({"period": pd.Timestamp("2021-01-01", tz="UTC") + pd.DateOffset(months=i),
                         "topic": topic, "threads": 10, "share": v})
    return pd.DataFrame(rows)


def test_trends_use_mann_kendall() -> None:
    up = [0.1, 0.12, 0.15, 0.2, 0.22, 0.3, 0.31, 0.4]
    noisy = [0.2, 0.3, 0.1, 0.25, 0.15, 0.3, 0.1, 0.2]
    trends = outputs.topic_trends(_over_time({0: up, 1: up[::-1], 2: noisy}), last=8).set_index("topic")
    assert trends["trend"].tolist() == ["rising", "falling", "steady"]
    # strictly monotone series of 8: tau = ±1, exact two-sided p = 2 / 8!
    assert trends.at[0, "tau"] == pytest.approx(1.0)
    assert trends.at[0, "p_value"] == pytest.approx(2 / 40320)
    short = outputs.topic_trends(_over_time({0: up}), last=3)
    assert short["trend"].tolist() == ["too short"]


def test_no_text_store_says_to_reingest(tmp_path: Path) -> None:
    with Workspace(tmp_path / "notext.duckdb") as ws:
        ws.ingest(data_path("stackexchange-alcohol-meta"), keep_bodies=False)
        with pytest.raises(StoreError, match=r"--no-text.*Re-ingest"):
            read_corpus(ws)


def test_npmi_by_hand() -> None:
    # 4 threads; a and b always together (NPMI 1), a and c independent (0), b and d never (-1)
    binary = sp.csc_matrix(np.array([[1, 1, 1, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]],
                                    dtype=np.float32))
    assert npmi_coherence(np.array([[2.0, 1.0, 0, 0]]), binary) == pytest.approx(1.0)
    assert npmi_coherence(np.array([[2.0, 0, 1.0, 0]]), binary) == pytest.approx(0.0, abs=1e-9)
    assert npmi_coherence(np.array([[0, 2.0, 0, 1.0]]), binary) == pytest.approx(-1.0)
    # a topic's score is the mean over its pairs: (a,b)=1, (a,c)=0, (b,c)=0
    assert npmi_coherence(np.array([[3.0, 2.0, 1.0, 0]]), binary) == pytest.approx(1 / 3)


def test_terms_are_words_without_superscripts_or_other_numbers() -> None:
    # shaped like Stack Exchange bodies: footnote markers and chemical formulas typed as superscripts
    body = ("<p>The study was reviewed⁴ twice; Perdue¹ measured CO² at ½ bar, see note ① and the "
            "ﬁnal table in ＩＢＵ.</p>")
    got = words(prepare(body, "html").text)
    assert got == ["the", "study", "was", "reviewed", "twice", "perdue", "measured", "co", "at", "bar",
                   "see", "note", "and", "the", "final", "table", "in", "ibu"]
    assert all(w.isalpha() for w in got)
    # letters of every script and their accents stay whole
    assert words("Bière brassée à Köln, пиво, ビール") == ["bière", "brassée", "köln", "пиво", "ビール"]


def test_beer_posts_with_superscripts_give_letter_only_terms(beer_store: Path) -> None:
    import re

    with Workspace(beer_store, read_only=True) as ws:
        bodies = [b for (b,) in ws.con.execute("SELECT body FROM posts WHERE body IS NOT NULL").fetchall()]
    sup = re.compile("[\u00b9\u00b2\u00b3\u2070-\u2079]")
    marked = [b for b in bodies if sup.search(b)]
    assert len(marked) == 3  # "Perdue¹", "CO²" (counted with a plain regex over the stored bodies)
    for body in marked:
        assert all(w.isalpha() for w in words(prepare(body, "html").text))


def test_a_theme_is_read_by_its_words_not_its_link_hosts() -> None:
    from communitas.topics.model import describe_topics

    terms = np.array(["ondemand", "site:github.com", "open", "code:sbatch", "slurm"])
    h = np.array([[0.9, 0.8, 0.5, 0.4, 0.0]])  # site:github.com weighs second in the fit
    docs = pd.DataFrame({"thread_id": ["t1"], "title": ["Jobs"], "topic": [0]})
    row = describe_topics(np.ones((1, 1)), h, terms, docs, n_terms=3).iloc[0]
    assert row["top_terms"] == ["ondemand", "open", "code:sbatch"]  # slurm has no weight: not a term
    assert row["label"] == "ondemand · open · code:sbatch"
