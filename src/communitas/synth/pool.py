"""The members present at a moment of a synthetic community: a fixed-size pool, so memory stays
flat whatever the number of posts.

Each present member has a *budget* (the contributions still to come, drawn from the fitted
posts-per-member distribution when they arrived), the time of their first and last post, and a
small ring of recent partners (members they replied to or were replied to by). Members are picked
with a probability proportional to their remaining budget (heavy posters come back often); a
member whose budget is spent leaves (churn) and is handed to ``on_leave``. When the pool is full,
an arriving member pushes out one present member chosen at random (``CAP`` bounds the memory).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

CAP = 200_000  # members present at once
PARTNERS = 6  # recent partners remembered per member
_BATCH = 1024  # weighted picks drawn at once (their weights are refreshed each batch)

LeaveFn = Callable[[int, float, float, int], None]  # member id, first post, last post, posts


class Pool:
    def __init__(self, rng: np.random.Generator, on_leave: LeaveFn, cap: int = CAP) -> None:
        self.rng = rng
        self.on_leave = on_leave
        self.ids = np.full(cap, -1, dtype=np.int64)
        self.left = np.zeros(cap, dtype=np.float64)
        self.first = np.zeros(cap, dtype=np.float64)
        self.last = np.zeros(cap, dtype=np.float64)
        self.posts = np.zeros(cap, dtype=np.int64)
        self.partners: list[list[int]] = [[] for _ in range(cap)]
        self.slot: dict[int, int] = {}
        self.free = list(range(cap - 1, -1, -1))  # popped from the end: low slots first
        self.high = 0  # one past the highest slot ever used
        self._picks: list[int] = []

    def __len__(self) -> int:
        return len(self.slot)

    def arrive(self, member: int, budget: int, at: float) -> None:
        """A newcomer's first post at ``at``; they stay while budget is left."""
        if budget <= 1:
            self.on_leave(member, at, at, 1)
            return
        if not self.free:
            self._leave(int(self.rng.integers(len(self.ids))))
        s = self.free.pop()
        self.high = max(self.high, s + 1)
        self.ids[s], self.left[s], self.first[s], self.last[s], self.posts[s] = member, budget - 1, at, at, 1
        self.partners[s] = []
        self.slot[member] = s

    def post(self, member: int, at: float) -> None:
        """A present member posts at ``at``: their budget shrinks; spent, they leave."""
        s = self.slot[member]
        self.left[s] -= 1
        self.posts[s] += 1
        self.first[s] = min(self.first[s], at)
        self.last[s] = max(self.last[s], at)
        if self.left[s] <= 0:
            self._leave(s)

    def tie(self, a: int, b: int) -> None:
        """Remember that ``a`` and ``b`` interacted."""
        for x, y in ((a, b), (b, a)):
            s = self.slot.get(x)
            if s is not None and y not in self.partners[s]:
                ring = self.partners[s]
                ring.append(y)
                if len(ring) > PARTNERS:
                    del ring[0]

    def partner(self, member: int) -> int | None:
        """A present recent partner of ``member``, or None."""
        s = self.slot.get(member)
        if s is None:
            return None
        ring = [p for p in self.partners[s] if p in self.slot]
        return ring[int(self.rng.integers(len(ring)))] if ring else None

    def weighted(self) -> int | None:
        """A present member, picked in proportion to their remaining budget (None: pool empty)."""
        for _ in range(3 * _BATCH):
            if not self._picks:
                if not self.slot:
                    return None
                cum = np.cumsum(np.maximum(self.left[:self.high], 0))
                self._picks = np.searchsorted(cum, self.rng.random(_BATCH) * cum[-1], side="right").tolist()
                self._picks.reverse()
            s = min(self._picks.pop(), self.high - 1)
            if self.ids[s] >= 0 and self.left[s] > 0:
                return int(self.ids[s])
        return None

    def present(self, member: int) -> bool:
        return member in self.slot

    def close(self) -> None:
        """Everyone still present leaves (the end of the community's history)."""
        for s in list(self.slot.values()):
            self._leave(s)

    def _leave(self, s: int) -> None:
        member = int(self.ids[s])
        self.on_leave(member, float(self.first[s]), float(self.last[s]), int(self.posts[s]))
        del self.slot[member]
        self.ids[s], self.left[s] = -1, 0.0
        self.free.append(s)
