"""Place, third opportunity: a theme growing without a place of its own (``docs/brief.md``
*Place*).

A topic model (:mod:`communitas.topics`, TF-IDF + NMF, k chosen by coherence among 4 to 12) over
the threads started in the two years before now, at most 1,500 of them evenly spread in time: the
model then takes seconds, not the 10+ s of the whole beer site with the full k grid.
:func:`communitas.topics.outputs.place_demand` flags the topics with no home; a flagged topic is
*growing* when its share of the threads started in the last 180 days is at least 1.5 times its
share of those started before, with at least 5 recent threads and at least 30 modelled threads
before those 180 days (growth needs a past). Without text (a store ingested with ``--no-text``) or
with too little of it for a topic model, this opportunity says nothing (the other Place items
remain).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd

from communitas.brief.base import BriefContext, BriefItem, pct
from communitas.errors import CommunitasError
from communitas.topics import Corpus, fit_topics, read_corpus
from communitas.topics.model import TopicModel
from communitas.topics.outputs import place_demand

WINDOW_DAYS = 730      # the threads the model reads: two years ...
MAX_THREADS = 1500     # ... at most this many, evenly spread over the two years
MIN_EARLIER = 30       # growth needs a past: at least 30 threads before the last 180 days
RECENT_DAYS = 180      # "growing": its share of the last 180 days' threads ...
GROWTH = 1.5           # ... at least 1.5 times its share before
MIN_RECENT = 5         # ... over at least 5 recent threads
SEED = 0
GRID = (4, 6, 8, 10, 12)  # a handful of broad themes: 3 times faster than the full k grid


def _corpus(ctx: BriefContext) -> Corpus | None:
    try:
        # every n-th thread in time (bodies read for those only): both periods keep their proportions
        return read_corpus(ctx.ws, source_id=ctx.source_id, started_since=ctx.since(WINDOW_DAYS),
                           max_threads=MAX_THREADS)
    except CommunitasError:  # no text kept, or no threaded posts
        return None


def model(ctx: BriefContext) -> TopicModel | None:
    """The recent threads' topic model, or None without (enough) text."""
    corpus = _corpus(ctx)
    if corpus is None or corpus.docs.empty:
        return None
    try:
        return fit_topics(corpus, k="auto", seed=SEED, grid=GRID)
    except (CommunitasError, ValueError, IndexError):  # too little text for a model
        return None


def growing_themes(ctx: BriefContext) -> pd.DataFrame:
    """Topics flagged ``demand`` (no home) whose share grew: ``topic, terms, recent, before,
    recent_share, before_share, growth, home_coverage, places`` (where their recent threads sit)."""
    m = model(ctx)
    if m is None:
        return pd.DataFrame()
    demand = place_demand(m).set_index("topic")
    docs = m.docs[m.docs["topic"] >= 0]
    cut = pd.Timestamp(ctx.now - timedelta(days=RECENT_DAYS))
    recent = pd.to_datetime(docs["created_at"], utc=True) >= cut
    if int((~recent).sum()) < MIN_EARLIER:
        return pd.DataFrame()
    rows = []
    for topic in demand.index[demand["demand"]]:
        mine = docs["topic"] == topic
        r, b = int((mine & recent).sum()), int((mine & ~recent).sum())
        rs = r / max(int(recent.sum()), 1)
        bs = b / max(int((~recent).sum()), 1)
        growth = float("inf") if bs == 0 else rs / bs
        if r >= MIN_RECENT and growth >= GROWTH:
            rows.append({"topic": int(topic), "terms": list(m.topics.iloc[topic]["top_terms"])[:5],
                         "recent": r, "before": b, "recent_share": rs, "before_share": bs, "growth": growth,
                         "home_coverage": float(demand.loc[topic, "home_coverage"]),
                         "places": _places(m, docs[mine & recent]["thread_id"])})
    out = pd.DataFrame(rows)
    return out.sort_values(["growth", "recent"], ascending=False, ignore_index=True) if rows else out


def _places(m: TopicModel, threads: pd.Series) -> list[str]:
    """The (at most three) places holding most of ``threads``, by name."""
    tp = m.thread_places[m.thread_places["thread_id"].isin(set(threads))]
    names = dict(zip(m.places["place_id"], m.places["name"].fillna(m.places["place_id"]), strict=True))
    counts = tp.groupby("place_id").size().reset_index(name="n")
    counts["name"] = counts["place_id"].map(names).fillna(counts["place_id"]).astype(str)
    counts = counts.sort_values(["n", "name"], ascending=[False, True])
    return list(counts["name"].head(3))


def items(ctx: BriefContext) -> list[BriefItem]:
    df = growing_themes(ctx)
    rows: list[Any] = list(df.itertuples()) if not df.empty else []
    out = []
    for r in rows:
        terms = ", ".join(r.terms)
        growth = ("a new theme: none of the earlier threads" if r.growth == float("inf")
                  else f"{r.growth:.1f} times its earlier share of {pct(r.before_share)}")
        out.append(BriefItem(
            "place", ("theme", "-".join(r.terms[:3])), (terms,),
            f"Give the theme \u201c{terms}\u201d a place of its own (a tag, channel or category): "
            f"it grows, scattered over {', '.join(r.places)}.",
            f"{r.recent} threads in the last {RECENT_DAYS} days ({pct(r.recent_share)} of them, "
            f"{growth}); no place is mostly about it "
            f"(home coverage {pct(r.home_coverage)})",
            {"terms": list(r.terms), "recent_threads": int(r.recent), "earlier_threads": int(r.before),
             "recent_share": round(float(r.recent_share), 4),
             "earlier_share": round(float(r.before_share), 4),
             "growth": None if r.growth == float("inf") else round(float(r.growth), 4),
             "home_coverage": round(float(r.home_coverage), 4), "places": list(r.places)},
            score=1.0))
    return out
