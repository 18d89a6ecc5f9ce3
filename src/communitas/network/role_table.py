"""Member roles of every window, gathered window by window without growing memory without bound.

A network of many windows has one role row per member per window: at 10 M posts some millions of
rows, more than a pandas frame should hold under the memory cap. :class:`RoleTable` keeps the rows
as pandas frames up to :data:`SPILL_ROWS`, then moves them into a DuckDB database of its own, which
holds them compressed and spills to disk beyond its share of ``$COMMUNITAS_MEMORY``
(:mod:`communitas.memory`). What the CLI shows (the members with most contacts, one member's rows,
the trajectories of a few) is asked of it directly; :meth:`RoleTable.frame` gives the whole table.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from communitas import memory
from communitas.sources.parallel import duckdb_threads

SPILL_ROWS = 250_000
"""Rows kept as pandas frames before the table moves into DuckDB (about 50 MB)."""
ROLE_SHARE = 0.1
"""The role table's share of ``$COMMUNITAS_MEMORY`` once in DuckDB."""


class RoleTable:
    """One row per member per window, appended one window at a time (see the module docstring)."""

    def __init__(self) -> None:
        self._frames: list[pd.DataFrame] = []
        self._rows = 0
        self._con: duckdb.DuckDBPyConnection | None = None
        self._dtypes: pd.Series | None = None
        self._created = False

    def __len__(self) -> int:
        return self._rows

    @property
    def empty(self) -> bool:
        return self._rows == 0

    def append(self, df: pd.DataFrame) -> None:
        if df.empty:
            return
        if self._dtypes is None:
            self._dtypes = df.dtypes
        self._frames.append(df)
        self._rows += len(df)
        if self._con is not None or self._rows > SPILL_ROWS:
            self._spill()

    def _spill(self) -> None:
        if self._con is None:
            self._con = duckdb.connect(config={"threads": duckdb_threads()})
            # library code never prints: DuckDB draws a progress bar on stdout for a statement
            # over 2 s (an insert on a loaded machine), which broke `communitas network --json`
            self._con.execute("SET enable_progress_bar = false")
            memory.bound(self._con, ROLE_SHARE)
        for df in self._frames:
            self._con.register("_roles_batch", df)
            if not self._created:
                self._con.execute("CREATE TABLE roles AS SELECT * FROM _roles_batch")
                self._created = True
            else:
                self._con.execute("INSERT INTO roles SELECT * FROM _roles_batch")
            self._con.unregister("_roles_batch")
        self._frames = []

    def _query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        assert self._con is not None
        out = self._con.execute(sql, params or []).df()
        if self._dtypes is not None and set(self._dtypes.index) <= set(out.columns):
            out = out[list(self._dtypes.index)].astype(self._dtypes.to_dict())
        return out

    def frame(self, members: list[str] | None = None) -> pd.DataFrame:
        """The rows (of ``members`` only, when given), in the order they were appended."""
        if self._con is None:
            if not self._frames:
                return pd.DataFrame()
            df = pd.concat(self._frames, ignore_index=True)
            return df if members is None else df[df["member_id"].isin(members)].reset_index(drop=True)
        if members is None:
            return self._query("SELECT * FROM roles")
        self._con.register("_wanted", pd.DataFrame({"member_id": pd.Series(members, dtype="object")}))
        try:
            return self._query("SELECT * FROM roles WHERE member_id IN (SELECT member_id FROM _wanted)")
        finally:
            self._con.unregister("_wanted")

    def windows(self) -> list[int]:
        """The windows with at least one row, in order."""
        if self._con is None:
            return sorted({int(w) for df in self._frames for w in df["window"].unique()})
        rows = self._con.execute('SELECT DISTINCT "window" FROM roles ORDER BY 1').fetchall()
        return [int(w) for (w,) in rows]

    def most_contacts(self, top: int) -> list[str]:
        """The ``top`` members with most contacts summed over windows (ties: smaller id first)."""
        if self._con is None:
            totals = self.frame().groupby("member_id")["contacts"].sum()
            return totals.sort_values(ascending=False, kind="stable").index[:top].tolist()
        rows = self._con.execute("SELECT member_id FROM roles GROUP BY member_id "
                                 "ORDER BY sum(contacts) DESC, member_id LIMIT ?", [top]).fetchall()
        return [str(r[0]) for r in rows]

    def has(self, member: str) -> bool:
        if self._con is None:
            return any((df["member_id"] == member).any() for df in self._frames)
        found = self._con.execute("SELECT count(*) FROM roles WHERE member_id = ?", [member]).fetchall()
        return bool(found[0][0])

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


__all__ = ["ROLE_SHARE", "SPILL_ROWS", "RoleTable"]
