"""The trend periods every metric, command and page accepts, declared once."""

from __future__ import annotations

PERIODS = ("week", "month", "quarter", "year")
