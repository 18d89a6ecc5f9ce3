"""The distributions a synthetic community is drawn from, fitted to a real store or built in.

A :class:`Fit` holds only aggregate shapes — sorted samples (at most ``KEEP`` quantile points) of
counts and delays, a few shares, the monthly activity curve and the tags' popularity — never an
identifier, a name or a text, so a fit to a real community carries nobody's data with it.

What is fitted (contributions only; a thread's *opener* is its earliest contribution, a *reply* a
later contribution that is not a comment, a *comment* a post of kind comment):

* ``posts_per_member``: contributions per posting member (each newcomer's budget);
* ``thread_shape``: per thread, its replies and the comments on its opener, drawn together
  (``1000 * replies + comments``), so threads with neither are as rare as in the fitted one;
  ``comments_reply``: comments per reply;
* ``first_response_delay``: seconds from the opener to the first contribution by another
  member; ``reply_delay``: to each later reply; ``comment_delay``: from a comment's parent post;
* ``first_share``: per role (opener, reply, comment), the share of posts that are their author's
  first contribution (newcomers arrive at that rate);
* ``starter_share``: the share of replies and of comments written by the thread's starter;
* ``tie_share``: the share of replies and comments to another member whose pair had already
  interacted (either way) — the weight of prior ties when a responder is chosen;
* ``tags_per_thread`` and ``tag_weights`` (popularity of each place, largest first);
* ``monthly``: contributions per month over ``span_days`` (growth and decline phases);
* ``length``: characters per post; ``lurker_ratio``: members who never posted, per poster.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

KEEP = 2001  # quantile points kept per distribution (the whole sample when smaller)
ROLES = ("opener", "reply", "comment")


@dataclass(frozen=True)
class Empirical:
    """A sorted sample; :meth:`draw` samples it by inverse CDF (``discrete``: one of the values,
    otherwise linear interpolation between neighbouring order statistics)."""

    values: np.ndarray
    discrete: bool = True
    listed: list[float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "listed", self.values.tolist())

    @classmethod
    def of(cls, sample: Any, discrete: bool = True) -> Empirical:
        v = np.sort(np.asarray(sample, dtype=np.float64))
        if len(v) == 0:
            v = np.zeros(1)
        if len(v) > KEEP:
            v = np.quantile(v, np.linspace(0, 1, KEEP), method="inverted_cdf" if discrete else "linear")
        return cls(v, discrete)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        u = rng.random(n) * (len(self.values) - (0 if self.discrete else 1))
        if self.discrete:
            return self.values[np.minimum(u.astype(np.int64), len(self.values) - 1)]
        return np.interp(u, np.arange(len(self.values)), self.values)

    def one(self, u: float) -> float:
        """One draw from a uniform ``u`` in [0, 1) (as :meth:`draw`, without numpy's per-call cost)."""
        return self._at(u * (len(self.listed) - (0 if self.discrete else 1)))

    def one_between(self, u: float, low: float, high: float) -> float:
        """One draw from a uniform ``u``, conditioned on ``low <= x <= high`` (inverse CDF over that
        part of the sample), as a community's history censors the delays of its last threads."""
        v = self.listed
        a = bisect_left(v, low)
        b = bisect_right(v, high) - (0 if self.discrete else 1)
        if b <= a:
            return min(max(low, v[0]), high)
        return self._at(a + u * (b - a))

    def _at(self, x: float) -> float:
        v = self.listed
        i = min(int(x), len(v) - 1)
        if self.discrete or i + 1 >= len(v):
            return v[i]
        return v[i] + (x - i) * (v[i + 1] - v[i])

    def quantiles(self, qs: tuple[float, ...]) -> list[float]:
        return [float(x) for x in np.quantile(self.values, qs)]


@dataclass(frozen=True)
class Fit:
    posts_per_member: Empirical
    thread_shape: Empirical
    comments_reply: Empirical
    first_response_delay: Empirical
    reply_delay: Empirical
    comment_delay: Empirical
    tags_per_thread: Empirical
    length: Empirical
    first_share: dict[str, float]
    starter_share: dict[str, float]
    tie_share: float
    tag_weights: np.ndarray
    monthly: np.ndarray
    span_days: float
    lurker_ratio: float
    start: float = 1_388_534_400.0  # 2014-01-01 UTC, seconds
    origin: str = "built-in"
    place_share: float = 0.3
    extra: dict[str, Any] = field(default_factory=dict)


def default_fit() -> Fit:
    """A built-in community (no ``--like``): a question-and-answer site of six years that grows
    for two and declines after, with lognormal delays and Pareto-tailed participation."""
    rng = np.random.default_rng(0)
    months = np.arange(72)
    monthly = np.where(months < 24, 20 + 8 * months, 212 * np.exp(-(months - 24) / 30.0))
    budgets = np.minimum(np.floor(rng.pareto(1.1, 20_000) + 1), 5_000)
    return Fit(
        posts_per_member=Empirical.of(budgets),
        thread_shape=Empirical.of(
            1000 * rng.choice([0, 1, 2, 3, 4, 5], 5_000, p=[.12, .45, .25, .1, .05, .03])
            + rng.geometric(0.45, 5_000) - 1),
        comments_reply=Empirical.of(rng.geometric(0.6, 5_000) - 1),
        first_response_delay=Empirical.of(rng.lognormal(np.log(3 * 3600), 2.0, 5_000), discrete=False),
        reply_delay=Empirical.of(rng.lognormal(np.log(12 * 3600), 2.4, 5_000), discrete=False),
        comment_delay=Empirical.of(rng.lognormal(np.log(2 * 3600), 2.5, 5_000), discrete=False),
        tags_per_thread=Empirical.of(rng.choice([1, 2, 3, 4, 5], 5_000, p=[.3, .3, .2, .12, .08])),
        length=Empirical.of(np.floor(rng.lognormal(np.log(300), 0.9, 5_000)) + 10),
        first_share={"opener": 0.4, "reply": 0.2, "comment": 0.1},
        starter_share={"reply": 0.03, "comment": 0.3},
        tie_share=0.3,
        tag_weights=1.0 / np.arange(1, 301) ** 1.1,
        monthly=monthly.astype(np.float64),
        span_days=72 * 30.44,
        lurker_ratio=2.0,
    )


def fit_store(path: Path, source_id: str | None = None) -> Fit:
    """Fit a community's distributions from the store at ``path`` (read only)."""
    from communitas.store import Workspace
    from communitas.synth.fit_queries import fitted_samples

    with Workspace(path, read_only=True) as ws:
        s = fitted_samples(ws.con, source_id)
    weights = np.asarray(s["tag_counts"], dtype=np.float64)
    return Fit(
        posts_per_member=Empirical.of(s["posts_per_member"]),
        thread_shape=Empirical.of(s["thread_shape"]),
        comments_reply=Empirical.of(s["comments_reply"]),
        first_response_delay=Empirical.of(s["first_response_delay"], discrete=False),
        reply_delay=Empirical.of(s["reply_delay"], discrete=False),
        comment_delay=Empirical.of(s["comment_delay"], discrete=False),
        tags_per_thread=Empirical.of(s["tags_per_thread"]),
        length=Empirical.of(s["length"]),
        first_share=s["first_share"],
        starter_share=s["starter_share"],
        tie_share=s["tie_share"],
        tag_weights=weights if len(weights) else np.ones(1),
        monthly=np.asarray(s["monthly"], dtype=np.float64),
        span_days=s["span_days"],
        lurker_ratio=s["lurker_ratio"],
        start=s["start"],
        origin=str(path),
    )
