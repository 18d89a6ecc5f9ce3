"""A brief item's track record in words, for the report and the dashboard (``docs/brief.md``
*Track record*).

The backtest (``communitas brief --backtest``) fills ``BriefItem.track_record`` with its kind's
figure in this community, a dict with exactly the keys of :data:`KEYS`; ``None`` means either
that no backtest has been run yet on this store, or that the kind predicts nothing a backtest
could check (it describes the present). :func:`track_record` says which, plainly. The text is
plain: the caller escapes it where it renders (member text never enters it, but the rule holds).
"""

from __future__ import annotations

from typing import Any

KEYS = ("measure", "outcome", "value", "baseline", "baseline_value", "lift", "ci", "dates",
        "beats_baseline", "sentence", "run_at")
PREDICTIVE = frozenset({"welcome", "unanswered", "checkin", "introduce", "spotlight"})
"""The kinds whose suggestion is a forecast the backtest checks (issue 11); the others
(dependency, place, nugget) describe the present."""


def _num(x: Any, fmt: str = ".2f") -> str:
    return "n/a" if x is None else format(float(x), fmt)


def _figures(tr: dict[str, Any]) -> str:
    ci = tr.get("ci")
    lift = "" if tr.get("lift") is None else f", lift {_num(tr['lift'])}×"
    if lift and ci:
        lift += f" (95% CI {_num(ci[0])}–{_num(ci[1])})"
    return (f"{tr.get('measure', 'precision@10')} {_num(tr.get('value'))} against "
            f"{_num(tr.get('baseline_value'))} for the baseline ({tr.get('baseline', 'n/a')}){lift}, "
            f"over {int(tr.get('dates') or 0)} past dates")


def track_record(kind: str, tr: dict[str, Any] | None) -> dict[str, str]:
    """``status`` (``beats``, ``loses``, ``undecided``, ``not-run``, ``not-predictive``) and
    ``text``, one plain sentence."""
    if tr is None:
        if kind in PREDICTIVE:
            return {"status": "not-run", "text": "Track record: no backtest run yet on this store "
                    "(`communitas brief --backtest` replays past dates and checks what happened)."}
        return {"status": "not-predictive", "text": "Track record: none — this kind describes the "
                "present; it makes no forecast a backtest could check."}
    beats = tr.get("beats_baseline")
    status = "undecided" if beats is None else ("beats" if beats else "loses")
    verdict = {"beats": "beats its baseline here", "loses": "does NOT beat its baseline here",
               "undecided": "too few past cases to tell whether it beats its baseline"}[status]
    run = f"; run {str(tr['run_at'])[:10]}" if tr.get("run_at") else ""
    sentence = str(tr.get("sentence") or "").strip()
    lead = f"{sentence} " if sentence else ""
    return {"status": status,
            "text": f"Track record: {lead}This kind {verdict} ({_figures(tr)}; outcome: "
                    f"{tr.get('outcome', 'n/a')}{run})."}
