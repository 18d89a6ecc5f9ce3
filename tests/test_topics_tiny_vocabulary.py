"""Topics on a corpus left with one distinct word: a one-line usage error, not an IndexError."""

from __future__ import annotations

import pandas as pd
import pytest

from communitas.errors import UsageError
from communitas.topics.documents import Corpus
from communitas.topics.model import fit_topics


def _corpus(rare: list[str]) -> Corpus:
    """40 threads of one common word (in every thread: the max_df filter removes it) and, in ten of
    them, the ``rare`` words: what is left to model is exactly ``rare``."""
    days = [pd.Timestamp("2020-01-01", tz="UTC") + pd.Timedelta(days=i) for i in range(40)]
    docs = pd.DataFrame({"thread_id": [f"t{i}" for i in range(40)], "source_id": "s", "title": "",
                         "created_at": days, "place_id": "p0", "n_posts": 1,
                         "text": [("zorblax " * 14) + (" ".join(rare) if i < 10 else "") for i in range(40)],
                         "code": "", "hosts": ""})
    posts = pd.DataFrame({"post_id": docs["thread_id"] + "p", "thread_id": docs["thread_id"],
                          "author_id": "m", "created_at": docs["created_at"]})
    places = pd.DataFrame({"place_id": ["p0"], "name": ["x"], "kind": "tag"})
    return Corpus(docs, posts, places, docs[["thread_id", "place_id"]].copy())


def test_one_distinct_word_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"1 distinct word\(s\) in 40 thread\(s\)"):
        fit_topics(_corpus(["quintet"]), k="auto")
    with pytest.raises(UsageError, match="choose between 1 and 1"):
        fit_topics(_corpus(["quintet"]), k=2)
    assert fit_topics(_corpus(["quintet"]), k=1).k == 1


def test_three_distinct_words_still_model() -> None:
    model = fit_topics(_corpus(["quintet", "flamb", "gorp"]), k="auto")
    assert model.params["terms"] == 3 and model.k == 2
