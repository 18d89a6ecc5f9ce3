"""Introduce's members and what they write about (``docs/brief.md`` *Introduce*).

* :func:`active` — the pool: the (at most 300) most active members of the 90 days before now.
* :func:`terms` — each pool member's TF-IDF profile. Their 25 most recent posts of the 180 days
  before now are read (bodies of those only), made prose as the topic model makes it
  (:func:`communitas.topics.text.prepare`: markup, code, quotes, signatures and URLs out) and cut
  into the topic model's words (letters only, 2-30 of them, NFKC, lower-cased, as
  :func:`communitas.topics.text.words`; computed by Arrow over the whole batch: :func:`words_of`),
  without the function words of the languages written in
  (:data:`communitas.topics.stopwords.STOP_WORDS`; a language counts when its function words are
  at least 10% of all function words read). A word counts once per post; it is kept when at least
  2 and at most half of the pool's members with text read use it. Weight
  ``(1 + ln posts of theirs using it) * ln(posts read / posts read using it)``.
* :func:`similar` — the pairs whose texts are alike: cosine of their profiles at least 0.25, with
  at least 3 words in common; :func:`shared` names what they share (never a word of a member's
  name or platform id).

Everything is read through the brief's context (its contributions and cut tables), so a replay
sees only the text written before its date. Results are kept on the context (one computation
per brief or backtest date).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from communitas.brief.base import BriefContext
from communitas.topics.documents import body_formats
from communitas.topics.stopwords import STOP_WORDS
from communitas.topics.text import MARKUP_HINT, format_for, prepare

ACTIVE_DAYS = 90      # "active": contributed in the last 90 days ...
MIN_POSTS = 3         # ... at least three times
POOL = 300            # the most active members looked at (bounds the pairs on a large site)
PROFILE_DAYS = 180    # their interests: what they wrote in the last 180 days ...
MAX_POSTS = 25        # ... their 25 most recent posts of those (bounds the text read)
MAX_DF = 0.5          # a term: used by at least two of the pool's members, at most half of them
MIN_COSINE = 0.25     # two members' texts are alike: cosine at least 0.25 ...
MIN_TERMS = 3         # ... with at least three terms in common
LANGUAGE_SHARE = 0.10  # a language counts when its function words are 10% of those read
POOL_KEY = "interests.pool"
TERMS_KEY = "interests.terms"
NAMES_KEY = "interests.names"
SIMILAR_KEY = "interests.similar"


def active(ctx: BriefContext) -> ir.Table:
    """``member, n``: the (at most 300) members with the most contributions in the 90 days before
    now, at least 3 (computed once per context, then read from a small in-memory table)."""
    if POOL_KEY not in ctx.cache:
        h = ctx.history()
        recent = h.filter(h.author_id.notnull() & (h.created_at >= ctx.lit(ACTIVE_DAYS)))
        per = recent.group_by(member=recent.author_id).aggregate(n=recent.count())
        per = per.filter(per.n >= MIN_POSTS).order_by([per.n.desc(), per.member]).limit(POOL)
        ctx.cache[POOL_KEY] = ibis.memtable(per.execute(), schema={"member": "string", "n": "int64"})
    out: ir.Table = ctx.cache[POOL_KEY]
    return out


def terms(ctx: BriefContext) -> pd.DataFrame:
    """``member, term, uses, idf, weight``: each pool member's terms (:func:`_profiles`)."""
    if TERMS_KEY not in ctx.cache:
        ctx.cache[TERMS_KEY] = _profiles(ctx)
    out: pd.DataFrame = ctx.cache[TERMS_KEY]
    return out


def alike(ctx: BriefContext) -> ir.Table:
    """:func:`similar` as an Ibis table (to join with the store's tables)."""
    return ibis.memtable(similar(ctx), schema={"a": "string", "b": "string", "cosine": "float64",
                                               "terms": "int64"})


def _posts(ctx: BriefContext) -> pa.Table:
    """``member, source_id, body``: each pool member's 25 most recent posts of the 180 days."""
    h = ctx.history()
    pool = active(ctx)
    p = h.filter(h.created_at >= ctx.lit(PROFILE_DAYS)).semi_join(pool, h.author_id == pool.member)
    rank = ibis.row_number().over(group_by=p.author_id, order_by=[p.created_at.desc(), p.post_id.desc()])
    p = p.mutate(rn=rank)
    p = p.filter(p.rn < MAX_POSTS)
    posts = ctx.backend.table("posts")
    posts = posts.filter(posts.created_at >= ctx.lit(PROFILE_DAYS)).select(pid="post_id", body="body")
    q = p.join(posts, p.post_id == posts.pid).filter(posts.body.notnull())
    q = q.select(member=p.author_id, source_id=p.source_id, body=posts.body, at=p.created_at, pid=p.post_id)
    # one order, every run: the sums of the cosines are then the same to the last bit
    return q.order_by(["member", "at", "pid"]).to_pyarrow().drop_columns(["at", "pid"])


def _prose(ctx: BriefContext, posts: pa.Table) -> pa.Array:
    """Each post's prose: the body itself when it is plain (no markup, not e-mail), else what
    :func:`~communitas.topics.text.prepare` keeps of it."""
    formats = body_formats(ctx.backend)
    email = {s for s, f in formats.items() if f == "email"}
    body = posts.column("body")
    marked = pc.match_substring_regex(body, MARKUP_HINT).fill_null(False)
    if email:
        marked = pc.or_(marked, pc.is_in(posts.column("source_id"), value_set=pa.array(sorted(email))))
    todo = np.flatnonzero(np.asarray(marked.to_numpy(zero_copy_only=False), dtype=bool))
    if len(todo) == 0:
        return body.combine_chunks() if isinstance(body, pa.ChunkedArray) else body
    texts = body.to_pylist()
    sources = posts.column("source_id").to_pylist()
    for i in todo.tolist():
        texts[i] = prepare(texts[i], format_for(formats.get(sources[i]), texts[i])).text
    return pa.array(texts, pa.string())


def words_of(texts: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """The words of every text, with the index of the text each comes from: the words of
    :func:`communitas.topics.text.words` (letters only, 2-30 of them, NFKC, lower-cased), computed
    by Arrow; a run of more than 30 letters is left out rather than cut in pieces.

    >>> rows, w = words_of(pa.array(["L'eau, c'est 2x meilleure: IPA-style!", None, "ﬁnal ①"]))
    >>> rows.tolist(), w.to_pylist()
    ([0, 0, 0, 0, 0, 2], ['eau', 'est', 'meilleure', 'ipa', 'style', 'final'])
    """
    low = pc.utf8_lower(pc.utf8_normalize(texts, "NFKC"))
    parts = pc.split_pattern_regex(low, r"[^\pL]+")
    flat = pc.list_flatten(parts)
    rows = np.asarray(pc.list_parent_indices(parts).to_numpy(zero_copy_only=False))
    n = pc.utf8_length(flat)
    keep = pc.and_(pc.greater_equal(n, 2), pc.less_equal(n, 30))
    mask = np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)
    return rows[mask], pc.filter(flat, keep)


def _stop_words(vocab: pa.Array, counts: np.ndarray) -> np.ndarray:
    """Which words of ``vocab`` (occurring ``counts`` times) are function words of the languages
    written in: those whose function words are at least 10% of all function words read (the
    most used language always)."""
    where = {lang: np.asarray(pc.is_in(vocab, value_set=pa.array(sorted(ws))).to_numpy(zero_copy_only=False),
                              dtype=bool) for lang, ws in STOP_WORDS.items()}
    hits = {lang: float(counts[mask].sum()) for lang, mask in where.items()}
    total = sum(hits.values())
    best = max(hits, key=lambda k: hits[k]) if total else "en"
    out = where[best].copy()
    for lang, h in hits.items():
        if h >= LANGUAGE_SHARE * total > 0:
            out |= where[lang]
    return out


def _names(ctx: BriefContext) -> pa.Array:
    """Every word of every member's display name and platform id (a user name, an address), as
    the store knows them at the brief's moment (lower-cased, cut at anything not a letter)."""
    m = ctx.backend.table("members")
    name = (ibis.coalesce(m.display_name, "") + " " + ibis.coalesce(m.native_id, "")).lower()
    got = m.select(w=name.re_split(r"[^\pL]+").unnest()).distinct().to_pyarrow()
    return got.column("w").combine_chunks()


def _profiles(ctx: BriefContext) -> pd.DataFrame:
    """``member, term, uses, idf, weight``: every pool member's terms, the posts read of theirs
    using each, its IDF and their TF-IDF weight (module doc), before normalising. Words are
    dictionary-encoded: the counting is done on integers."""
    posts = _posts(ctx)
    rows, w = words_of(_prose(ctx, posts))
    if len(w) == 0:
        return pd.DataFrame({"member": pd.Series(dtype=str), "term": pd.Series(dtype=str),
                             "uses": pd.Series(dtype="int64"), "idf": pd.Series(dtype=float),
                             "weight": pd.Series(dtype=float)})
    enc = pc.dictionary_encode(w)
    vocab, code = enc.dictionary, np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    v = len(vocab)
    keep = ~_stop_words(vocab, np.bincount(code, minlength=v))[code]
    post_term = pd.unique(rows[keep].astype(np.int64) * v + code[keep])  # each word once per post
    post, term = post_term // v, post_term % v
    member_of, members = pd.factorize(posts.column("member").to_pandas())
    per_key, keys = pd.factorize(member_of[post].astype(np.int64) * v + term)
    uses = np.bincount(per_key)
    m, t = keys // v, keys % v
    users = np.bincount(t, minlength=v)[t]
    ok = (users >= 2) & (users <= max(2, MAX_DF * len(members)))
    idf = np.log(posts.num_rows / np.bincount(term, minlength=v)[t])
    members = np.asarray(members, dtype=object)
    words = vocab.take(pa.array(t[ok])).to_numpy(zero_copy_only=False)
    per = pd.DataFrame({"member": members[m[ok]], "term": words, "uses": uses[ok], "idf": idf[ok]})
    per["weight"] = (1 + np.log(per["uses"])) * per["idf"]
    return per[per["weight"] > 0].reset_index(drop=True)


def similar(ctx: BriefContext) -> pd.DataFrame:
    """``a, b, cosine, terms`` (a < b): the pairs of pool members whose texts are alike — the
    cosine of their TF-IDF profiles at least 0.25, with at least 3 ``terms`` in common."""
    if SIMILAR_KEY not in ctx.cache:
        ctx.cache[SIMILAR_KEY] = _similar(terms(ctx))
    out: pd.DataFrame = ctx.cache[SIMILAR_KEY]
    return out


def _similar(p: pd.DataFrame) -> pd.DataFrame:
    if p.empty:
        return pd.DataFrame({"a": pd.Series(dtype=str), "b": pd.Series(dtype=str),
                             "cosine": pd.Series(dtype=float), "terms": pd.Series(dtype="int64")})
    m, members = pd.factorize(p["member"])
    t, _ = pd.factorize(p["term"])
    w = p["weight"].to_numpy(dtype=float)
    norm = np.sqrt(np.bincount(m, weights=w * w, minlength=len(members)))
    shape = (len(members), int(t.max()) + 1)
    x = sp.csr_matrix((w / norm[m], (m, t)), shape=shape)
    ones = sp.csr_matrix((np.ones(len(m)), (m, t)), shape=shape)
    cos = np.triu((x @ x.T).toarray(), k=1)
    both = (ones @ ones.T).toarray()
    a, b = np.nonzero((cos >= MIN_COSINE) & (both >= MIN_TERMS))
    names = np.asarray(members, dtype=object)
    out = pd.DataFrame({"a": names[a], "b": names[b], "cosine": cos[a, b],
                        "terms": both[a, b].astype("int64")})
    swap = out["a"] > out["b"]  # a < b, as the place pairs
    out.loc[swap, ["a", "b"]] = out.loc[swap, ["b", "a"]].to_numpy()
    return out


def shared(ctx: BriefContext, a: str, b: str) -> list[str]:
    """The terms ``a`` and ``b`` share, as the brief names them: by the lower of their two weights
    (a word weighs for both), then alphabetically; no word of a member's name or platform id (a
    greeting is no interest, and a name must not be shown as one)."""
    t = terms(ctx)
    t = t[t["member"].isin([a, b])]
    both = t.groupby("term").agg(n=("member", "size"), w=("weight", "min")).reset_index()
    both = both[both["n"] == 2]
    if NAMES_KEY not in ctx.cache:
        ctx.cache[NAMES_KEY] = set(_names(ctx).to_pylist())
    both = both[~both["term"].isin(ctx.cache[NAMES_KEY])]
    both = both.sort_values(["w", "term"], ascending=[False, True])
    return [str(x) for x in both["term"]]
