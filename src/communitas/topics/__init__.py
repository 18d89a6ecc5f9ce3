"""Common ties from what members write: topics, interests, emerging themes (all offline).

Use: ``model = analyse(ws, k="auto")`` then e.g. ``outputs.summary(model)``.

:func:`analyse` reads the threads of a store as documents (:mod:`.documents`), prepares their
text by its source's body format (:mod:`.text`), fits the default TF-IDF + NMF model (:mod:`.model`); the
functions of :mod:`.outputs` turn the fitted model into tables for the facilitator.
"""

from __future__ import annotations

from typing import Any

from communitas.topics.documents import Corpus, read_corpus
from communitas.topics.model import TopicModel, fit_topics


def analyse(ws: Any, *, source_id: str | None = None, k: int | str = "auto", seed: int = 0,
            since: Any = None, until: Any = None, place: str | None = None) -> TopicModel:
    """Read the store's threads (the contributions made in ``[since, until)``, in threads of
    ``place`` when given) and fit the default topic model on them."""
    return fit_topics(read_corpus(ws, source_id=source_id, since=since, until=until, place=place),
                      k=k, seed=seed)


__all__ = ["Corpus", "TopicModel", "analyse", "fit_topics", "read_corpus"]
