"""The trend periods every metric, command and page accepts, declared once, with their arithmetic.

One table says what each period is (:data:`PERIODS`): how a timestamp is truncated to its start
(:func:`period_start`, in Ibis), how long it is (:func:`period_step`, an Ibis interval) and where it
ends (:func:`period_end`, in Python); calendar months are counted by :func:`add_months` and, in
Ibis, by :func:`month_index`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

PERIODS = ("week", "month", "quarter", "year")
_TRUNCATE = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
_DAYS = {"day": 1, "week": 7}
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
# pandas' period frequencies for the same periods (weeks end on Sunday: they start on Monday)
PANDAS_FREQ = {"week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}
PERIOD_WIDTH = {"week": 10, "month": 7, "quarter": 7, "year": 4}  # characters of a period's label
_STEP: dict[str, dict[str, int]] = {"day": {"days": 1}, "week": {"weeks": 1}, "month": {"months": 1},
                                    "quarter": {"months": 3}, "year": {"years": 1}}


def period_start(ts: ir.TimestampValue, period: str) -> ir.Value:
    """Truncate a timestamp to the start of its day/week/month/quarter/year (UTC; weeks start on
    Monday)."""
    return ts.truncate(_TRUNCATE[period])


def period_step(period: str) -> Any:
    """The length of one period as an Ibis interval (a period start plus it is the next one)."""
    return ibis.interval(**_STEP[period])


def add_months(t: datetime, months: int) -> datetime:
    """``t`` moved by whole calendar ``months`` (its day must exist in the month reached: give a
    first of the month, as every period start is).

    >>> add_months(datetime(2021, 11, 1), 3), add_months(datetime(2022, 1, 1), -1)
    (datetime.datetime(2022, 2, 1, 0, 0), datetime.datetime(2021, 12, 1, 0, 0))
    """
    total = t.month - 1 + months
    return t.replace(year=t.year + total // 12, month=total % 12 + 1)


def period_end(start: datetime, period: str) -> datetime:
    """The end (exclusive) of the period starting at ``start``.

    >>> period_end(datetime(2022, 11, 1), "quarter"), period_end(datetime(2022, 1, 3), "week")
    (datetime.datetime(2023, 2, 1, 0, 0), datetime.datetime(2022, 1, 10, 0, 0))
    """
    if period in _DAYS:
        return start + timedelta(days=_DAYS[period])
    return add_months(start, _MONTHS[period])


def month_index(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Calendar months since year 0 (``year * 12 + month - 1``): month arithmetic in Ibis, where
    ``month_index(b) - month_index(a)`` is how many months ``b`` is after ``a``."""
    return ts.year() * 12 + ts.month() - 1


def period_label(iso: str, period: str) -> str:
    """A period start (ISO text) as people write it.

    >>> period_label("2019-04-01T00:00:00+00:00", "quarter"), period_label("2019-04-01", "month")
    ('2019-Q2', '2019-04')
    """
    if period == "quarter":
        return f"{iso[:4]}-Q{(int(iso[5:7]) - 1) // 3 + 1}"
    return iso[:PERIOD_WIDTH[period]]
