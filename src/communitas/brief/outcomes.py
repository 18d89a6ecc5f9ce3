"""What the backtest counts at one past date, per predictive kind (``docs/brief.md`` *Backtest*).

Each ``check_<kind>`` receives the brief's context as of a date (``ctx``: only what was known
then, an :class:`~communitas.brief.asof.AsOf` backend) and :class:`After` (the whole store, for
what happened after the date). It selects with the kind's **own** functions (the rule and its
ranking as the brief applies them), builds the named naive baseline from the same candidate
pool, and only then looks after the date, through :class:`After`, to count what came true.
It returns one :class:`Tally` per measure.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import combinations
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from communitas.brief import checkin, introduce, spotlight, unanswered, welcome
from communitas.brief import interests as topics
from communitas.brief.base import BriefContext
from communitas.metrics import interaction, scope

K = 10                 # precision@10: the top of a brief a facilitator reads
WAIT_DAYS = 7          # Welcome came true: still no answer a week later
HORIZON = 90           # return, silence, interaction, answer: within 90 days
CORE_DAYS = 180        # Spotlight: core within 180 days
FIXED_SILENCE = 30     # Check in's baseline: a fixed 30-day silence rule
CORE_SHARE = 0.80      # core: the members who together make the first 80% of contributions
ACTIVITY_BINS = 4      # Introduce's random baseline: pairs from the same activity quartiles


@dataclass
class Tally:
    """One measure at one date: ``hits`` of ``n`` selected came true; ``base_hits`` of ``base_n``
    for the baseline (``base_hits`` may be an expectation). ``rows`` (AUC only): per candidate
    ``(came_true, score, baseline_score)``."""

    hits: float = 0.0
    n: int = 0
    base_hits: float = 0.0
    base_n: int = 0
    rows: list[tuple[bool, float, float]] = field(default_factory=list)


class After:
    """The whole store (:class:`~communitas.brief.asof.Timeline`), asked only about the window
    ``[at, at + days)`` after a date: what the outcome checks may look at. Every answer is read
    from :class:`Later` (loaded once per timeline, for every date)."""

    def __init__(self, timeline: Any, at: datetime) -> None:
        self.t, self.at = timeline, at

    @property
    def later(self) -> Later:
        return later(self.t)

    def active(self, members: list[str], days: int) -> set[str]:
        """Which of ``members`` contributed in the window."""
        if not members:
            return set()
        rows = self.later.rows(self.at, days, members)
        return set(self.later.names[np.unique(self.later.author[rows])])

    def active_elsewhere(self, members: list[str], own: list[str], days: int) -> set[str]:
        """Which of ``members`` contributed in the window to a thread other than their own
        (``own``, each member's thread, in the same order): a follow-up in one's own waiting
        thread is not a return."""
        if not members:
            return set()
        lt = self.later
        rows = lt.rows(self.at, days, members)
        mine = dict(zip(members, own, strict=True))
        pairs = set(zip(lt.names[lt.author[rows]], lt.thread_names[lt.thread[rows]], strict=True))
        return {a for a, t in pairs if t != mine.get(a)}

    def first_responses(self, thread_ids: list[str]) -> dict[str, Any]:
        """Each thread's first response by someone other than its starter (any time; NaT: none)."""
        return self.later.first_response(thread_ids)

    def answered_places(self, members: list[str], days: int) -> set[tuple[str, str]]:
        """``(member, place)``: ``members`` who responded (in a thread someone else started) in the
        window, in a thread of that place."""
        if not members:
            return set()
        lt = self.later
        rows = lt.rows(self.at, days, members)
        a, t = lt.author[rows], lt.thread[rows]
        starter = lt.starters()[t]
        ok = (starter != -2) & (starter != a)  # in a thread (of the threads) someone else started
        got = pd.DataFrame({"t": t[ok], "a": a[ok]}).drop_duplicates().merge(lt.places(), on="t")
        return set(zip(lt.names[got.a.to_numpy()], got.place_id, strict=True))

    def replied_pairs(self, members: list[str], days: int) -> set[tuple[str, str]]:
        """``(a, b)`` with ``a < b``: pairs of ``members`` where one replied to the other in the window."""
        if not members:
            return set()
        lt = self.later
        rows = lt.rows(self.at, days, members)
        a, b = lt.author[rows], lt.reply_to[rows]
        b_in = b >= 0
        b_in[b_in] = np.isin(b[b_in], lt.codes(members))
        a, b = lt.names[a[b_in]], lt.names[b[b_in]]
        return {(min(x, y), max(x, y)) for x, y in zip(a, b, strict=True) if x != y}

    def core(self, days: int) -> set[str]:
        """The window's core: ranked by contributions, the members who together make its first 80%
        (``member_tiers``' ``core``, docs/metrics.md)."""
        lt = self.later
        lo, hi = lt.window(self.at, days)
        n = np.bincount(lt.author[lo:hi], minlength=len(lt.names))
        who = np.flatnonzero(n)
        if len(who) == 0:
            return set()
        per = pd.DataFrame({"member": lt.names[who], "n": n[who]})
        per = per.sort_values(["n", "member"], ascending=[False, True], ignore_index=True)
        counts = per.n.to_numpy()
        before = (np.cumsum(counts) - counts) / counts.sum()
        return set(per.member[before < CORE_SHARE])


class Later:
    """What comes after any date, loaded once per :class:`~communitas.brief.asof.Timeline`: the
    whole store's contributions with an author (bots left out, as :func:`~communitas.metrics.scope.history`),
    sorted by time and dictionary-coded (``author``, ``thread``, ``reply_to``: codes into
    ``names`` and ``thread_names``, -1 for none), so that each outcome window is a slice of them;
    the threads' starters, places and first responses when first asked."""

    def __init__(self, timeline: Any) -> None:
        self.t = timeline
        h = scope.history(timeline.full, source_id=timeline.source_id)
        h = h.filter(h.author_id.notnull())
        tbl = h.select("author_id", "thread_id", "reply_to_member_id", "created_at").to_pyarrow()
        at = np.asarray(tbl["created_at"].cast(pa.timestamp("us", "UTC")).cast(pa.int64()).to_numpy())
        order = np.argsort(at, kind="stable")
        self.at = at[order]
        author, reply_to = tbl["author_id"].combine_chunks(), tbl["reply_to_member_id"].combine_chunks()
        people = pc.unique(pa.concat_arrays([author, reply_to.cast(author.type)])).drop_null()
        self.names = np.asarray(people.to_pylist(), dtype=object)
        self.author, self.reply_to = (_codes(pc.index_in(x, value_set=people))[order]
                                      for x in (author, reply_to))
        threads = pc.dictionary_encode(tbl["thread_id"].combine_chunks())
        self.thread = _codes(threads.indices)[order]
        self.thread_names = np.asarray([*threads.dictionary.to_pylist(), None], dtype=object)
        self._index = pd.Index(self.names)
        self._cache: dict[str, Any] = {}

    def window(self, at: datetime, days: int) -> tuple[int, int]:
        """The rows ``[lo, hi)`` of the contributions made in ``[at, at + days)``."""
        start, end = (np.datetime64(x.astimezone(UTC).replace(tzinfo=None), "us").astype(np.int64)
                      for x in (at, at + timedelta(days=days)))
        return int(np.searchsorted(self.at, start, "left")), int(np.searchsorted(self.at, end, "left"))

    def codes(self, members: list[str]) -> np.ndarray:
        got = self._index.get_indexer(pd.Index(members, dtype=object))
        return np.asarray(got[got >= 0], dtype=np.int64)

    def rows(self, at: datetime, days: int, members: list[str]) -> np.ndarray:
        """The indices of the window's rows by ``members``."""
        lo, hi = self.window(at, days)
        keep = np.isin(self.author[lo:hi], self.codes(members))
        return lo + np.flatnonzero(keep)

    def starters(self) -> np.ndarray:
        """Per thread code: its starter's code (-1: none, or someone with no contribution here;
        -2: not one of the threads, :func:`~communitas.metrics.scope.threads`)."""
        if "starters" not in self._cache:
            th = scope.threads(self.t.full, source_id=self.t.source_id)
            th = th.select("thread_id", "starter").execute()
            out = np.full(len(self.thread_names), -2, dtype=np.int64)
            where = pd.Index(self.thread_names[:-1]).get_indexer(th.thread_id)
            who = self._index.get_indexer(pd.Index(th.starter, dtype=object))
            out[where[where >= 0]] = who[where >= 0]
            self._cache["starters"] = out
        starters: np.ndarray = self._cache["starters"]
        return starters

    def places(self) -> pd.DataFrame:
        """``t, place_id``: each thread's places (by code; :func:`~communitas.metrics.scope.thread_place`)."""
        if "places" not in self._cache:
            tp = self.t.thread_place().execute()
            t = pd.Index(self.thread_names[:-1]).get_indexer(tp.thread_id)
            self._cache["places"] = pd.DataFrame({"t": t[t >= 0], "place_id": tp.place_id[t >= 0].to_numpy()})
        places: pd.DataFrame = self._cache["places"]
        return places

    def first_response(self, thread_ids: list[str]) -> dict[str, Any]:
        """``thread_id → first_response_at`` of those of ``thread_ids`` that are threads (as
        :func:`~communitas.metrics.interaction.thread_stats`; NaT: none yet, at any time)."""
        if "first" not in self._cache:
            t = interaction.thread_stats(self.t.full, source_id=self.t.source_id)
            tbl = t.select("thread_id", "first_response_at").to_pyarrow()
            self._cache["first"] = (pd.Index(tbl["thread_id"].to_pylist(), dtype=object),
                                    tbl["first_response_at"].to_pandas())
        index, first = self._cache["first"]
        wanted = list(dict.fromkeys(thread_ids))
        at = index.get_indexer(pd.Index(wanted, dtype=object))
        found = at >= 0
        return dict(zip(np.asarray(wanted, dtype=object)[found], first.iloc[at[found]], strict=True))


def _codes(indices: pa.Array) -> np.ndarray:
    """Dictionary indices as int64, -1 for null."""
    return np.asarray(indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


_LATER: weakref.WeakKeyDictionary[Any, Later] = weakref.WeakKeyDictionary()


def later(timeline: Any) -> Later:
    """The timeline's :class:`Later` (made on first use)."""
    if timeline not in _LATER:
        _LATER[timeline] = Later(timeline)
    return _LATER[timeline]


def among(t: ir.Table, column: str, values: list[str]) -> ir.Table:
    """The rows of ``t`` whose ``column`` is one of ``values`` (a semi-join on a small table:
    a long ``IN`` list costs Ibis seconds to build and compile)."""
    keep = ibis.memtable(pd.DataFrame({column: pd.Series(values, dtype="object")}),
                         schema=ibis.schema({column: "string"}))
    return t.semi_join(keep, column)


def threshold(ctx: BriefContext) -> float:
    """Welcome's and Unanswered's N hours at this date (computed once per date)."""
    cache = getattr(ctx.backend, "cache", {})
    if "n_hours" not in cache:
        cache["n_hours"] = welcome.response_threshold(ctx)[0]
    return float(cache["n_hours"])


def check_welcome(ctx: BriefContext, after: After) -> dict[str, Tally]:
    """Selected: Welcome's waiting newcomers (shortest wait first). Pool and baseline: every
    newcomer of the past 30 days, newest first. Came true: still no answer a week later.
    Return: newcomers of the pool answered within the week vs not, back within 90 days in
    another thread than their first (a follow-up in one's own thread is not a return)."""
    n_hours = threshold(ctx)
    sel = list(welcome.waiting_newcomers(ctx, n_hours).thread_id)[:K]
    pool = interaction.newcomer_threads(ctx.backend, since=ctx.since(welcome.WINDOW_DAYS),
                                        source_id=ctx.source_id).select("member", "thread_id", "started_at")
    pool_df = pool.order_by([pool.started_at.desc(), pool.thread_id]).execute()
    first = after.first_responses(list(pool_df.thread_id))
    week = after.at + timedelta(days=WAIT_DAYS)
    waiting = {t for t, at in first.items() if pd.isna(at) or at >= week}
    base = list(pool_df.thread_id)[:K]
    back = after.active_elsewhere(list(pool_df.member), list(pool_df.thread_id), HORIZON)
    answered = [m for m, t in zip(pool_df.member, pool_df.thread_id, strict=True) if t not in waiting]
    ignored = [m for m, t in zip(pool_df.member, pool_df.thread_id, strict=True) if t in waiting]
    return {"precision@10": Tally(sum(t in waiting for t in sel), len(sel), sum(t in waiting for t in base),
                                  len(base)),
            "return within 90 days": Tally(sum(m in back for m in answered), len(answered),
                                           sum(m in back for m in ignored), len(ignored))}


def check_unanswered(ctx: BriefContext, after: After) -> dict[str, Tally]:
    """Selected: the suggested responders of the top 10 waiting threads. Baseline: for each of
    those threads, the 3 most active members of the past 180 days (not its starter). Came true:
    the member answered a thread in one of its places within 90 days."""
    n_hours = threshold(ctx)
    top = unanswered.ranked_threads(ctx, n_hours).limit(K).execute()[["thread_id", "starter"]]
    if top.empty:
        return {"precision@3": Tally()}
    who = unanswered.responders(ctx, ibis.memtable(top))
    h = ctx.history()
    recent = h.filter((h.created_at >= ctx.lit(unanswered.RESPONDER_DAYS)) & h.author_id.notnull())
    busy = recent.group_by(member=recent.author_id).aggregate(n=recent.count())
    busy = busy.order_by([busy.n.desc(), busy.member]).limit(unanswered.RESPONDERS + 1)
    busiest = list(busy.execute().member)
    tp = scope.thread_place(ctx.backend, ctx.source_id)
    tp = tp.filter(tp.thread_id.isin(list(top.thread_id))).execute()
    places = tp.groupby("thread_id").place_id.apply(set)
    cands = set(who.member) | set(busiest)
    done = after.answered_places(sorted(cands), HORIZON)
    tally = Tally()
    for thread, starter in zip(top.thread_id, top.starter, strict=True):
        mine = places.get(thread, set())
        sel = list(who[who.thread_id == thread].member)
        base = [m for m in busiest if m != starter][:unanswered.RESPONDERS]
        tally.hits += sum(any((m, p) in done for p in mine) for m in sel)
        tally.base_hits += sum(any((m, p) in done for p in mine) for m in base)
        tally.n, tally.base_n = tally.n + len(sel), tally.base_n + len(base)
    return {"precision@3": tally}


def check_checkin(ctx: BriefContext, after: After) -> dict[str, Tally]:
    """Pool: the regulars (silent at most a year). Selected: Check in's quiet regulars, ranked
    by loss. Baseline: the regulars silent 30 days or more, ranked the same way. Came true:
    no contribution in the 90 days after. Also recall, and AUC of silence over one's own usual
    gap against silence in days."""
    r = checkin.regulars(ctx)
    pool = checkin.by_loss(ctx, r.mutate(quiet=checkin.quiet(r)))  # the rule as a column
    sel = list(pool[pool.quiet].member)  # = quiet_regulars(ctx), in one query with the pool
    base = list(pool[pool.silence_days >= FIXED_SILENCE].member)
    active = after.active(list(pool.member), HORIZON)
    gone = {m for m in pool.member if m not in active}
    rows = [(m in gone, float(s) / float(e), float(s))
            for m, s, e in zip(pool.member, pool.silence_days, pool.expected_days, strict=True)]
    return {"precision@10": Tally(sum(m in gone for m in sel[:K]), len(sel[:K]),
                                  sum(m in gone for m in base[:K]), len(base[:K])),
            "recall": Tally(sum(m in gone for m in sel), len(gone), sum(m in gone for m in base), len(gone)),
            "AUC": Tally(rows=rows)}


def check_introduce(ctx: BriefContext, after: After) -> dict[str, Tally]:
    """Pool: Introduce's members (active, with places or text read) and their pairs who never
    replied to each other. Selected: the top 10 pairs. Baselines: the 10 most active pairs (most
    contributions in the past 90 days together), and random pairs from the same activity quartiles (as an
    expectation over every such pair). Came true: one replied to the other within 90 days."""
    top = introduce.chosen_pairs(ctx, K)
    sel = list(zip(top.a, top.b, strict=True))
    members = introduce.members(ctx)
    if len(members) < 2:
        return {"precision@10": Tally(), "precision@10 (random)": Tally()}
    # contributions in the past 90 days: the pool's own counts (every member is of the pool)
    pool = topics.active(ctx).execute()
    keep = pool.member.isin(members)
    act = dict(zip(pool.member[keep], pool.n[keep], strict=True))
    rep = introduce.replied(ctx)  # the pool's reply pairs, ever
    mine = set(members)
    ever = {(a, b) for a, b in zip(rep.a, rep.b, strict=True) if a in mine and b in mine}
    cands = pd.DataFrame([p for p in combinations(members, 2) if p not in ever], columns=["a", "b"])
    later = after.replied_pairs(members, HORIZON)
    cands["hit"] = [p in later for p in zip(cands.a, cands.b, strict=True)]
    cands["act"] = cands.a.map(act).fillna(0) + cands.b.map(act).fillna(0)
    base = cands.sort_values(["act", "a", "b"], ascending=[False, True, True]).head(K)
    ranks = pd.Series(act).reindex(members).fillna(0).rank(method="first")
    q = (ranks * ACTIVITY_BINS / (len(members) + 1)).astype(int).to_dict()
    cands["bins"] = [tuple(sorted((q[a], q[b]))) for a, b in zip(cands.a, cands.b, strict=True)]
    rate = cands.groupby("bins").hit.mean().to_dict()
    expect = sum(rate.get(tuple(sorted((q[a], q[b]))), 0.0) for a, b in sel)
    hits = sum(p in later for p in sel)
    return {"precision@10": Tally(hits, len(sel), int(base.hit.sum()), len(base)),
            "precision@10 (random)": Tally(hits, len(sel), expect, len(sel))}


def check_spotlight(ctx: BriefContext, after: After) -> dict[str, Tally]:
    """Pool: members new this year who responded in the past 90 days. Selected: Spotlight's
    emerging contributors. Baseline: the pool ranked by responses alone. Came true: in the
    core (docs/metrics.md tiers) of the 180 days after."""
    sel = list(spotlight.emerging(ctx).member)[:K]
    resp = spotlight.responses(ctx)
    per = resp.group_by("member").aggregate(responses=resp.count())
    firsts = scope.member_firsts(ctx.backend, source_id=ctx.source_id).select(m="member", first_at="first_at")
    per = per.join(firsts, per.member == firsts.m)
    per = per.filter(per.first_at >= ctx.lit(spotlight.NEW_DAYS))
    base = list(per.order_by([per.responses.desc(), per.member]).limit(K).execute().member)
    core = after.core(CORE_DAYS)
    return {"precision@10": Tally(sum(m in core for m in sel), len(sel),
                                  sum(m in core for m in base), len(base))}


CHECKS = {"welcome": check_welcome, "unanswered": check_unanswered, "checkin": check_checkin,
          "introduce": check_introduce, "spotlight": check_spotlight}
HORIZONS = {"welcome": HORIZON, "unanswered": HORIZON, "checkin": HORIZON, "introduce": HORIZON,
            "spotlight": CORE_DAYS}
