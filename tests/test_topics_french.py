"""Topics on the French meta site (threads in French and in English) without stop-word artefacts.

Measured when written (k = 12, seed 0; 120 top terms): with the built-in stop lists of the
detected languages, 0 top terms are English stop words and 0 are French function words; with
the document-frequency ceiling alone (max_df = 0.5) 9 and 2 are; with neither, 27 and 19.
"""

from __future__ import annotations

import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from tests.conftest import data_path, raw_rows

from communitas.store import Workspace
from communitas.topics import TopicModel, analyse

FRENCH_FUNCTION_WORDS = {"le", "la", "les", "de", "des", "et", "un", "une", "du", "en", "au", "aux",
                         "il", "elle", "que", "qui", "pour", "pas", "est", "sur", "ce", "dans", "ne",
                         "se", "par", "je", "vous", "nous", "on", "mais", "ou"}


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> TopicModel:
    path = tmp_path_factory.mktemp("fr") / "fr.duckdb"
    with Workspace(path) as ws:
        ws.ingest(data_path("stackexchange-french-meta"))
        return analyse(ws, k="auto", seed=0)


def _threads_with_a_person() -> int:
    """Questions with at least one post or comment not written by the system account (-1)."""
    posts = raw_rows("stackexchange-french-meta", "Posts")
    question_of = {r["Id"]: r["Id"] if r["PostTypeId"] == "1" else r.get("ParentId", "")
                   for r in posts if r["PostTypeId"] in ("1", "2")}
    authored = [(r.get("OwnerUserId"), r["Id"]) for r in posts if r["PostTypeId"] in ("1", "2")]
    authored += [(c.get("UserId"), c["PostId"]) for c in raw_rows("stackexchange-french-meta", "Comments")]
    questions = {r["Id"] for r in posts if r["PostTypeId"] == "1"}
    return len({question_of[p] for u, p in authored
                if u != "-1" and question_of.get(p) in questions})


def test_both_languages_detected(model: TopicModel) -> None:
    assert model.languages == ["en", "fr"]
    assert len(model.docs) == _threads_with_a_person()


def test_no_english_stop_words_or_french_function_words_in_top_terms(model: TopicModel) -> None:
    top = [t for terms in model.topics["top_terms"] for t in terms]
    assert len(top) == 10 * model.k
    assert not [t for t in top if t in ENGLISH_STOP_WORDS]
    assert not [t for t in top if t in FRENCH_FUNCTION_WORDS]


def test_french_content_words_survive_with_their_accents(model: TopicModel) -> None:
    top = {t for terms in model.topics["top_terms"] for t in terms}
    assert {"réponse", "français"} <= top
    assert any(ch in t for t in top for ch in "éèêàçô")
