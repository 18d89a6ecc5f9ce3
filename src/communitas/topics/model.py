"""The default topic model: TF-IDF + NMF on threads, k chosen by measured topic coherence.

* Features: the words of each thread (function words of the languages the corpus is written in
  removed; see :mod:`communitas.topics.stopwords`), plus its code identifiers as ``code:<name>``
  and its link hosts as ``site:<host>``. TF-IDF with sublinear term frequency; a term must occur
  in at least ``min_df`` threads and in at most ``max_df`` of them (the statistical filter that
  removes whatever is frequent in *this* community, in any language).
* Model: scikit-learn NMF (coordinate descent, at most 200 iterations, tol 1e-3) started from
  NNDSVDa factors of one randomized truncated SVD (fixed ``random_state``), so the same store and
  seed give the same topics.
* Number of topics: with ``k="auto"`` every k of a small grid is fitted and scored by the mean
  NPMI coherence of each topic's top terms (co-occurrence in threads of the same corpus); the k
  with the highest score wins, except that the smallest k within 0.01 of the best score is
  preferred: 0.01 is the seed-to-seed spread of NPMI at a fixed k on the beer site (standard
  deviation 0.005-0.011 over 4 seeds), so closer scores are not a measured difference.
"""

from __future__ import annotations

import math
import os
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import filterfalse
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.extmath import randomized_svd

from communitas.errors import UsageError
from communitas.topics.documents import Corpus
from communitas.topics.stopwords import STOP_WORDS, detect_language
from communitas.topics.text import code_tokens, words

K_GRID = (4, 6, 8, 10, 12, 15, 20, 25, 30)
TOP_TERMS = 10
HOST = "site:"  # the prefix of a link-host feature (a thread linking github.com has site:github.com)
K_TOLERANCE = 0.01  # parsimony: the smallest k whose NPMI is within 0.01 of the best (seed noise)
MIN_TOKENS = 10  # threads with fewer features are too short to model (chat small talk)
K_SAMPLE = 4000  # threads the k grid is scored on, at most
FIT_SAMPLE = 30000  # threads the topics (H) are fitted on, at most; every thread's mix is then solved
GRID_THREADS = 4  # k-grid fits run at once, at most (and never more than the CPUs)
LANGUAGE_SAMPLE = 5000  # threads the corpus languages are detected on, at most
LANGUAGE_SHARE = 0.1  # a language counts for a corpus when it is detected in >= 10% of its threads


@dataclass
class TopicModel:
    """A fitted topic model and everything the outputs need."""

    k: int
    k_scores: dict[int, float]
    languages: list[str]
    topics: pd.DataFrame  # topic, label, top_terms, threads, share, representative
    doc_topics: np.ndarray  # (threads, k), rows sum to 1 (0 for empty threads)
    docs: pd.DataFrame  # thread_id, source_id, title, created_at, place_id, n_posts, topic
    posts: pd.DataFrame  # post_id, thread_id, author_id, created_at
    places: pd.DataFrame  # place_id, name, kind
    thread_places: pd.DataFrame  # thread_id, place_id
    method: str = "tfidf-nmf"
    criterion: str = "npmi"
    seed: int = 0
    params: dict[str, Any] = field(default_factory=dict)


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def tokenize(docs: pd.DataFrame, *, stop_words: bool = True) -> tuple[list[list[str]], list[str]]:
    """Feature tokens per document, and the corpus languages whose function words were removed."""
    prose = [words(t) for t in docs["text"]]
    sample = prose
    if len(prose) > LANGUAGE_SAMPLE:  # a fixed sample: shares of 10% are well measured on 5,000 threads
        rows = np.sort(np.random.default_rng(0).choice(len(prose), LANGUAGE_SAMPLE, replace=False))
        sample = [prose[i] for i in rows]
    detected = Counter(lang for lang in map(detect_language, sample) if lang)
    n = max(len(sample), 1)
    languages = sorted(lang for lang, c in detected.items() if c / n >= LANGUAGE_SHARE)
    if not languages and detected:
        languages = [detected.most_common(1)[0][0]]
    stop: set[str] = set().union(*(STOP_WORDS[lang] for lang in languages)) if stop_words else set()
    out = []
    for ws, code, hosts in zip(prose, docs["code"], docs["hosts"], strict=True):
        toks = list(filterfalse(stop.__contains__, ws))
        if code.strip():
            toks.extend("code:" + c for c in code_tokens(code) if c not in stop)
        if hosts:
            toks.extend(HOST + h for h in hosts.split())
        out.append(toks)
    return out, languages


def vectorize(tokens: list[list[str]], *, min_df: int = 2, max_df: float = 0.5,
              max_features: int = 20000) -> tuple[sp.csr_matrix, np.ndarray]:
    """TF-IDF matrix (threads x terms) and the term names."""
    n = len(tokens)
    vec = TfidfVectorizer(analyzer=_identity, min_df=min(min_df, n), max_df=max_df if n >= 10 else 1.0,
                          sublinear_tf=True, max_features=max_features, dtype=np.float32)
    try:
        x = vec.fit_transform(tokens)
    except ValueError:  # every term filtered out
        raise UsageError("too little text for topics: no word occurs in at least two threads. "
                         "Ingest a larger community, or more of it.") from None
    return x.tocsr(), vec.get_feature_names_out()


def npmi_coherence(h: np.ndarray, binary: sp.csc_matrix, top: int = TOP_TERMS) -> float:
    """Mean NPMI of the top-term pairs of each topic, from co-occurrence in documents.

    NPMI(a, b) = log(P(a,b) / (P(a) P(b))) / -log P(a,b), -1 when a and b never co-occur.
    """
    n_docs = binary.shape[0]
    scores = []
    for row in h:
        idx = np.argsort(-row, kind="stable")[:top]
        idx = idx[row[idx] > 0]
        if len(idx) < 2:
            continue
        sub = binary[:, idx]
        co = (sub.T @ sub).toarray() / n_docs
        p = np.diag(co)
        vals = []
        for i in range(len(idx)):
            for j in range(i + 1, len(idx)):
                pij = co[i, j]
                vals.append(-1.0 if pij <= 0 else
                            (math.log(pij / (p[i] * p[j])) / -math.log(pij) if pij < 1 else 1.0))
        scores.append(float(np.mean(vals)))
    return float(np.mean(scores)) if scores else -1.0


def nndsvda(x: sp.csr_matrix, svd: tuple[np.ndarray, np.ndarray, np.ndarray], k: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """NNDSVD initial factors from the first ``k`` singular triplets, zeros filled with the mean
    of ``x`` (Boutsidis & Gallopoulos 2008; the same rule as scikit-learn's ``init="nndsvda"``).

    One truncated SVD serves every k of the grid: its first k triplets are the k-SVD.
    """
    u, s, v = svd
    w, h = np.zeros((x.shape[0], k)), np.zeros((k, x.shape[1]))
    w[:, 0], h[0] = np.sqrt(s[0]) * np.abs(u[:, 0]), np.sqrt(s[0]) * np.abs(v[0])
    for j in range(1, k):
        a, b = u[:, j], v[j]
        ap, bp, an, bn = np.maximum(a, 0), np.maximum(b, 0), -np.minimum(a, 0), -np.minimum(b, 0)
        pos = np.linalg.norm(ap) * np.linalg.norm(bp)
        neg = np.linalg.norm(an) * np.linalg.norm(bn)
        uu, vv, sigma = (ap, bp, pos) if pos > neg else (an, bn, neg)
        if sigma <= 0:
            continue
        scale = np.sqrt(s[j] * sigma)
        w[:, j] = scale * uu / np.linalg.norm(uu)
        h[j] = scale * vv / np.linalg.norm(vv)
    mean = float(x.sum() / (x.shape[0] * x.shape[1]))
    w[w < 1e-6], h[h < 1e-6] = mean, mean
    return w.astype(x.dtype), h.astype(x.dtype)


def truncated_svd(x: sp.csr_matrix, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u, s, v = randomized_svd(x, k, n_iter=3, random_state=seed)  # a start, not an answer
    return u, s, v


def fit_nmf(x: sp.csr_matrix, k: int, seed: int,
            svd: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """W (threads x k) and H (k x terms), coordinate descent from an NNDSVDa start."""
    w0, h0 = nndsvda(x, svd if svd is not None else truncated_svd(x, k, seed), k)
    nmf = NMF(n_components=k, init="custom", random_state=seed, max_iter=200, tol=1e-3)
    with warnings.catch_warnings():  # 200 iterations is the stated cap, not a problem to report
        warnings.simplefilter("ignore", ConvergenceWarning)
        w = nmf.fit_transform(x, W=w0, H=h0)
    return w, nmf.components_


def fit_all(x: sp.csr_matrix, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """W and H for every thread. Up to ``FIT_SAMPLE`` threads this is :func:`fit_nmf` on all of them;
    above, the topics H are fitted on a fixed random sample of ``FIT_SAMPLE`` threads (same seed,
    same sample) and each thread's weights are then solved against H (:func:`solve_w`), which
    costs one pass over the matrix instead of two per iteration."""
    if x.shape[0] <= FIT_SAMPLE:
        return fit_nmf(x, k, seed)
    rows = np.sort(np.random.default_rng(seed).choice(x.shape[0], FIT_SAMPLE, replace=False))
    h = fit_nmf(x[rows], k, seed)[1]
    return solve_w(x, h), h


def solve_w(x: sp.csr_matrix, h: np.ndarray, max_iter: int = 200, tol: float = 1e-4) -> np.ndarray:
    """Non-negative W minimising ||X - WH|| for a fixed H: the W half of NMF's coordinate descent
    (the same update as scikit-learn's, without regularisation), on X H' and H H' computed once."""
    xht = np.asarray(x @ h.T, dtype=np.float64)
    hht = (h @ h.T).astype(np.float64)
    w = np.maximum(xht @ np.linalg.pinv(hht), 0.0)
    diag = np.maximum(np.diag(hht), 1e-12)
    for _ in range(max_iter):
        change = 0.0
        for t in range(h.shape[0]):
            new = np.maximum(w[:, t] - (w @ hht[:, t] - xht[:, t]) / diag[t], 0.0)
            change = max(change, float(np.abs(new - w[:, t]).max()))
            w[:, t] = new
        if change <= tol * max(float(w.max()), 1e-12):
            break
    return w.astype(x.dtype)


def choose_k(x: sp.csr_matrix, seed: int, grid: tuple[int, ...] = K_GRID
             ) -> tuple[int, dict[int, float], tuple[np.ndarray, np.ndarray]]:
    """Fit each k of ``grid`` that the corpus can support and keep the most coherent one.

    On corpora of more than ``K_SAMPLE`` threads the grid is scored on a fixed random sample of
    ``K_SAMPLE`` threads (same seed, same sample). The grid shares one truncated SVD for its
    starting points; the chosen k is then fitted again on all threads from its own k-SVD start.
    """
    limit = min(max(2, min(x.shape[0] // 10, x.shape[1] // 5)), min(x.shape))
    ks = [k for k in grid if k <= limit] or [min(2, limit)]
    sample = x
    if x.shape[0] > K_SAMPLE:
        rows = np.sort(np.random.default_rng(seed).choice(x.shape[0], K_SAMPLE, replace=False))
        sample = x[rows]
    binary = (sample > 0).astype(np.float32).tocsc()
    svd = truncated_svd(sample, max(ks), seed)

    def score(k: int) -> float:
        return round(npmi_coherence(fit_nmf(sample, k, seed, svd)[1], binary), 4)

    # the fits are independent and spend their time in code that releases the GIL (sparse products,
    # the coordinate descent): threads run them side by side, with the same results as one by one
    with ThreadPoolExecutor(max_workers=max(1, min(GRID_THREADS, os.cpu_count() or 1))) as pool:
        scores = dict(zip(ks, pool.map(score, ks), strict=True))
    best_score = max(scores.values())
    best = min(k for k, s in scores.items() if s >= best_score - K_TOLERANCE)
    # refit with the k-SVD start, so that auto and an explicit k give the very same topics
    return best, scores, fit_all(x, best, seed)


def fit_topics(corpus: Corpus, *, k: int | str = "auto", seed: int = 0, min_df: int = 2,
               max_df: float = 0.5, grid: tuple[int, ...] = K_GRID, stop_words: bool = True,
               min_tokens: int = MIN_TOKENS) -> TopicModel:
    """Fit the default model on ``corpus``; ``k`` is a number of topics or ``"auto"``.

    Threads with fewer than ``min_tokens`` features (words after stop words, code identifiers,
    hosts) are too short to carry a theme: they are not modelled (topic -1, no shares).
    ``stop_words=False`` keeps the function words (only the ``max_df`` filter removes frequent
    terms); it exists to measure what the stop lists are worth (``docs/topics.md``).
    """
    tokens, languages = tokenize(corpus.docs, stop_words=stop_words)
    keep = np.array([len(t) >= min_tokens for t in tokens], dtype=bool)
    if not keep.any():
        raise UsageError(f"too little text for topics: no thread has {min_tokens} words or more. "
                         "Ingest a larger community, or more of it.")
    if keep.sum() < 2:
        raise UsageError(f"too little text for topics: only one thread has {min_tokens} words or more, "
                         "and themes need at least two. Ingest a larger community, or more of it.")
    x, terms = vectorize([t for t, kept in zip(tokens, keep, strict=True) if kept],
                         min_df=min_df, max_df=max_df)
    if k == "auto" and min(x.shape) < 2:
        raise UsageError(f"too little text for topics: {x.shape[1]} distinct word(s) in {x.shape[0]} "
                         "thread(s) once the most common words are set aside; themes need two of "
                         "each. Ingest a larger community, or more of it.")
    if k == "auto":
        k_best, scores, (w, h) = choose_k(x, seed, grid)
    else:
        k_best = int(k)
        if not 1 <= k_best <= min(x.shape):
            raise UsageError(f"--topics {k}: choose between 1 and {min(x.shape)} for this corpus, or auto.")
        w, h = fit_all(x, k_best, seed)
        scores = {k_best: round(npmi_coherence(h, (x > 0).astype(np.float32).tocsc()), 4)}
    w = _scatter(w, keep)
    totals = w.sum(axis=1, keepdims=True)
    share = np.divide(w, totals, out=np.zeros_like(w), where=totals > 0)
    docs = corpus.docs.drop(columns=["text", "code", "hosts"]).copy()
    docs["topic"] = np.where(totals[:, 0] > 0, share.argmax(axis=1), -1)
    topics = describe_topics(w, h, terms, docs)
    return TopicModel(k=k_best, k_scores=scores, languages=languages, topics=topics, doc_topics=share,
                      docs=docs, posts=corpus.posts, places=corpus.places,
                      thread_places=corpus.thread_places, seed=seed,
                      params={"min_df": min_df, "max_df": max_df, "stop_words": stop_words,
                              "min_tokens": min_tokens, "terms": len(terms), "threads": len(docs),
                              "modelled_threads": int(keep.sum())})


def _scatter(w: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Rows of ``w`` back in place among all threads; threads not modelled get zeros."""
    full = np.zeros((len(keep), w.shape[1]), dtype=w.dtype)
    full[keep] = w
    return full


def describe_topics(w: np.ndarray, h: np.ndarray, terms: np.ndarray, docs: pd.DataFrame,
                    n_terms: int = TOP_TERMS, n_threads: int = 3, rank: np.ndarray | None = None
                    ) -> pd.DataFrame:
    """One row per topic: its top terms, label, size and most representative threads (the largest
    ``rank`` values on the topic; ``rank`` defaults to the weights ``w``). A theme is read by its
    words and code identifiers: the link-host features (``site:<host>``) shape the fit but are
    not among its terms (a theme reading "ondemand, site:github.com, open" said little)."""
    rank = w if rank is None else rank
    rows = []
    weight = w.sum(axis=0)
    total = float(weight.sum()) or 1.0
    titles = docs["title"].tolist()
    for t in range(h.shape[0]):
        order = np.argsort(-h[t], kind="stable")
        top = [str(terms[i]) for i in order[h[t, order] > 0]
               if not str(terms[i]).startswith(HOST)][:n_terms]
        reps = np.argsort(-rank[:, t], kind="stable")[:n_threads]
        rows.append({
            "topic": t,
            "label": " · ".join(top[:3]),
            "top_terms": top,
            "threads": int((docs["topic"] == t).sum()),
            "share": float(weight[t] / total),
            "representative": [titles[i] or docs["thread_id"].iat[i] for i in reps if rank[i, t] > 0],
            "representative_ids": [docs["thread_id"].iat[i] for i in reps if rank[i, t] > 0],
        })
    return pd.DataFrame(rows)
