"""Benchmark: topics over 200 k posts of synthetic-but-realistic text, default method.

The text is generated here (never committed): 20 themes, each a Zipfian distribution over its
own 400 pseudo-words, mixed with a Zipfian background vocabulary of 3,000 words and English
function words; posts are grouped into threads of 1-30 posts (geometric lengths), written as
Stack Exchange HTML (paragraphs, links, some code blocks). The rows are written straight into a
fresh store, then ``communitas.topics.analyse`` (read through Ibis, text preparation, TF-IDF,
NMF with k chosen automatically) and the outputs are timed. Prints throughput and peak RSS.

Run: .venv/bin/python benchmarks/topics.py [--posts 200000] [--fit-sample N] [--embed 0]
     .venv/bin/python benchmarks/topics.py --store DIR/bench.duckdb  (a store kept by benchmarks/report.py)
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import normalized_mutual_info_score

from communitas.store import Workspace
from communitas.topics import Corpus, TopicModel, fit_topics, outputs, read_corpus
from communitas.topics import model as topic_model
from communitas.topics.model import FIT_SAMPLE

SID = "stackexchange:synthetic"
FUNCTION = ["the", "a", "of", "and", "to", "in", "is", "it", "that", "for", "on", "with", "as", "this",
            "be", "are", "was", "but", "not", "you", "have", "or", "if", "can", "at", "by", "from", "they",
            "we", "an", "my", "your", "there", "what", "so", "do", "all", "would", "about", "more"]


def _words(rng: np.random.Generator, n: int) -> list[str]:
    syll = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "sa", "do", "gu", "ha", "be", "fi"]
    out: set[str] = set()
    while len(out) < n:
        out.add("".join(rng.choice(syll, rng.integers(2, 5))))
    return sorted(out)


def _zipf(n: int, s: float = 1.1) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** s
    return p / p.sum()


def generate(n_posts: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Posts and threads tables, and each thread's true theme."""
    rng = np.random.default_rng(seed)
    vocab = np.array(_words(rng, 20 * 400 + 3000))
    themes = [vocab[i * 400:(i + 1) * 400] for i in range(20)]
    p_theme, p_back = _zipf(400), _zipf(3000)
    sizes: list[int] = []
    while sum(sizes) < n_posts:
        sizes.append(int(min(30, rng.geometric(0.12))))
    sizes[-1] -= sum(sizes) - n_posts
    truth = rng.choice(20, len(sizes), p=_zipf(20, 0.8))
    thread_of = np.repeat(np.arange(len(sizes)), sizes)
    lengths = rng.lognormal(3.6, 0.6, n_posts).astype(int) + 1  # ~40 words, long tail
    n_theme = rng.binomial(lengths, 0.35)
    n_func = rng.binomial(lengths - n_theme, 0.5)
    n_back = lengths - n_theme - n_func
    theme_words = (np.repeat(truth[thread_of] * 400, n_theme)
                   + rng.choice(400, int(n_theme.sum()), p=p_theme))
    back_words = 8000 + rng.choice(3000, int(n_back.sum()), p=p_back)
    func_words = rng.integers(0, len(FUNCTION), int(n_func.sum()))
    funcs = np.array(FUNCTION)
    ct, cb, cf = (np.concatenate([[0], np.cumsum(a)]) for a in (n_theme, n_back, n_func))
    extra_code, extra_link = rng.random(n_posts) < 0.1, rng.random(n_posts) < 0.1
    bodies = []
    for i in range(n_posts):
        text = " ".join([*vocab[theme_words[ct[i]:ct[i + 1]]], *funcs[func_words[cf[i]:cf[i + 1]]],
                         *vocab[back_words[cb[i]:cb[i + 1]]]])
        body = f"<p>{text}</p>"
        if extra_code[i]:
            body += f"<pre><code>def {themes[truth[thread_of[i]]][0]}(x):\n    return x</code></pre>"
        if extra_link[i]:
            body += f'<p>see <a href="https://docs.example.org/{thread_of[i]}">the docs</a></p>'
        bodies.append(body)
    start = pd.Timestamp("2020-01-01", tz="UTC")
    posts = pd.DataFrame({
        "post_id": [f"{SID}:p:{i}" for i in range(n_posts)],
        "source_id": SID,
        "thread_id": [f"{SID}:t:{t}" for t in thread_of],
        "author_id": [f"{SID}:u:{int(u)}" for u in rng.zipf(1.6, n_posts) % 20000],
        "created_at": start + pd.to_timedelta(np.sort(rng.uniform(0, 4 * 365, n_posts)), unit="D"),
        "kind": "answer", "is_contribution": True, "body": bodies})
    first = posts.groupby("thread_id", sort=False)["created_at"].min()
    threads = pd.DataFrame({"thread_id": first.index, "source_id": SID, "created_at": first.to_numpy(),
                            "title": [f"thread {i}" for i in range(len(first))],
                            "place_id": [f"{SID}:tag:{int(x) % 40}" for x in range(len(first))]})
    return posts, threads, truth


def write_store(path: Path, posts: pd.DataFrame, threads: pd.DataFrame) -> None:
    with Workspace(path) as ws:
        con = ws.con
        con.register("p", posts)
        con.register("t", threads)
        con.execute("INSERT INTO posts BY NAME SELECT * FROM p")
        con.execute("INSERT INTO threads BY NAME SELECT * FROM t")
        con.execute("INSERT INTO thread_places BY NAME SELECT thread_id, place_id, source_id FROM t")
        con.execute("INSERT INTO sources (source_id, platform, name, options) "
                    "VALUES (?, 'stackexchange', 'synthetic', '{}')", [SID])


def embed_throughput(corpus: Corpus, n: int) -> None:
    """Threads per second through the optional sentence encoder (communitas[embeddings])."""
    from communitas.errors import UsageError
    from communitas.topics.embeddings import MAX_CHARS, load_encoder, thread_texts

    try:
        encode = load_encoder()
    except UsageError as e:
        print(f"embeddings: not measured ({e})")
        return
    texts = thread_texts(corpus)[:n]
    encode(texts[:8])  # warm-up
    start = time.perf_counter()
    vectors = encode(texts)
    took = time.perf_counter() - start
    print(f"embeddings (packaged MiniLM, CPU, texts of at most {MAX_CHARS} characters): {len(texts)} threads "
          f"in {took:.1f} s = {len(texts) / took:,.1f} threads/s, {vectors.shape[1]} dimensions")


def timed_topics(store: Path) -> tuple[TopicModel, Corpus, dict[str, float]]:
    """read_corpus, fit_topics (k auto) and the outputs on ``store``, timed (wall and CPU)."""
    t1, c1 = time.perf_counter(), time.process_time()
    with Workspace(store, read_only=True) as ws:
        corpus = read_corpus(ws)
    t_read = time.perf_counter()
    model = fit_topics(corpus, k="auto")
    t2 = time.perf_counter()
    outputs.summary(model, period="month")
    t_summary = time.perf_counter()
    sim = outputs.member_similarity(model)
    t3, c3 = time.perf_counter(), time.process_time()
    return model, corpus, {"read": t_read - t1, "model": t2 - t_read, "summary": t_summary - t2,
                           "similarity": t3 - t_summary, "pairs": len(sim), "wall": t3 - t1, "cpu": c3 - c1}


def report(model: TopicModel, posts: int, times: dict[str, float]) -> None:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    fitted = min(model.params["modelled_threads"], topic_model.FIT_SAMPLE)
    print(f"analyse (read + prepare + TF-IDF + NMF, k auto = {model.k}, scores {model.k_scores}): "
          f"{times['read'] + times['model']:.1f} s = {posts / (times['read'] + times['model']):,.0f} posts/s "
          f"(read + prepare {times['read']:.1f} s, model {times['model']:.1f} s; "
          f"{model.params['threads']:,} threads, H fitted on {fitted:,})")
    print(f"outputs: summary (trends, places) {times['summary']:.1f} s, member similarity "
          f"({times['pairs']:,} pairs) {times['similarity']:.1f} s")
    print(f"total topics time {times['wall']:.1f} s wall, {times['cpu']:.1f} s CPU; "
          f"without member similarity (what the report runs) {times['wall'] - times['similarity']:.1f} s; "
          f"{len(model.topics)} topics; peak RSS {rss:,.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=200_000)
    ap.add_argument("--embed", type=int, default=512,
                    help="threads to embed for the embeddings throughput (0: skip; needs the extra)")
    ap.add_argument("--store", type=Path, help="time topics on this existing store instead (e.g. the one "
                    "benchmarks/report.py --keep DIR leaves in DIR/bench.duckdb); no planted themes")
    ap.add_argument("--fit-sample", type=int, help=f"threads H is fitted on (default {FIT_SAMPLE:,})")
    args = ap.parse_args()
    if args.fit_sample:
        topic_model.FIT_SAMPLE = args.fit_sample
    if args.store:
        with Workspace(args.store, read_only=True) as ws:
            n_posts = ws.con.execute("SELECT count(*) FROM posts").fetchone()[0]
        model, corpus, times = timed_topics(args.store)
        report(model, n_posts, times)
        return
    t0 = time.perf_counter()
    posts, threads, truth = generate(args.posts)
    words = int(posts["body"].str.count(" ").sum())
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "bench.duckdb"
        write_store(store, posts, threads)
        del posts
        print(f"generated {args.posts:,} posts in {len(threads):,} threads (~{words:,} words) "
              f"in {time.perf_counter() - t0:.1f} s")
        model, corpus, times = timed_topics(store)
    nmi = normalized_mutual_info_score(truth, model.docs.sort_values("thread_id", key=lambda s: s.str.rsplit(
        ":", n=1).str[1].astype(int))["topic"])
    if args.embed:
        embed_throughput(corpus, args.embed)
    report(model, args.posts, times)
    print(f"NMI with the planted themes {nmi:.3f}")


if __name__ == "__main__":
    main()
