"""The brief's backtest: does each predictive kind come true here more often than a naive rule?

:func:`run` replays the predictive kinds (welcome, unanswered, check in, introduce, spotlight) at
past dates every ``every`` days, from 90 days after the first contribution (the activity most
rules read) to the last date whose outcome window lies wholly inside the data. At each date the kind
selects from what was known then (:class:`~communitas.brief.asof.Timeline`), a named baseline
selects from the same candidate pool, and only then the whole store says what came true
(:mod:`communitas.brief.outcomes`). Per kind and measure: the pooled value (hits over selected,
all dates together), the baseline's, their ratio (lift) and a 95% bootstrap interval of the lift
over dates. The results replace this scope's rows of the ``backtests`` table
(:mod:`communitas.brief.records`). ``docs/brief.md`` *Backtest* documents every measure.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from communitas.brief import outcomes, records
from communitas.brief.asof import Timeline
from communitas.brief.base import BriefContext
from communitas.errors import UsageError
from communitas.report.context import Pseudonyms, store_salt
from communitas.sources.parallel import default_workers, map_in_processes, usable_cpus

HISTORY_DAYS = 90    # the first date: 90 days after the first contribution (the activity most rules read)
BOOTSTRAP = 2000     # resamples of the dates
AUC_BOOTSTRAP = 200  # (an AUC resample ranks every candidate again)
SEED = 0
PARALLEL_POSTS = 200_000  # below this, the worker processes' start costs more than they save
EVERY = re.compile(r"^([1-9][0-9]*)([dw])$")


@dataclass(frozen=True)
class Measure:
    """What one measure counts: ``outcome`` (what came true), ``baseline`` (its name), ``primary``
    (the kind's track record in the brief)."""

    kind: str
    measure: str
    outcome: str
    baseline: str
    primary: bool


MEASURES = [
    Measure("welcome", "precision@10", "were still without any answer a week later",
            "the 10 newest newcomers of the past 30 days", True),
    Measure("welcome", "return within 90 days", "posted in another thread within 90 days, among newcomers "
            "answered within the week", "newcomers not answered within the week", False),
    Measure("unanswered", "precision@3", "answered a thread in the same place within 90 days",
            "the 3 most active members of the past 180 days", True),
    Measure("checkin", "precision@10", "then stayed silent 90 days or more",
            "a fixed 30-day silence rule", True),
    Measure("checkin", "recall", "of the regulars who then stayed silent 90 days, were selected",
            "a fixed 30-day silence rule", False),
    Measure("checkin", "AUC", "silence over one's own usual gap separates who then stayed silent 90 days",
            "silence in days", False),
    Measure("introduce", "precision@10", "replied to each other within 90 days",
            "the 10 most active pairs who never replied", True),
    Measure("introduce", "precision@10 (random)", "replied to each other within 90 days",
            "random pairs from the same activity quartiles", False),
    Measure("spotlight", "precision@10", "were in the core within 180 days",
            "the 10 new members with the most responses", True),
]


def every_days(every: str) -> int:
    """``30d`` → 30, ``2w`` → 14; a :class:`UsageError` otherwise."""
    m = EVERY.match(every.strip()) if isinstance(every, str) else None
    if m is None:
        raise UsageError(f"--every {every!r} is not a step; write days or weeks like 30d or 4w.")
    return int(m.group(1)) * (7 if m.group(2) == "w" else 1)


def dates(first: datetime, last: datetime, step_days: int) -> list[datetime]:
    """Every ``step_days`` from the midnight 90 days after ``first`` while an outcome window of the
    shortest horizon (90 days) still ends inside the data (``<= last``)."""
    start = (first + timedelta(days=HISTORY_DAYS)).astimezone(UTC)
    at = datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=1)
    out = []
    while at + timedelta(days=outcomes.HORIZON) <= last:
        out.append(at)
        at += timedelta(days=step_days)
    return out


def run(ws: Any, *, source_id: str | None = None, every: str = "30d", kinds: list[str] | None = None,
        save: bool = True) -> list[dict[str, Any]]:
    """Backtest ``kinds`` (default: every predictive kind) on ``ws`` (a writable Workspace, when
    ``save``); returns one dict per measure (the ``backtests`` row, with ``track_record``)."""
    from communitas.brief import _span  # the package imports this module's siblings first

    step = every_days(every)
    wanted = [k for k in (kinds or records.PREDICTIVE) if k in outcomes.CHECKS]
    first, last = _span(ws, source_id)
    when = dates(first, last, step)
    if not when:
        raise UsageError(f"the data spans {(last - first).days} days; a backtest needs at least "
                         f"{HISTORY_DAYS + outcomes.HORIZON} (90 days of history, then 90 days to check).")
    tallies = collect(ws, source_id, when, last, wanted)
    run_at = datetime.now(UTC).replace(microsecond=0)
    rows = [summarise(m, tallies.get((m.kind, m.measure), []), step, run_at)
            for m in MEASURES if m.kind in wanted]
    for r in rows:
        r["source_id"] = records.scope_key(source_id)
    if save:
        records.save(ws.con, source_id, rows)
    return [{**r, "track_record": records.to_record(r)} for r in rows]


Tallies = dict[tuple[str, str], list[tuple[datetime, outcomes.Tally]]]
Found = list[tuple[str, str, datetime, outcomes.Tally]]


def collect(ws: Any, source_id: str | None, when: list[datetime], last: datetime,
            kinds: list[str]) -> Tallies:
    """Each kind's tallies at every date whose outcome window (the kind's horizon) fits the data.
    On a large store (:data:`PARALLEL_POSTS`) the dates are shared among worker processes
    (:func:`communitas.sources.parallel.default_workers`, ``$COMMUNITAS_WORKERS``), each with its
    own read-only connection and :class:`Timeline`; every date is computed alone, so the tallies
    are the same either way."""
    workers = min(default_workers(), len(when))
    if workers > 1 and _large(ws):
        found = _in_workers(ws, source_id, when, last, kinds, workers)
    else:
        with Timeline(ws, source_id) as timeline:
            found = tallies_at(ws, timeline, source_id, when, last, kinds)
    out: Tallies = {}
    for k, measure, at, tally in sorted(found, key=lambda f: f[2]):
        out.setdefault((k, measure), []).append((at, tally))
    return out


def tallies_at(ws: Any, timeline: Timeline, source_id: str | None, when: list[datetime], last: datetime,
               kinds: list[str]) -> Found:
    """``(kind, measure, date, tally)`` at each of ``when`` (one :meth:`Timeline.at` each)."""
    out: Found = []
    names = Pseudonyms(store_salt(ws))
    for at in when:
        todo = [k for k in kinds if at + timedelta(days=outcomes.HORIZONS[k]) <= last]
        if not todo:
            continue
        with timeline.at(at) as backend:
            ctx = BriefContext(ws, backend, source_id, at, names)
            after = outcomes.After(timeline, at)
            for k in todo:
                checked = outcomes.CHECKS[k](ctx, after)
                out.extend((k, measure, at, tally) for measure, tally in checked.items())
    return out


def _large(ws: Any) -> bool:
    """Worth the workers' start (a few seconds each): a store file with many contributions."""
    path = getattr(ws, "path", None)
    if path is None or not Path(path).is_file():
        return False
    return int(ws.con.execute("SELECT count(*) FROM posts").fetchall()[0][0]) >= PARALLEL_POSTS


def _in_workers(ws: Any, source_id: str | None, when: list[datetime], last: datetime, kinds: list[str],
                workers: int) -> Found:
    """The dates in ``workers`` interleaved lanes (early and late dates in every lane), one worker
    process each, on the store file (a copy of it when ``ws`` holds it open for writing)."""
    threads = max(1, usable_cpus() // workers)
    with _readable(ws) as path:
        jobs = [(str(path), source_id, when[i::workers], last, kinds, threads) for i in range(workers)]
        return [f for lane in map_in_processes(_lane, jobs, workers) for f in lane]


def _lane(job: tuple[str, str | None, list[datetime], datetime, list[str], int]) -> Found:
    """In a worker: the tallies of one lane of dates, on a read-only connection to the store."""
    from communitas.store import Workspace

    path, source_id, when, last, kinds, threads = job
    with Workspace(path, read_only=True) as ws:
        ws.con.execute(f"SET threads = {threads}")
        with Timeline(ws, source_id) as timeline:
            return tallies_at(ws, timeline, source_id, when, last, kinds)


@contextmanager
def _readable(ws: Any) -> Iterator[Path]:
    """A path the workers may open read-only: the store itself when ``ws`` is read-only, else a
    copy made after a checkpoint (a store open for writing is locked against other processes)."""
    if getattr(ws, "read_only", False):
        yield Path(ws.path)
        return
    with tempfile.TemporaryDirectory(prefix="communitas-backtest-") as tmp:
        ws.con.execute("CHECKPOINT")
        copy = Path(tmp) / Path(ws.path).name
        shutil.copyfile(ws.path, copy)
        yield copy


def summarise(m: Measure, tallies: list[tuple[datetime, outcomes.Tally]], step: int,
              run_at: datetime) -> dict[str, Any]:
    """The ``backtests`` row of one measure: pooled value, baseline value, lift, its bootstrap
    95% interval over dates, whether the kind beats the baseline, and a sentence."""
    value, base, lift, ci = (_auc(tallies) if m.measure == "AUC" else _pooled(tallies))
    beats = None if lift is None else bool(lift > 1 and ci is not None and ci[0] > 1)
    row = {"source_id": None, "kind": m.kind, "measure": m.measure, "is_primary": m.primary,
           "outcome": m.outcome, "baseline": m.baseline, "value": value, "baseline_value": base,
           "lift": lift, "ci_low": ci[0] if ci else None, "ci_high": ci[1] if ci else None,
           "dates": len(tallies), "first_date": tallies[0][0] if tallies else None,
           "last_date": tallies[-1][0] if tallies else None, "every_days": step,
           "horizon_days": outcomes.HORIZONS[m.kind], "beats_baseline": beats, "run_at": run_at}
    row["sentence"] = sentence(m, row)
    return row


Stats = tuple[float | None, float | None, float | None, tuple[float, float] | None]


def _pooled(tallies: list[tuple[datetime, outcomes.Tally]]) -> Stats:
    """Hits over selected, all dates pooled, for the kind and the baseline; lift and its
    bootstrap interval (resampling dates; resamples where a side has nothing are left out)."""
    if not tallies:
        return None, None, None, None
    h, n, bh, bn = (np.array([getattr(t, a) for _, t in tallies], dtype=float)
                    for a in ("hits", "n", "base_hits", "base_n"))
    value = h.sum() / n.sum() if n.sum() else None
    base = bh.sum() / bn.sum() if bn.sum() else None
    if value is None or not base:
        return value, base, None, None
    idx = np.random.default_rng(SEED).integers(0, len(tallies), size=(BOOTSTRAP, len(tallies)))
    with np.errstate(divide="ignore", invalid="ignore"):
        lifts = (h[idx].sum(1) / n[idx].sum(1)) / (bh[idx].sum(1) / bn[idx].sum(1))
    return value, base, value / base, _interval(lifts)


def _interval(lifts: Any) -> tuple[float, float] | None:
    ok = lifts[np.isfinite(lifts)]
    if len(ok) < len(lifts) / 2:
        return None
    lo, hi = np.percentile(ok, [2.5, 97.5])
    return float(lo), float(hi)


def auc(y: Any, score: Any) -> float:
    """Area under the ROC curve (Mann-Whitney: the chance a random member who came true scores
    above a random one who did not; ties count half)."""
    from scipy.stats import rankdata

    pos = y.astype(bool)
    n1, n0 = int(pos.sum()), int((~pos).sum())
    ranks = rankdata(score)
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _auc(tallies: list[tuple[datetime, outcomes.Tally]]) -> Stats:
    """AUC of the kind's score and of the baseline's over every date's candidates pooled; lift
    (ratio of the two) with a bootstrap interval over dates (:data:`AUC_BOOTSTRAP` resamples)."""
    per = [np.array(t.rows, dtype=float).reshape(-1, 3) for _, t in tallies]

    def both(parts: list[Any]) -> tuple[float, float] | None:
        rows = np.concatenate(parts) if parts else np.empty((0, 3))
        if len(set(rows[:, 0])) < 2:
            return None
        return auc(rows[:, 0], rows[:, 1]), auc(rows[:, 0], rows[:, 2])

    got = both(per)
    if got is None:
        return None, None, None, None
    rng = np.random.default_rng(SEED)
    lifts = []
    for _ in range(AUC_BOOTSTRAP):
        b = both([per[i] for i in rng.integers(0, len(per), len(per))])
        lifts.append(np.nan if b is None or not b[1] else b[0] / b[1])
    return got[0], got[1], got[0] / got[1] if got[1] else None, _interval(np.array(lifts))


def sentence(m: Measure, row: dict[str, Any]) -> str:
    """One plain sentence for a facilitator; a primary measure also says where the kind ranks."""
    d, v, b = row["dates"], row["value"], row["baseline_value"]
    if v is None:
        return f"In {d} past briefs this kind never suggested anything: no track record yet."
    if m.measure == "AUC":
        said = f"In {d} past briefs, AUC {v:.2f} against {b:.2f} for {m.baseline}"
    elif m.measure == "recall":
        said = (f"In {d} past briefs, it caught {v:.0%} of the regulars who then stayed silent 90 days; "
                f"{m.baseline} caught {_pct(b)}")
    elif m.measure.startswith("return"):
        said = (f"In {d} past briefs, {v:.0%} of the newcomers answered within a week posted again "
                f"within 90 days; {_pct(b)} of those not answered did")
    else:
        said = f"In {d} past briefs, {v:.0%} of these suggestions {m.outcome}"
        said += f"; {b:.0%} of {m.baseline} did" if b is not None else f"; {m.baseline}: none to compare"
    lift, lo, hi = row["lift"], row["ci_low"], row["ci_high"]
    if lift is None:
        return said + (" (no lift: the baseline never came true)." if b == 0 else ".")
    ci = f"95% CI {lo:.1f}-{hi:.1f}" if lo is not None else "no interval: too few dates"
    if row["beats_baseline"]:
        return f"{said} ({lift:.1f} times as often, {ci}): " + (
            "it beats its baseline here." if m.primary else "better than the baseline here.")
    verdict = "not surely better than" if lift > 1 else "no better than"
    ranked = ", so it is ranked lower" if m.primary else ""
    return f"{said} ({lift:.1f} times, {ci}): {verdict} its baseline here{ranked}."


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"
