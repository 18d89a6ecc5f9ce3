"""Arrow columns shared by the sources' mappers and the staging step.

* :data:`ARROW_TYPES`: the Arrow type of each model (DuckDB) type;
* :func:`typed`: text parsed to its model type when every value has the plain shape (the one
  place that decides which text Arrow may parse instead of DuckDB's ``TRY_CAST``);
* :func:`repeated`: a column holding one string ``n`` times, stored once.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "JSON": pa.string(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "BOOLEAN": pa.bool_(),
    "DOUBLE": pa.float64(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
}

# Plain shapes of text that Arrow parses exactly as DuckDB's TRY_CAST would (times carry no
# offset: they are UTC; integers fit their type).
_SHAPES = {
    "TIMESTAMPTZ": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?$",
    "BIGINT": r"^-?[0-9]{1,18}$",
    "INTEGER": r"^-?[0-9]{1,9}$",
}


def typed(values: pa.Array, sql_type: str) -> pa.Array:
    """``values`` parsed to ``sql_type`` when they are text all in plain shape; else unchanged.

    Missing values stay missing.

    >>> typed(pa.array(["2014-01-21T20:26:05.383", None]), "TIMESTAMPTZ").to_pylist()[0].isoformat()
    '2014-01-21T20:26:05.383000+00:00'
    >>> typed(pa.array(["7", "x"]), "BIGINT").to_pylist()  # left for TRY_CAST to count
    ['7', 'x']
    >>> typed(pa.array(["2019-02-30T10:00:00"]), "TIMESTAMPTZ").type  # no such day: left as text
    DataType(string)
    """
    shape = _SHAPES.get(sql_type)
    if shape is None or not pa.types.is_string(values.type) or values.null_count == len(values):
        return values
    if not pc.all(pc.match_substring_regex(values, shape)).as_py():
        return values
    try:
        if sql_type == "TIMESTAMPTZ":  # naive times read as UTC
            return pc.cast(values, pa.timestamp("us")).cast(ARROW_TYPES[sql_type])
        return pc.cast(values, ARROW_TYPES[sql_type])
    except pa.ArrowInvalid:  # e.g. February 30: TRY_CAST decides, and counts
        return values


def repeated(value: str, n: int) -> pa.DictionaryArray:
    """``n`` copies of ``value``, as a dictionary array (the string is stored once).

    >>> repeated("stackexchange:beer", 2).to_pylist()
    ['stackexchange:beer', 'stackexchange:beer']
    """
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value]))
