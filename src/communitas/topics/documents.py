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
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from communitas import memory
from communitas.errors import EmptyStore, StoreError
from communitas.metrics.base import contributions
from communitas.metrics.scope import TimeArg, in_scope
from communitas.sources.parallel import duckdb_threads
from communitas.sources.registry import platform_body_format
from communitas.topics.text import MARKUP_HINT, format_for, prepare


@dataclass
class Corpus:
    """The documents (one row per thread) and the posts they were built from."""

    docs: pd.DataFrame  # thread_id, source_id, title, created_at, place_id, n_posts, text, code, hosts
    posts: pd.DataFrame  # post_id, thread_id, author_id, created_at
    places: pd.DataFrame  # place_id, name, kind
    thread_places: pd.DataFrame  # thread_id, place_id (every place of a thread, e.g. all its tags)
    store: str = ""


def read_corpus(ws: Any, *, source_id: str | None = None, since: TimeArg = None, until: TimeArg = None,
                place: str | None = None, started_since: Any = None,
                max_threads: int | None = None) -> Corpus:
    """Read the threads of the store (or of one source) as documents: their contributions made
    in ``[since, until)`` (UTC), in threads of ``place`` (an id or name) when given. With
    ``started_since`` (a datetime), only the threads started from then on, and with
    ``max_threads`` at most that many of them, every n-th in time (the brief's recent themes:
    bodies are read for those only).

    Raises :class:`EmptyStore` when there are no threaded contributions, and
    :class:`StoreError` when the bodies were not kept (``ingest --no-text``).
    """
    backend = ws.ibis()
    _check_text_kept(ws, source_id)
    posts = in_scope(backend, contributions(backend, source_id=source_id), since=since, until=until,
                     place=place, source_id=source_id)
    posts = posts.filter(posts.thread_id.notnull())
    started = None
    if started_since is not None or max_threads is not None:
        started = _pick_threads(backend, source_id, started_since, max_threads)
        posts = posts.semi_join(started, posts.thread_id == started.tid)
    posts = posts.select("post_id", "thread_id", "source_id", "author_id", "created_at", "body")
    table = posts.order_by(["thread_id", "created_at", "post_id"]).to_pyarrow()  # one query, no pandas copy
    if table.num_rows == 0:
        where = f"source {source_id}" if source_id else "the store"
        raise EmptyStore(f"{ws.path}: {where} holds no threaded posts to read topics from. "
                         "Ingest a community first (`communitas ingest PATH`).")
    if table.column("body").null_count == table.num_rows:
        raise StoreError(f"{ws.path}: the posts have no text (ingested with --no-text). "
                         "Re-ingest with text: `communitas ingest PATH --force`.")
    raw = table.drop_columns(["body"]).to_pandas()
    formats = body_formats(backend)
    threads = backend.table("threads")
    if source_id is not None:
        threads = threads.filter(threads.source_id == source_id)
    if since is not None:
        threads = threads.filter(threads.created_at >= since)
    threads = threads.select("thread_id", "title", "place_id", "created_at")
    tp = backend.table("thread_places").select("thread_id", "place_id")
    if started is not None:  # only the picked threads' rows come back
        threads = threads.semi_join(started, threads.thread_id == started.tid)
        tp = tp.semi_join(started, tp.thread_id == started.tid)
    docs = _documents(table, raw, threads.execute(), formats)
    tp = tp.execute()
    tp = pd.concat([tp, docs[["thread_id", "place_id"]].dropna()]).drop_duplicates()
    tp = tp[_isin(tp["thread_id"], docs["thread_id"])].sort_values(["thread_id", "place_id"])
    places = backend.table("places").select("place_id", "name", "kind").execute()
    places = places[_isin(places["place_id"], tp["place_id"])].reset_index(drop=True)
    return Corpus(docs, raw[["post_id", "thread_id", "author_id", "created_at"]], places,
                  tp.reset_index(drop=True), str(ws.path))


def _pick_threads(backend: Any, source_id: str | None, since: Any, max_threads: int | None) -> Any:
    """``tid``: the threads started since ``since``; at most ``max_threads``, evenly spread in time."""
    import ibis

    t = backend.table("threads")
    if source_id is not None:
        t = t.filter(t.source_id == source_id)
    if since is not None:
        t = t.filter(t.created_at >= since)
    t = t.select(tid="thread_id", at="created_at")
    if max_threads is None:
        return t.select("tid")
    n = int(t.count().execute())
    if n <= max_threads:
        return t.select("tid")
    # the ranks to keep are computed here, the ids picked by the engine: only they come back
    wanted = np.unique(np.linspace(0, n - 1, max_threads).round().astype("int64"))
    ranked = t.mutate(rank=ibis.row_number().over(order_by=[t.at, t.tid]))
    keep = ibis.memtable(pd.DataFrame({"rank": wanted}))
    return ranked.semi_join(keep, "rank").select("tid")


def _isin(values: pd.Series, among: pd.Series) -> np.ndarray:
    """``values.isin(among)`` computed by Arrow (pandas converts Arrow strings one by one)."""
    found = pc.is_in(pa.array(values), value_set=pa.array(among)).fill_null(False)
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def _check_text_kept(ws: Any, source_id: str | None) -> None:
    for sid, options in ws.con.execute("SELECT source_id, options FROM sources").fetchall():
        if source_id is not None and sid != source_id:
            continue
        if not json.loads(options or "{}").get("keep_bodies", True):
            raise StoreError(f"{ws.path}: source {sid} was ingested with --no-text, so it has no text "
                             "for topics. Re-ingest it with text: `communitas ingest PATH --force`.")


def body_formats(backend: Any) -> dict[str, str | None]:
    """``source_id → body format`` as each source declared it when it ingested
    (``sources.body_format``; None where it declared none). A store written before the column,
    opened read-only, has the format its platform's registered source declares."""
    src = backend.table("sources")
    if "body_format" not in src.columns:
        df = src.select("source_id", "platform").execute()
        return {str(k): platform_body_format(str(p)) for k, p in zip(df["source_id"], df["platform"],
                                                                     strict=True)}
    df = src.select("source_id", "body_format").execute()
    return {str(k): None if pd.isna(v) else str(v)
            for k, v in zip(df["source_id"], df["body_format"], strict=True)}


def _documents(table: pa.Table, raw: pd.DataFrame, threads: pd.DataFrame,
               formats: dict[str, str | None]) -> pd.DataFrame:
    """One row per thread; ``table`` (Arrow) and ``raw`` (its pandas copy, without bodies) are the
    posts in thread order."""
    body = table.column("body")
    # plain: no markup, and "\n" its only line break (so the body is its own text, as it is)
    plain = pc.invert(pc.match_substring_regex(body, f"{MARKUP_HINT}|{_OTHER_BREAK}|\n$")).fill_null(False)
    texts, codes, hosts = _prepare_posts(table.column("source_id").to_pylist(), body.to_pylist(),
                                         plain.to_pylist(), formats)
    boilerplate, where = _boilerplate(texts)
    for i in where:
        text = texts[i]
        if text is not None:
            texts[i] = "\n".join(ln for ln in text.splitlines() if _norm(ln) not in boilerplate)
    tids = table.column("thread_id")
    n = len(tids)
    starts = np.flatnonzero(np.r_[True, pc.not_equal(tids.slice(1), tids.slice(0, n - 1)).to_numpy()])
    bounds = list(zip(starts.tolist(), [*starts[1:].tolist(), n], strict=True))
    docs = raw.iloc[starts][["thread_id", "source_id", "created_at"]].reset_index(drop=True)
    docs = docs.rename(columns={"created_at": "first_post_at"}).assign(n_posts=np.diff([*starts, n]))
    docs = docs.merge(threads, on="thread_id", how="left")
    docs["created_at"] = docs["created_at"].fillna(docs["first_post_at"])
    docs["title"] = docs["title"].fillna("")
    titles = [prepare(t, "markdown") for t in docs["title"]]
    docs["text"] = [t.text + "\n" + "\n".join([x for x in texts[a:b] if x is not None])
                    for t, (a, b) in zip(titles, bounds, strict=True)]
    docs["code"] = ["\n".join([c for c in codes[a:b] if c is not None]) for a, b in bounds]
    docs["hosts"] = [" ".join([*(h for hs in hosts[a:b] for h in hs), *t.hosts])
                     for t, (a, b) in zip(titles, bounds, strict=True)]
    cols = ["thread_id", "source_id", "title", "created_at", "place_id", "n_posts", "text", "code", "hosts"]
    return docs[cols].reset_index(drop=True)


def _prepare_posts(sources: list[str], bodies: list[str | None], plain: list[bool],
                   formats: dict[str, str | None]
                   ) -> tuple[list[str | None], list[str | None], list[list[str]]]:
    """Prose, code and hosts of each post (None for a post without body), read by the body
    format its source declared."""
    email = {sid for sid, fmt in formats.items() if fmt == "email"}
    texts: list[str | None] = []
    codes: list[str | None] = []
    hosts: list[list[str]] = []
    for sid, body, is_plain in zip(sources, bodies, plain, strict=True):
        if body is None:
            texts.append(None)
            codes.append(None)
            hosts.append([])
        elif is_plain and sid not in email:  # e-mail always goes through strip_quotes (signatures)
            texts.append(body)  # == "\n".join(body.splitlines()) for these bodies
            codes.append("")
            hosts.append([])
        else:
            prep = prepare(body, format_for(formats.get(sid), body))
            texts.append(prep.text)
            codes.append(prep.code)
            hosts.append(prep.hosts)
    return texts, codes, hosts


def _norm(line: str) -> str:
    return " ".join(line.lower().split())


# Python's str.splitlines() and str.split() separators, for RE2 (DuckDB), so that the lines DuckDB
# counts are exactly the lines _norm() normalises
SCRATCH_SHARE = 0.2  # of $COMMUNITAS_MEMORY for the boilerplate count's own connection
_OTHER_BREAK = r"[\r\x0b\x0c\x1c-\x1e\x{85}\x{2028}\x{2029}]"
_LINE_BREAK = rf"\r\n|\n|{_OTHER_BREAK}"
_WHITE = r"\t-\r\x1c-\x1f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_SPACES = rf"[ {_WHITE}]{{2,}}|[{_WHITE}]"  # what " ".join(s.split()) changes, single spaces left alone


def boilerplate_lines(texts: list[str], *, min_posts: int = 5, share: float = 0.002,
                      min_words: int = 3) -> set[str]:
    """Lines (of ``min_words`` words or more) repeated in many posts: footers, disclaimers,
    signatures, "uploaded a file" notices. A line is boilerplate when it occurs in at least
    ``max(min_posts, share * posts)`` posts; it is dropped from every post.

    >>> sorted(boilerplate_lines(["hi\\nSent from my phone"] * 5 + ["Sent from my phone, too"]))
    ['sent from my phone']
    """
    return _boilerplate(list(texts), min_posts=min_posts, share=share, min_words=min_words)[0]


def _boilerplate(texts: list[str | None], *, min_posts: int = 5, share: float = 0.002,
                 min_words: int = 3) -> tuple[set[str], list[int]]:
    """The boilerplate lines, and the positions of the texts holding one (counted in DuckDB: one
    vectorised query instead of a Python loop over every line of every post)."""
    n = sum(t is not None for t in texts)
    threshold = max(min_posts, math.ceil(share * n))
    con = duckdb.connect(config={"threads": duckdb_threads()})
    memory.bound(con, SCRATCH_SHARE)
    try:
        con.register("posts", pa.table({"i": pa.array(range(len(texts)), pa.int64()),
                                         "text": pa.array(texts, pa.string())}))
        con.execute("""CREATE TEMP TABLE lines AS
            SELECT DISTINCT i, trim(regexp_replace(lower(l), $2, ' ', 'g'), ' ') AS line
            FROM (SELECT i, unnest(regexp_split_to_array(text, $1)) AS l
                  FROM posts WHERE text IS NOT NULL)""",
                    [_LINE_BREAK, _SPACES])
        lines = {line for (line,) in con.execute(
            """SELECT line FROM lines WHERE length(line) - length(replace(line, ' ', '')) >= $1
               GROUP BY line HAVING count(*) >= $2""", [min_words - 1, threshold]).fetchall()}
        if not lines:
            return set(), []
        where = con.execute("SELECT DISTINCT i FROM lines WHERE list_contains($1, line) ORDER BY i",
                            [sorted(lines)]).fetchall()
    finally:
        con.close()
    return lines, [i for (i,) in where]
