"""What a fitted topic model tells a facilitator, as pandas DataFrames and one small dict.

* :func:`topics_over_time` — each topic's share of the threads started in each period.
* :func:`topic_trends` — rising / falling / steady per topic: the Mann-Kendall trend test
  (Kendall's tau between period order and share) over the last ``last`` periods, two-sided,
  at ``alpha``.
* :func:`member_topic_profiles` / :func:`member_place_profiles` — each member's interests, as
  shares that sum to 1 per member.
* :func:`member_similarity` — cosine similarity of topic profiles, top-k per member (sparse).
* :func:`topics_by_place` and :func:`place_demand` — which places hold which themes, and the
  themes that have no place of their own ("demand for a place").
* :func:`summary` — a small word-free dict for the report.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from communitas.errors import UsageError
from communitas.metrics.periods import PANDAS_FREQ, PERIODS
from communitas.topics.model import TopicModel


def _period(ts: pd.Series, period: str) -> pd.Series:
    if period not in PERIODS:
        raise UsageError(f"--period {period}: choose one of {', '.join(PERIODS)}.")
    naive = pd.to_datetime(ts, utc=True).dt.tz_localize(None)
    return naive.dt.to_period(PANDAS_FREQ[period]).dt.start_time.dt.tz_localize("UTC")


def _doc_frame(model: TopicModel) -> pd.DataFrame:
    """The thread x topic shares as a frame, with the thread columns, empty threads dropped."""
    shares = pd.DataFrame(model.doc_topics, columns=list(range(model.k)))
    frame = pd.concat([model.docs.reset_index(drop=True), shares], axis=1)
    return frame[frame["topic"] >= 0]


def topics_over_time(model: TopicModel, *, period: str = "month") -> pd.DataFrame:
    """Per period and topic: ``threads`` started in the period, ``share`` of their topic weight.

    A thread counts towards the period it was started in; its weight is split over topics by
    its topic shares, so the shares of one period sum to 1.
    """
    frame = _doc_frame(model)
    frame = frame.assign(period=_period(frame["created_at"], period))
    grouped = frame.groupby("period")
    shares = grouped[list(range(model.k))].mean()
    counts = grouped.size()
    long = shares.reset_index().melt(id_vars="period", var_name="topic", value_name="share")
    long["topic"] = long["topic"].astype(int)
    long["threads"] = long["period"].map(counts).astype(int)
    return long[["period", "topic", "threads", "share"]].sort_values(["period", "topic"], ignore_index=True)


def topic_trends(over_time: pd.DataFrame, *, last: int = 12, alpha: float = 0.05) -> pd.DataFrame:
    """Mann-Kendall test on each topic's share over the last ``last`` periods that had threads.

    ``trend`` is ``rising`` / ``falling`` when the two-sided p-value is below ``alpha``,
    ``steady`` otherwise, ``too short`` with fewer than 4 periods.
    """
    rows = []
    periods = sorted(over_time["period"].unique())[-last:]
    recent = over_time[over_time["period"].isin(periods)]
    for topic_key, part in recent.groupby("topic", sort=True):
        topic: Any = topic_key
        series = part.sort_values("period")["share"].to_numpy()
        if len(series) < 4 or np.ptp(series) == 0:
            tau, p = 0.0, 1.0
        else:
            res = kendalltau(np.arange(len(series)), series)
            tau, p = float(res.statistic), float(res.pvalue)
        trend = "too short" if len(series) < 4 else (
            ("rising" if tau > 0 else "falling") if p < alpha else "steady")
        rows.append({"topic": int(topic), "periods": len(series), "tau": tau, "p_value": p, "trend": trend})
    return pd.DataFrame(rows, columns=["topic", "periods", "tau", "p_value", "trend"])


def member_topic_profiles(model: TopicModel) -> pd.DataFrame:
    """One row per member, one column per topic: the topic mix of the threads they posted in.

    Each post adds its thread's topic shares to its author; the row is then divided by its sum,
    so it sums to 1. Posts by deleted accounts and in threads with no modelled text are left out.
    """
    frame = _doc_frame(model)[["thread_id", *range(model.k)]]
    posts = model.posts.dropna(subset=["author_id"])[["author_id", "thread_id"]]
    joined = posts.merge(frame, on="thread_id", how="inner")
    sums = joined.groupby("author_id")[list(range(model.k))].sum()
    sums = sums[sums.sum(axis=1) > 0]
    profiles = sums.div(sums.sum(axis=1), axis=0)
    profiles.index.name = "member_id"
    return profiles.sort_index()


def member_place_profiles(model: TopicModel) -> pd.DataFrame:
    """One row per member, one column per place: the share of their posts in each place.

    A post belongs to its thread's main place (a Stack Exchange question's first tag, a chat
    channel, a Discourse category, a mailing list). Rows sum to 1.
    """
    posts = model.posts.dropna(subset=["author_id"])[["author_id", "thread_id"]]
    joined = posts.merge(model.docs[["thread_id", "place_id"]], on="thread_id").dropna(subset=["place_id"])
    counts = pd.crosstab(joined["author_id"], joined["place_id"])
    profiles = counts.div(counts.sum(axis=1), axis=0)
    profiles.index.name = "member_id"
    profiles.columns.name = None
    return profiles.sort_index()


def member_similarity(model: TopicModel, *, top_k: int = 5, min_posts: int = 3,
                      min_similarity: float = 0.5) -> pd.DataFrame:
    """For each member with ``min_posts`` posts, the ``top_k`` most similar members by topic profile.

    Similarity is the cosine of the two topic profiles (found as the nearest unit vectors); pairs
    below ``min_similarity`` are left out. Returns ``member_id, other_id, similarity, rank``
    (sparse: at most ``top_k`` per member).
    """
    from sklearn.neighbors import NearestNeighbors

    profiles = member_topic_profiles(model)
    posts = model.posts.dropna(subset=["author_id"]).groupby("author_id").size()
    profiles = profiles[profiles.index.map(posts.to_dict()).fillna(0) >= min_posts]
    cols = ["member_id", "other_id", "similarity", "rank"]
    if len(profiles) < 2:
        return pd.DataFrame(columns=cols)
    n = min(top_k + 1, len(profiles))
    # cosine = 1 - |a - b|^2 / 2 on unit vectors: the same neighbours by euclidean distance, which lets
    # scikit-learn use a tree on these few dimensions instead of comparing all pairs
    vectors = profiles.to_numpy(dtype=np.float64, copy=True)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    nn = NearestNeighbors(n_neighbors=n, algorithm="auto").fit(vectors)
    dist, idx = nn.kneighbors(vectors)
    dist = dist**2 / 2
    ids = profiles.index.to_numpy()
    rows = []
    for i, member in enumerate(ids):
        others = [(1.0 - float(d), str(ids[j])) for d, j in zip(dist[i], idx[i], strict=True) if j != i]
        others.sort(key=lambda o: (-o[0], o[1]))
        for rank, (sim, other) in enumerate(others[:top_k], start=1):
            if sim >= min_similarity:
                rows.append((str(member), other, round(sim, 6), rank))
    return pd.DataFrame(rows, columns=cols)


def _placed(model: TopicModel) -> pd.DataFrame:
    """Thread x topic shares, one row per (thread, place) for every place of the thread."""
    frame = _doc_frame(model).drop(columns=["place_id"])
    return frame.merge(model.thread_places, on="thread_id", how="inner")


def topics_by_place(model: TopicModel) -> pd.DataFrame:
    """Per place and topic: ``threads`` of the place mainly about the topic (dominant topic),
    ``place_threads``, ``weight`` (sum of the topic's shares over the place's threads),
    ``place_share`` (threads / place_threads) and ``topic_coverage`` (threads / all threads mainly
    about the topic). A thread counts in every place it is in (all its tags, its category)."""
    frame = _placed(model)
    topics = list(range(model.k))
    weight = frame.groupby("place_id")[topics].sum()
    dominant = pd.crosstab(frame["place_id"], frame["topic"]).reindex(columns=topics, fill_value=0)
    long = weight.reset_index().melt(id_vars="place_id", var_name="topic", value_name="weight")
    long["topic"] = long["topic"].astype(int)
    counts = dominant.reset_index().melt(id_vars="place_id", var_name="topic", value_name="threads")
    counts["topic"] = counts["topic"].astype(int)
    long = long.merge(counts, on=["place_id", "topic"], how="left")
    long["place_threads"] = long["place_id"].map(dominant.sum(axis=1).to_dict()).astype(int)
    long["place_share"] = long["threads"] / long["place_threads"]
    topic_total = model.docs["topic"].value_counts().to_dict()
    long["topic_coverage"] = long["threads"] / long["topic"].map(lambda t: topic_total.get(t, 0) or np.nan)
    long["topic_coverage"] = long["topic_coverage"].fillna(0.0)
    names = dict(zip(model.places["place_id"], model.places["name"], strict=True))
    long["name"] = long["place_id"].map(names)
    cols = ["place_id", "name", "topic", "threads", "place_threads", "weight", "place_share",
            "topic_coverage"]
    return long[cols].sort_values(["topic", "threads", "weight", "place_id"],
                                  ascending=[True, False, False, True], ignore_index=True)


def place_demand(model: TopicModel, *, about_share: float = 0.3, home_coverage: float = 0.3,
                 min_place_threads: int = 3, min_share: float | None = None) -> pd.DataFrame:
    """Each topic's home places, if any, and whether it shows **demand for a place**.

    A place is *about* a topic when at least ``about_share`` of its threads (and at least
    ``min_place_threads`` threads) are mainly about it. A topic *has a home* when at least
    ``home_coverage`` of the threads mainly about it are in a place about it. A topic with no
    home that is not marginal (its share of the corpus is at least ``min_share``, by default half
    of an even share, ``1 / (2k)``) is flagged ``demand``: members talk about it, but scattered
    over places that are each mostly about something else.
    """
    by_place = topics_by_place(model)
    min_share = 1.0 / (2 * model.k) if min_share is None else min_share
    about = by_place[(by_place["place_share"] >= about_share)
                     & (by_place["place_threads"] >= min_place_threads) & (by_place["threads"] > 0)]
    placed = _placed(model)[["thread_id", "place_id", "topic"]]
    rows = []
    for topic in range(model.k):
        mine = about[about["topic"] == topic]
        threads = placed[placed["topic"] == topic]
        total = model.docs["topic"].eq(topic).sum()
        homed = threads.loc[threads["place_id"].isin(set(mine["place_id"])), "thread_id"].nunique()
        coverage = float(homed / total) if total else 0.0
        info: dict[Any, Any] = model.topics.iloc[topic].to_dict()
        share = float(info["share"])
        rows.append({
            "topic": topic,
            "share": share,
            "threads": int(info["threads"]),
            "places_about": [str(n) for n in mine["name"].fillna(mine["place_id"])],
            "home_coverage": coverage,
            "has_home": coverage >= home_coverage,
            "demand": bool(coverage < home_coverage and share >= min_share),
        })
    return pd.DataFrame(rows)


def summary(model: TopicModel, *, period: str = "month", last: int = 12) -> dict[str, Any]:
    """A small word-free dict for the report: the model, and per topic its terms, size and trend."""
    trends = {int(r["topic"]): r for r in
              topic_trends(topics_over_time(model, period=period), last=last).to_dict("records")}
    demand = {int(r["topic"]): r for r in place_demand(model).to_dict("records")}
    topics = []
    for row in model.topics.to_dict("records"):
        t = int(row["topic"])
        tr, dm = trends.get(t), demand[t]
        topics.append({
            "topic": t,
            "label": row["label"],
            "top_terms": list(row["top_terms"][:5]),
            "threads": int(row["threads"]),
            "share": round(float(row["share"]), 4),
            "trend": "too short" if tr is None else str(tr["trend"]),
            "trend_tau": None if tr is None else round(float(tr["tau"]), 3),
            "trend_p": None if tr is None else round(float(tr["p_value"]), 4),
            "representative": list(row["representative"]),
            "places": list(dm["places_about"])[:5],
            "home_coverage": round(float(dm["home_coverage"]), 3),
            "demand_for_place": bool(dm["demand"]),
        })
    return {
        "method": model.method,
        "k": model.k,
        "k_criterion": model.criterion,
        "k_scores": {str(k): v for k, v in model.k_scores.items()},
        "seed": model.seed,
        "languages": model.languages,
        "threads": int(model.params.get("threads", len(model.docs))),
        "modelled_threads": int((model.docs["topic"] >= 0).sum()),
        "terms": int(model.params.get("terms", 0)),
        "period": period,
        "trend_test": f"Mann-Kendall, last {last} periods, two-sided p < 0.05",
        "topics": topics,
    }
