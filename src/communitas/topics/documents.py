"""Threads as documents, read from the store through Ibis.

A document is one thread: its title and the bodies of all its contribution posts (question,
answers and comments on Stack Exchange; the posts of a topic on Discourse; the messages of one
conversation in chat, as the chat sources group them; the messages of one e-mail thread).
Posts by bots and system accounts are left out (as in every metric), and so are posts with no
thread. Single chat lines are never documents on their own.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pandas as pd

from communitas.errors import EmptyStore, StoreError
from communitas.metrics.base import contributions
from communitas.topics.text import Prepared, format_for, prepare


@dataclass
class Corpus:
    """The documents (one row per thread) and the posts they were built from."""

    docs: pd.DataFrame  # thread_id, source_id, title, created_at, place_id, n_posts, text, code, hosts
    posts: pd.DataFrame  # post_id, thread_id, author_id, created_at
    places: pd.DataFrame  # place_id, name, kind
    thread_places: pd.DataFrame  # thread_id, place_id (every place of a thread, e.g. all its tags)
    store: str = ""


def read_corpus(ws: Any, *, source_id: str | None = None) -> Corpus:
    """Read the threads of the store (or of one source) as documents.

    Raises :class:`EmptyStore` when there are no threaded contributions, and
    :class:`StoreError` when the bodies were not kept (``ingest --no-text``).
    """
    backend = ws.ibis()
    _check_text_kept(ws, source_id)
    posts = contributions(backend, source_id=source_id)
    posts = posts.filter(posts.thread_id.notnull()).select(
        "post_id", "thread_id", "source_id", "author_id", "created_at", "body")
    raw = posts.order_by(["thread_id", "created_at", "post_id"]).execute()
    if raw.empty:
        where = f"source {source_id}" if source_id else "the store"
        raise EmptyStore(f"{ws.path}: {where} holds no threaded posts to read topics from. "
                         "Ingest a community first (`communitas ingest PATH`).")
    if raw["body"].isna().all():
        raise StoreError(f"{ws.path}: the posts have no text (ingested with --no-text). "
                         "Re-ingest with text: `communitas ingest PATH --force`.")
    platforms = _platforms(backend)
    threads = backend.table("threads")
    if source_id is not None:
        threads = threads.filter(threads.source_id == source_id)
    threads = threads.select("thread_id", "title", "place_id", "created_at")
    docs = _documents(raw, threads.execute(), platforms)
    tp = backend.table("thread_places").select("thread_id", "place_id").execute()
    tp = pd.concat([tp, docs[["thread_id", "place_id"]].dropna()]).drop_duplicates()
    tp = tp[tp["thread_id"].isin(set(docs["thread_id"]))].sort_values(["thread_id", "place_id"])
    places = backend.table("places").select("place_id", "name", "kind").execute()
    places = places[places["place_id"].isin(set(tp["place_id"]))].reset_index(drop=True)
    return Corpus(docs, raw[["post_id", "thread_id", "author_id", "created_at"]].copy(), places,
                  tp.reset_index(drop=True), str(ws.path))


def _check_text_kept(ws: Any, source_id: str | None) -> None:
    for sid, options in ws.con.execute("SELECT source_id, options FROM sources").fetchall():
        if source_id is not None and sid != source_id:
            continue
        if not json.loads(options or "{}").get("keep_bodies", True):
            raise StoreError(f"{ws.path}: source {sid} was ingested with --no-text, so it has no text "
                             "for topics. Re-ingest it with text: `communitas ingest PATH --force`.")


def _platforms(backend: Any) -> dict[str, str]:
    src = backend.table("sources").select("source_id", "platform").execute()
    return dict(zip(src["source_id"], src["platform"], strict=True))


def _documents(raw: pd.DataFrame, threads: pd.DataFrame, platforms: dict[str, str]) -> pd.DataFrame:
    texts: dict[str, list[str]] = {}
    codes: dict[str, list[str]] = {}
    hosts: dict[str, list[str]] = {}
    prepared: list[tuple[str, Prepared]] = []
    for tid, sid, body in zip(raw["thread_id"], raw["source_id"], raw["body"], strict=True):
        if body is None or body != body:  # NULL or NaN
            continue
        prepared.append((tid, prepare(body, format_for(platforms.get(sid), body))))
    boilerplate = boilerplate_lines([p.text for _, p in prepared])
    for tid, prep in prepared:
        text = prep.text
        if boilerplate:
            text = "\n".join(ln for ln in text.splitlines() if _norm(ln) not in boilerplate)
        texts.setdefault(tid, []).append(text)
        codes.setdefault(tid, []).append(prep.code)
        hosts.setdefault(tid, []).extend(prep.hosts)
    grouped = raw.groupby("thread_id", sort=True).agg(
        source_id=("source_id", "first"), first_post_at=("created_at", "min"), n_posts=("post_id", "size"))
    docs = grouped.reset_index().merge(threads, on="thread_id", how="left")
    docs["created_at"] = docs["created_at"].fillna(docs["first_post_at"])
    docs["title"] = docs["title"].fillna("")
    titles = [prepare(t, "markdown") for t in docs["title"]]
    docs["text"] = [t.text + "\n" + "\n".join(texts.get(tid, ())) for tid, t in
                    zip(docs["thread_id"], titles, strict=True)]
    docs["code"] = ["\n".join(codes.get(tid, ())) for tid in docs["thread_id"]]
    docs["hosts"] = [" ".join([*hosts.get(tid, ()), *t.hosts]) for tid, t in
                     zip(docs["thread_id"], titles, strict=True)]
    cols = ["thread_id", "source_id", "title", "created_at", "place_id", "n_posts", "text", "code", "hosts"]
    return docs[cols].reset_index(drop=True)


def _norm(line: str) -> str:
    return " ".join(line.lower().split())


def boilerplate_lines(texts: list[str], *, min_posts: int = 5, share: float = 0.002,
                      min_words: int = 3) -> set[str]:
    """Lines (of ``min_words`` words or more) repeated in many posts: footers, disclaimers,
    signatures, "uploaded a file" notices. A line is boilerplate when it occurs in at least
    ``max(min_posts, share * posts)`` posts; it is dropped from every post.

    >>> sorted(boilerplate_lines(["hi\\nSent from my phone"] * 5 + ["Sent from my phone, too"]))
    ['sent from my phone']
    """
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({n for n in map(_norm, text.splitlines()) if n.count(" ") >= min_words - 1})
    threshold = max(min_posts, math.ceil(share * len(texts)))
    return {line for line, n in counts.items() if n >= threshold}
