"""The optional embeddings method, with a stand-in encoder (the real model is an optional extra).

The stand-in embeds a thread as the L2-normalised hashed bag of its words: deterministic, no
torch. The clustering, naming, k choice and outputs are the code under test.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.metrics import normalized_mutual_info_score
from tests.test_topics_text import _corpus

from communitas.cli.app import main
from communitas.errors import UsageError
from communitas.topics import embeddings, outputs


def _hashed(texts: Sequence[str]) -> np.ndarray:
    return HashingVectorizer(n_features=512, alternate_sign=False).transform(list(texts)).toarray()


def test_embedding_topics_recover_planted_themes() -> None:
    corpus, truth = _corpus()
    model = embeddings.fit_embedding_topics(corpus, k="auto", encoder=_hashed, grid=(2, 3, 4, 6),
                                            method="hashed-kmeans")
    assert model.method == "hashed-kmeans" and model.k == 3
    assert normalized_mutual_info_score(truth, model.docs["topic"]) == pytest.approx(1.0)
    assert {frozenset(t[:6]) for t in model.topics["top_terms"]} == {
        frozenset(["hops", "bitter", "ipa", "aroma", "citra", "pale"]),
        frozenset(["wine", "grape", "red", "cellar", "vintage", "tannin"]),
        frozenset(["yeast", "ferment", "sugar", "wort", "starter", "gravity"])}
    assert model.topics["threads"].tolist() == [30, 30, 30]
    profiles = outputs.member_topic_profiles(model)
    assert np.allclose(profiles.sum(axis=1), 1.0)
    assert outputs.summary(model)["method"] == "hashed-kmeans"


def test_deterministic() -> None:
    corpus, _ = _corpus()
    a = embeddings.fit_embedding_topics(corpus, k=3, encoder=_hashed, seed=0)
    b = embeddings.fit_embedding_topics(corpus, k=3, encoder=_hashed, seed=0)
    assert np.array_equal(a.doc_topics, b.doc_topics)
    assert a.topics["representative"].tolist() == b.topics["representative"].tolist()


def test_missing_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings, "MODEL_PACKAGE", "communitas_no_such_model_package")
    with pytest.raises(UsageError, match=r"communitas\[embeddings\]"):
        embeddings.load_encoder()


def test_cli_embeddings_method(beer_store: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings, "load_encoder", lambda: _hashed)
    main(["topics", "--store", str(beer_store), "--method", "embeddings", "-k", "5", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["method"] == "minilm-kmeans" and data["k"] == 5
    assert sum(t["threads"] for t in data["topics"]) == 1029
    with pytest.raises(SystemExit) as exc:
        main(["topics", "--store", str(beer_store), "--method", "lda"])
    assert exc.value.code == 2
