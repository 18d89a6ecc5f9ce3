"""Topics on the beer site, checked against the raw dump read here with gzip + xml.etree.

Measured when the test was written (seed 0, k chosen automatically = 10): NMI between each
thread's dominant topic and its first tag = 0.344; the same with the topics shuffled (20
permutations) = 0.135 on average, 0.148 at most. The bounds below keep a margin.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score
from tests.conftest import raw_rows

from communitas.cli.app import main
from communitas.store import Workspace
from communitas.topics import TopicModel, analyse, outputs

SID = "stackexchange:beer.stackexchange.com"


@pytest.fixture(scope="module")
def raw() -> dict[str, list[dict[str, str]]]:
    return {f: raw_rows("stackexchange-beer", f) for f in ("Posts", "Comments")}


@pytest.fixture(scope="module")
def first_tag(raw: dict[str, list[dict[str, str]]]) -> dict[str, str]:
    """Question id -> its first tag, straight from Posts.xml."""
    return {r["Id"]: r["Tags"][1:].split("><")[0].rstrip(">")
            for r in raw["Posts"] if r["PostTypeId"] == "1"}


@pytest.fixture(scope="module")
def ws(beer_store: Path) -> Iterator[Workspace]:
    with Workspace(beer_store, read_only=True) as w:
        yield w


@pytest.fixture(scope="module")
def model(ws: Workspace) -> TopicModel:
    return analyse(ws, k="auto", seed=0)


def _native(thread_id: str) -> str:
    return thread_id.rsplit(":", 1)[1]


def test_one_document_per_question(model: TopicModel, first_tag: dict[str, str]) -> None:
    assert sorted(_native(t) for t in model.docs["thread_id"]) == sorted(first_tag)
    assert model.languages == ["en"]
    best = max(model.k_scores.values())  # the smallest k within 0.01 of the best NPMI
    assert model.k == min(k for k, v in model.k_scores.items() if v >= best - 0.01)


def test_topics_agree_with_first_tag_better_than_chance(model: TopicModel, first_tag: dict[str, str]) -> None:
    tags = [first_tag[_native(t)] for t in model.docs["thread_id"]]
    topics = model.docs["topic"].to_numpy()
    nmi = normalized_mutual_info_score(tags, topics)
    rng = np.random.default_rng(0)
    shuffled = [normalized_mutual_info_score(tags, rng.permutation(topics)) for _ in range(20)]
    assert nmi >= 0.28
    assert nmi >= max(shuffled) + 0.12


def test_deterministic_with_a_fixed_seed(ws: Workspace, model: TopicModel) -> None:
    once, twice = analyse(ws, k=model.k, seed=0), analyse(ws, k=model.k, seed=0)
    assert np.array_equal(once.doc_topics, twice.doc_topics)
    # "auto" refits its chosen k exactly as an explicit k does (same topics; floats may differ
    # in the last bits because BLAS sums in a different order after the grid)
    assert np.allclose(once.doc_topics, model.doc_topics, atol=1e-5)
    assert once.docs["topic"].tolist() == model.docs["topic"].tolist()
    assert once.topics["top_terms"].tolist() == model.topics["top_terms"].tolist()
    assert once.topics["representative"].tolist() == model.topics["representative"].tolist()


def test_topic_rows_name_topics_by_terms_and_threads(model: TopicModel, raw: dict[str, list[dict[str, str]]]
                                                      ) -> None:
    titles = {r["Title"] for r in raw["Posts"] if r["PostTypeId"] == "1"}
    assert model.topics["threads"].sum() == 1029  # every question has text, so a dominant topic
    for row in model.topics.to_dict("records"):
        assert len(row["top_terms"]) == 10 and len(set(row["top_terms"])) == 10
        assert row["label"] == " · ".join(row["top_terms"][:3])
        assert 1 <= len(row["representative"]) <= 3
        assert set(row["representative"]) <= titles
    assert abs(model.topics["share"].sum() - 1) < 1e-6
    every_term = {t for terms in model.topics["top_terms"] for t in terms}
    assert {"wine", "whisky", "yeast"} <= every_term  # the site's big themes, read in the dump


def test_member_topic_profiles_sum_to_one(model: TopicModel) -> None:
    profiles = outputs.member_topic_profiles(model)
    assert list(profiles.columns) == list(range(model.k))
    assert np.allclose(profiles.sum(axis=1), 1.0, atol=1e-5)
    assert (profiles.to_numpy() >= 0).all()


def test_member_place_profile_matches_the_dump(model: TopicModel, raw: dict[str, list[dict[str, str]]],
                                               first_tag: dict[str, str]) -> None:
    question_of = {r["Id"]: r["Id"] if r["PostTypeId"] == "1" else r.get("ParentId", "")
                   for r in raw["Posts"] if r["PostTypeId"] in ("1", "2")}
    posts_by_user: Counter[str] = Counter()
    places: dict[str, Counter[str]] = {}
    authored = [(r.get("OwnerUserId"), r["Id"]) for r in raw["Posts"] if r["PostTypeId"] in ("1", "2")]
    authored += [(c.get("UserId"), c["PostId"]) for c in raw["Comments"]]
    for user, post in authored:
        q = question_of.get(post)
        if user and user != "-1" and q in first_tag:
            posts_by_user[user] += 1
            places.setdefault(user, Counter())[first_tag[q]] += 1
    profiles = outputs.member_place_profiles(model)
    assert np.allclose(profiles.sum(axis=1), 1.0)
    for user, _ in posts_by_user.most_common(3):
        row = profiles.loc[f"{SID}:u:{user}"]
        total = sum(places[user].values())
        expected = {f"{SID}:tag:{t}": n / total for t, n in places[user].items()}
        got = {p: v for p, v in row.items() if v > 0}
        assert got.keys() == expected.keys()
        assert all(abs(got[p] - expected[p]) < 1e-9 for p in expected)


def test_member_similarity_is_sparse_top_k_cosine(model: TopicModel) -> None:
    sim = outputs.member_similarity(model, top_k=3, min_posts=5, min_similarity=0.0)
    profiles = outputs.member_topic_profiles(model)
    assert sim.groupby("member_id").size().max() == 3
    assert (sim["member_id"] != sim["other_id"]).all()
    for row in sim.head(20).to_dict("records"):
        a, b = profiles.loc[row["member_id"]].to_numpy(), profiles.loc[row["other_id"]].to_numpy()
        cosine = float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
        assert abs(cosine - row["similarity"]) < 1e-4


def test_topics_over_time_counts_threads_per_year(model: TopicModel,
                                                  raw: dict[str, list[dict[str, str]]]) -> None:
    years = Counter(r["CreationDate"][:4] for r in raw["Posts"] if r["PostTypeId"] == "1")
    over = outputs.topics_over_time(model, period="year")
    per_year = over.groupby(over["period"].dt.year.astype(str))
    assert per_year["threads"].first().to_dict() == dict(years)
    assert np.allclose(per_year["share"].sum(), 1.0, atol=1e-5)


def test_places_and_demand(model: TopicModel, raw: dict[str, list[dict[str, str]]]) -> None:
    by_place = outputs.topics_by_place(model)
    # a thread counts once in each of its tags
    tagged = sum(r["Tags"].count("><") + 1 for r in raw["Posts"] if r["PostTypeId"] == "1")
    assert by_place["threads"].sum() == tagged
    wine = by_place[by_place["name"] == "wine"].sort_values("threads").iloc[-1]
    wine_topic = int(wine["topic"])
    assert "wine" in model.topics.at[wine_topic, "top_terms"]
    demand = outputs.place_demand(model)
    assert bool(demand.at[wine_topic, "has_home"]) and not bool(demand.at[wine_topic, "demand"])


def test_cli_json(beer_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["topics", "--store", str(beer_store), "-k", "5", "--period", "year", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["k"] == 5 and len(data["topics"]) == 5 and data["method"] == "tfidf-nmf"
    assert sum(t["threads"] for t in data["topics"]) == 1029
    with pytest.raises(SystemExit) as exc:
        main(["topics", "--store", str(beer_store), "-k", "many"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["topics", "--store", str(beer_store), "--source", "slack:nowhere"])
    assert exc.value.code == 2
    assert "slack:nowhere holds no threaded posts" in capsys.readouterr().err
