"""The generative model: threads in time order, each written out whole as soon as it is drawn.

For each thread, in order of its opening time (drawn from the fitted monthly activity curve, so
the community grows and declines as the fitted one did):

1. its places: 1..k tags (fitted count), the first drawn by the tags' fitted popularity; the
   thread's topic is its first tag's topic;
2. its opener's author: a newcomer with the fitted first-post share of openers, otherwise a
   present member picked in proportion to their remaining budget (heavy-tailed participation);
3. its replies and the comments on its opener (their counts drawn together), then the comments
   on each reply: the first response (the first reply, or the first comment when there is no
   reply) comes at the fitted first-response delay and is never by the starter, later replies
   at the fitted later-reply delays, comments at the fitted comment delays after their parent;
   each delay is drawn conditioned on falling before the end of the history, as the fitted
   community's own last threads were censored;
4. each response's author: a newcomer (fitted share per role), else the thread's starter (fitted
   share), else a recent partner of the member responded to (fitted share of replies between
   members who had interacted before), else someone who posted recently in the same place
   (``place_share``), else a present member by budget.

Members leave when their budget is spent (churn) and are written out then. Memory: the pool
(:mod:`communitas.synth.pool`), the places' recent authors and one thread at a time.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from communitas.synth.fit import Fit
from communitas.synth.pool import Pool
from communitas.synth.text import TOPICS, Vocabulary

RECENT = 24  # recent authors remembered per place
_PREDRAW = 4096
_LOG_SCORE = math.log(0.65)  # scores: geometric, 35 % of posts at 0


@dataclass
class Post:
    post_id: int
    role: str  # opener, reply or comment
    author: int
    at: float
    parent: int | None  # the post it responds to
    parent_author: int | None
    length: int
    score: int
    body: str


@dataclass
class Thread:
    thread_id: int
    tags: list[int]
    title: str
    posts: list[Post] = field(default_factory=list)
    accepted: int | None = None
    views: int = 0


@dataclass
class Member:
    member_id: int
    joined: float
    last_seen: float
    posts: int


class Uniform:
    """Buffered uniform draws (one numpy call per ``_PREDRAW`` numbers)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.buf: list[float] = []

    def __call__(self) -> float:
        if not self.buf:
            self.buf = self.rng.random(_PREDRAW).tolist()
        return self.buf.pop()


class Community:
    """Draws threads (:meth:`threads`) and the members who leave (:attr:`left`) from a fit."""

    def __init__(self, fit: Fit, posts: int, seed: int) -> None:
        self.fit, self.target, self.seed = fit, posts, seed
        self.rng = np.random.default_rng(seed)
        self.u = Uniform(self.rng)
        self.vocab = Vocabulary(seed)
        self.left: list[Member] = []
        self.pool = Pool(self.rng, lambda m, a, b, n: self.left.append(Member(m, a, b, n)))
        self.next_member = 1
        self.next_post = 1
        self.written = 0
        w = fit.tag_weights / fit.tag_weights.sum()
        self.tag_cdf = np.cumsum(w).tolist()
        self.tag_topic = self.rng.integers(TOPICS, size=len(w))
        self.tag_count = np.zeros(len(w), dtype=np.int64)
        self.recent = np.full((len(w), RECENT), -1, dtype=np.int64)
        self.ring_pos = np.zeros(len(w), dtype=np.int64)
        self.end = fit.start + fit.span_days * 86400.0
        cum = np.concatenate([[0.0], np.cumsum(fit.monthly)])
        self.curve = cum / cum[-1] if cum[-1] > 0 else np.linspace(0, 1, len(cum))
        self.edges = np.linspace(fit.start, self.end, len(cum))
        self.expected_threads = max(1, round(posts / _posts_per_thread(fit)))

    def tag_names(self) -> list[str]:
        return [self.vocab.tag_name(i, int(t)) for i, t in enumerate(self.tag_topic)]

    def threads(self) -> Iterator[Thread]:
        """Threads until ``posts`` posts are drawn; the last one is cut to make the count exact."""
        n = 0
        while self.written < self.target:
            u = min((n + self.u()) / self.expected_threads, 1.0)
            at = float(np.interp(u, self.curve, self.edges))
            thread = self._thread(n + 1, at)
            n += 1
            room = self.target - self.written
            if len(thread.posts) > room:
                kept = {p.post_id for p in thread.posts[:room]}
                thread.posts = [p for p in thread.posts[:room] if p.parent is None or p.parent in kept]
            self.written += len(thread.posts)
            yield thread
        self.pool.close()

    def _tag(self) -> int:
        return min(bisect_right(self.tag_cdf, self.u() * self.tag_cdf[-1]), len(self.tag_cdf) - 1)

    def _thread(self, tid: int, at: float) -> Thread:
        fit, u = self.fit, self.u
        first = self._tag()
        more = int(fit.tags_per_thread.one(u())) - 1
        tags = list(dict.fromkeys([first, *(self._tag() for _ in range(more))]))
        topic = int(self.tag_topic[first])
        for t in tags:
            self.tag_count[t] += 1
        starter = self._author("opener", None, None, first, at)
        thread = Thread(tid, tags, self.vocab.text(u, topic, 50).capitalize() + "?")
        opener = self._post("opener", starter, at, None, topic)
        thread.posts.append(opener)
        thread.views = int(10 + 40 * ((1 - u()) ** (-1 / 1.2) - 1))
        shape = int(fit.thread_shape.one(u()))
        replies, on_opener = shape // 1000, shape % 1000
        room = max(self.end - at, 0.0)
        first_delay = fit.first_response_delay.one_between(u(), 0.0, room)
        later = sorted(fit.reply_delay.one_between(u(), first_delay, room) for _ in range(replies - 1))
        for k, delay in enumerate([first_delay, *later][:replies]):
            author = self._author("reply", starter, starter, first, at + delay, first_response=k == 0)
            thread.posts.append(self._post("reply", author, at + delay, opener, topic))
        delays = sorted(fit.comment_delay.one_between(u(), first_delay, room) for _ in range(on_opener))
        for k, delay in enumerate(delays):
            k0 = k == 0 and replies == 0
            delay = first_delay if k0 else delay
            author = self._author("comment", starter, starter, first, at + delay, first_response=k0)
            thread.posts.append(self._post("comment", author, at + delay, opener, topic))
        for parent in [p for p in thread.posts if p.role == "reply"]:
            left = max(self.end - parent.at, 0.0)
            delays = sorted(fit.comment_delay.one_between(u(), 0.0, left)
                            for _ in range(int(fit.comments_reply.one(u()))))
            for delay in delays:
                author = self._author("comment", starter, parent.author, first, parent.at + delay)
                thread.posts.append(self._post("comment", author, parent.at + delay, parent, topic))
        answers = [p for p in thread.posts if p.role == "reply" and p.author != starter]
        if answers and u() < 0.45:
            thread.accepted = max(answers, key=lambda p: p.score).post_id
        return thread

    def _post(self, role: str, author: int, at: float, parent: Post | None, topic: int) -> Post:
        chars = int(self.fit.length.one(self.u()))
        body = self.vocab.text(self.u, topic, min(chars, 4000))
        pid = self.next_post
        self.next_post += 1
        score = int(math.log(1.0 - self.u()) / _LOG_SCORE)
        return Post(pid, role, author, at, parent.post_id if parent else None,
                    parent.author if parent else None, chars, score, body)

    def _author(self, role: str, starter: int | None, target: int | None, tag: int, at: float,
                first_response: bool = False) -> int:
        """Who writes a post of ``role`` (see the module docstring), recorded in the pool; the
        thread's first response is never by its starter."""
        fit, u = self.fit, self.u
        who: int | None = None
        if u() >= fit.first_share.get(role, 0.0):
            if not first_response and starter is not None and u() < fit.starter_share.get(role, 0.0) \
                    and self.pool.present(starter):
                who = starter
            elif target is not None and u() < fit.tie_share:
                who = self.pool.partner(target)
            if who is None and u() < fit.place_share:
                who = self._recent(tag, target)
            if who is None:
                who = self.pool.weighted()
                for _ in range(3):
                    if who is None or who not in (target, starter if first_response else None):
                        break
                    who = self.pool.weighted()
                if who is not None and first_response and who == starter:
                    who = None
        if who is None:
            who = self._newcomer(at)
        else:
            self.pool.post(who, at)
        if target is not None and target != who:
            self.pool.tie(who, target)
        self.recent[tag, self.ring_pos[tag] % RECENT] = who
        self.ring_pos[tag] += 1
        return who

    def _recent(self, tag: int, target: int | None) -> int | None:
        ring = [int(m) for m in self.recent[tag] if m >= 0 and m != target and self.pool.present(int(m))]
        return ring[int(self.rng.integers(len(ring)))] if ring else None

    def _newcomer(self, at: float) -> int:
        member = self.next_member
        self.next_member += 1
        budget = max(1, int(self.fit.posts_per_member.draw(self.rng, 1)[0]))
        self.pool.arrive(member, budget, at)
        lurkers = int(self.rng.poisson(self.fit.lurker_ratio)) if self.fit.lurker_ratio > 0 else 0
        for _ in range(lurkers):
            self.left.append(Member(self.next_member, at, at, 0))
            self.next_member += 1
        return member


def _posts_per_thread(fit: Fit) -> float:
    shape = fit.thread_shape.values
    replies = float((shape // 1000).mean())
    return 1.0 + replies + float((shape % 1000).mean()) + replies * float(fit.comments_reply.values.mean())
