"""The brief's seam: an item, a kind, the registry of kinds, and what every kind reads from.

A **kind** is one module under ``communitas/brief/`` with one function decorated by
:func:`kind`; it receives a :class:`BriefContext` (the store as of the brief's moment) and returns
its :class:`BriefItem` list, best first. The kinds never print and never look past
``BriefContext.now``: a replayed brief reads a :class:`communitas.replay.Replay`, in which
nothing after ``as_of`` exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from communitas.metrics import scope
from communitas.report.context import Pseudonyms


@dataclass
class BriefItem:
    """One opportunity for the person who animates the community.

    ``subject_ids`` are what the item is about (members, a thread, a place, a pair); the item's
    ``id`` is ``<kind>:<subject ids joined by +>``, stable across runs and ranks, so a dashboard
    can remember it as done or dismissed and a backtest can follow it. ``figures`` are the
    numbers that selected it, ``why`` says them in one line; ``score`` orders items within the
    kind (higher first). ``track_record`` is filled by the backtest (None until then)."""

    kind: str
    subject_ids: tuple[str, ...]
    subjects: tuple[str, ...]
    action: str
    why: str
    figures: dict[str, Any] = field(default_factory=dict)
    score: float = 0.0
    thread_id: str | None = None
    track_record: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return f"{self.kind}:{'+'.join(self.subject_ids)}"

    def to_dict(self) -> dict[str, Any]:
        """The item as plain data: ``id, kind, title`` (the action), ``action, why, thread_id,
        subject_ids, subjects, figures, score, track_record``."""
        return {"id": self.id, "kind": self.kind, "title": self.action, "action": self.action,
                "why": self.why, "thread_id": self.thread_id, "subject_ids": list(self.subject_ids),
                "subjects": list(self.subjects), "figures": self.figures, "score": self.score,
                "track_record": self.track_record}


@dataclass
class BriefContext:
    """What a kind reads: ``backend`` (a :class:`~communitas.metrics.scope.Prepared` over the
    store, or its replay), ``source_id``, ``now`` (the as-of moment, else the last contribution
    in scope) and the member labels (pseudonyms unless ``names``)."""

    ws: Any
    backend: scope.Prepared
    source_id: str | None
    now: datetime
    pseudonyms: Pseudonyms
    _names: dict[str, str] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)  # results several kinds share (brief/ties.py)

    def history(self) -> ir.Table:
        """Every contribution in scope (bots left out), all visible history."""
        return scope.history(self.backend, source_id=self.source_id)

    def since(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def lit(self, days: float = 0) -> Any:
        """``now - days`` as an Ibis timestamp literal."""
        return ibis.literal(self.since(days))

    def label(self, member_id: str | None) -> str:
        """What to show for a member: a pseudonym, or their scrubbed display name with names."""
        if member_id is None:
            return "(deleted account)"
        return self.pseudonyms.name(member_id, self._names.get(member_id))

    def learn_names(self, member_ids: list[str]) -> None:
        """Fetch the display names of ``member_ids`` (only when names are shown)."""
        wanted = [m for m in set(member_ids) if m and m not in self._names]
        if not self.pseudonyms.show_names or not wanted:
            return
        m = self.backend.table("members")
        df = m.filter(m.member_id.isin(wanted)).select("member_id", "display_name").execute()
        self._names.update({r.member_id: r.display_name for r in df.itertuples() if r.display_name})

    def titles(self, thread_ids: list[str]) -> dict[str, str]:
        """Thread titles (raw: the caller escapes where it renders)."""
        if not thread_ids:
            return {}
        t = self.backend.table("threads")
        df = t.filter(t.thread_id.isin(list(thread_ids))).select("thread_id", "title").execute()
        return {r.thread_id: ("(untitled)" if pd.isna(r.title) or not r.title else str(r.title))
                for r in df.itertuples()}


FindFn = Callable[[BriefContext], list[BriefItem]]


@dataclass(frozen=True)
class Kind:
    """A kind of suggestion: its ``key`` (``--kind``), a short ``title``, its default ``order``
    in the ranking (lower first) and ``find``, the function that selects its items."""

    key: str
    title: str
    order: int
    find: FindFn


KINDS: dict[str, Kind] = {}


def register_kind(k: Kind) -> Kind:
    """Add (or replace, by key) a kind."""
    KINDS[k.key] = k
    return k


def kind(key: str, title: str, order: int) -> Callable[[FindFn], FindFn]:
    """Decorator form of :func:`register_kind`."""

    def wrap(fn: FindFn) -> FindFn:
        register_kind(Kind(key, title, order, fn))
        return fn

    return wrap


def hours(value: Any) -> float | None:
    """A float, or None for NULL/NaN."""
    return None if value is None or pd.isna(value) else float(value)


def fmt_hours(h: float) -> str:
    """``h`` hours in words: ``20 min``, ``5 h`` or ``3 days``."""
    if h < 1:
        return f"{h * 60:.0f} min"
    return f"{h:.0f} h" if h < 48 else f"{h / 24:.0f} days"


def counted(n: int, noun: str) -> str:
    """``n`` and the noun, singular for one.

    >>> counted(1, "member"), counted(2, "member"), counted(0, "member")
    ('1 member', '2 members', '0 members')
    """
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"
