"""The backtest's results in the store (``backtests``) and each kind's track record read back.

One row per source scope, kind and measure (``docs/data-model.md`` *backtests*); a new backtest
of a scope replaces that scope's rows. :func:`track_records` turns the primary measure of each
kind into the ``track_record`` dict every brief item carries, and :func:`kind_order` ranks the
kinds that do not beat their baseline below those that do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from communitas.brief.base import KINDS

ALL_SOURCES = "*"   # the scope key of a backtest over every source of the store
PREDICTIVE = ("welcome", "unanswered", "checkin", "introduce", "spotlight")
LOSER_PENALTY = 100  # added to a losing kind's order: it ranks after every other kind

COLUMNS: dict[str, str] = {
    "source_id": "VARCHAR", "kind": "VARCHAR", "measure": "VARCHAR", "is_primary": "BOOLEAN",
    "outcome": "VARCHAR", "baseline": "VARCHAR", "value": "DOUBLE", "baseline_value": "DOUBLE",
    "lift": "DOUBLE", "ci_low": "DOUBLE", "ci_high": "DOUBLE", "dates": "INTEGER",
    "first_date": "TIMESTAMPTZ", "last_date": "TIMESTAMPTZ", "every_days": "INTEGER",
    "horizon_days": "INTEGER", "beats_baseline": "BOOLEAN", "sentence": "VARCHAR",
    "run_at": "TIMESTAMPTZ",
}

NOT_A_PREDICTION = "Not a prediction: no track record."


def scope_key(source_id: str | None) -> str:
    return ALL_SOURCES if source_id is None else source_id


def save(con: Any, source_id: str | None, rows: list[dict[str, Any]]) -> None:
    """Replace the scope's rows of ``backtests`` (created when missing) by ``rows``."""
    body = ", ".join(f'"{c}" {t}' for c, t in COLUMNS.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS backtests ({body})")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM backtests WHERE source_id = ?", [scope_key(source_id)])
        marks = ", ".join("?" for _ in COLUMNS)
        con.executemany(f"INSERT INTO backtests VALUES ({marks})",
                        [[r.get(c) for c in COLUMNS] for r in rows])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def load(con: Any, source_id: str | None) -> pd.DataFrame:
    """The scope's rows of ``backtests`` (empty when no backtest was run)."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'backtests' "
                         "AND table_schema = 'main'").fetchall()[0][0]
    if not exists:
        return pd.DataFrame(columns=list(COLUMNS))
    return con.execute("SELECT * FROM main.backtests WHERE source_id = ? ORDER BY kind, measure",
                       [scope_key(source_id)]).df()


def to_record(row: dict[str, Any]) -> dict[str, Any]:
    """The ``track_record`` dict of one stored (or just computed) row."""
    def num(v: Any) -> float | None:
        return None if v is None or pd.isna(v) else float(v)

    lo, hi = num(row.get("ci_low")), num(row.get("ci_high"))
    beats = row.get("beats_baseline")
    run_at = row.get("run_at")
    return {"measure": row["measure"], "outcome": row["outcome"], "value": num(row.get("value")),
            "baseline": row["baseline"], "baseline_value": num(row.get("baseline_value")),
            "lift": num(row.get("lift")), "ci": None if lo is None or hi is None else [lo, hi],
            "dates": int(row.get("dates") or 0),
            "beats_baseline": None if beats is None or pd.isna(beats) else bool(beats),
            "sentence": row["sentence"],
            "run_at": run_at.isoformat() if isinstance(run_at, datetime) else str(run_at)}


def not_a_prediction() -> dict[str, Any]:
    """The track record of a kind that predicts nothing (nugget, dependency, place)."""
    return {"measure": "none", "outcome": "", "value": None, "baseline": "", "baseline_value": None,
            "lift": None, "ci": None, "dates": 0, "beats_baseline": None, "sentence": NOT_A_PREDICTION,
            "run_at": ""}


def track_records(con: Any, source_id: str | None) -> dict[str, dict[str, Any] | None]:
    """Every kind's track record for this scope: the primary measure of the last backtest
    (None for a predictive kind never backtested), or :func:`not_a_prediction`."""
    df = load(con, source_id)
    rows: list[dict[str, Any]] = [{str(c): v for c, v in r.items()} for r in df.to_dict("records")]
    stored = {r["kind"]: to_record(r) for r in rows if r["is_primary"]}
    return {k: (stored.get(k) if k in PREDICTIVE else not_a_prediction()) for k in KINDS}


def kind_order(records: dict[str, dict[str, Any] | None]) -> dict[str, int]:
    """Kind order for :func:`communitas.brief.rank`: each kind's own, plus a penalty for the kinds
    whose track record says they do not beat their baseline (so they rank below those that do)."""
    out = {}
    for k, spec in KINDS.items():
        rec = records.get(k)
        out[k] = spec.order + (LOSER_PENALTY if rec is not None and rec["beats_baseline"] is False else 0)
    return out
