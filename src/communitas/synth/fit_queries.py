"""The samples a :class:`communitas.synth.fit.Fit` is made of, read from a store with DuckDB.

Every query reads contributions only (``is_contribution``) of one source or of all; the roles
(opener, reply, comment) are defined in :mod:`communitas.synth.fit`.
"""

from __future__ import annotations

from typing import Any

import duckdb

from communitas.errors import EmptyStore

# One row per contribution: its role, its thread's opener and the opener's time and author.
_ROLED = """
CREATE OR REPLACE TEMP TABLE synth_roled AS
WITH c AS (
  SELECT post_id, thread_id, author_id, created_at, kind, reply_to_post_id, reply_to_member_id,
         length, row_number() OVER (PARTITION BY thread_id ORDER BY created_at,
                                    kind <> 'question', post_id) AS pos
  FROM posts WHERE is_contribution AND thread_id IS NOT NULL AND ($sid IS NULL OR source_id = $sid)
)
SELECT c.*, o.created_at AS opened_at, o.author_id AS starter, o.post_id AS opener_id,
       CASE WHEN c.pos = 1 THEN 'opener' WHEN c.kind = 'comment' THEN 'comment' ELSE 'reply' END AS role
FROM c JOIN c o ON o.thread_id = c.thread_id AND o.pos = 1
"""

_QUERIES: dict[str, str] = {
    "posts_per_member": """SELECT count(*) FROM synth_roled WHERE author_id IS NOT NULL
                           GROUP BY author_id""",
    "comments_reply": """SELECT count(k.post_id) FROM synth_roled p LEFT JOIN synth_roled k
                         ON k.reply_to_post_id = p.post_id AND k.role = 'comment'
                         WHERE p.role = 'reply' GROUP BY p.post_id""",
    "first_response_delay": """SELECT greatest(min(epoch(created_at) - epoch(opened_at)), 0)
                               FROM synth_roled WHERE role <> 'opener' AND author_id IS DISTINCT FROM starter
                               GROUP BY thread_id""",
    "thread_shape": """SELECT 1000 * count(*) FILTER (WHERE r.role = 'reply')
                              + least(count(*) FILTER (WHERE r.role = 'comment'
                                                        AND r.reply_to_post_id = r.opener_id), 999)
                       FROM synth_roled r GROUP BY r.thread_id""",
    "reply_delay": """SELECT greatest(epoch(created_at) - epoch(opened_at), 0) FROM (
                        SELECT *, row_number() OVER (PARTITION BY thread_id ORDER BY created_at, post_id) AS k
                        FROM synth_roled WHERE role = 'reply') WHERE k > 1""",
    "comment_delay": """SELECT greatest(epoch(k.created_at) - epoch(p.created_at), 0)
                        FROM synth_roled k JOIN synth_roled p ON p.post_id = k.reply_to_post_id
                        WHERE k.role = 'comment'""",
    "tags_per_thread": """SELECT count(tp.place_id) FROM synth_roled r LEFT JOIN thread_places tp
                          ON tp.thread_id = r.thread_id WHERE r.role = 'opener' GROUP BY r.thread_id""",
    "tag_counts": """SELECT count(*) AS n FROM synth_roled r JOIN thread_places tp
                     ON tp.thread_id = r.thread_id WHERE r.role = 'opener' GROUP BY tp.place_id
                     ORDER BY n DESC""",
    "length": """SELECT coalesce(length, 0) FROM synth_roled""",
}

_SHARES = """
WITH firsts AS (
  SELECT role, author_id, starter, reply_to_member_id,
         row_number() OVER (PARTITION BY author_id ORDER BY created_at, post_id) = 1 AS first,
         row_number() OVER (PARTITION BY least(author_id, reply_to_member_id),
                                         greatest(author_id, reply_to_member_id)
                            ORDER BY created_at, post_id) > 1 AS repeat
  FROM synth_roled WHERE author_id IS NOT NULL
)
SELECT role, avg(first::INT), avg((author_id = starter)::INT),
       sum((repeat AND reply_to_member_id IS NOT NULL AND reply_to_member_id <> author_id)::INT),
       sum((reply_to_member_id IS NOT NULL AND reply_to_member_id <> author_id)::INT)
FROM firsts GROUP BY role
"""

_SPAN = """SELECT epoch(min(created_at)), epoch(max(created_at)) FROM synth_roled"""
_MONTHLY = """SELECT date_trunc('month', created_at) AS m, count(*) FROM synth_roled GROUP BY m ORDER BY m"""
_MEMBERS = """SELECT count(*) FROM members WHERE $sid IS NULL OR source_id = $sid"""


def _column(con: duckdb.DuckDBPyConnection, sql: str) -> list[Any]:
    return [row[0] for row in con.execute(sql).fetchall()]


def fitted_samples(con: duckdb.DuckDBPyConnection, source_id: str | None) -> dict[str, Any]:
    """Every sample and share of a fit, as plain Python values."""
    con.execute(_ROLED.replace("$sid", "?"), [source_id, source_id])
    try:
        lo, hi = con.execute(_SPAN).fetchone() or (None, None)
        if lo is None:
            raise EmptyStore(f"no contributions in threads{f' for {source_id}' if source_id else ''} "
                             "to fit a synthetic community to; ingest a community first (or check --source).")
        out: dict[str, Any] = {key: _column(con, sql) for key, sql in _QUERIES.items()}
        shares = {row[0]: row[1:] for row in con.execute(_SHARES).fetchall()}
        out["first_share"] = {r: float(shares[r][0]) if r in shares else 0.0
                              for r in ("opener", "reply", "comment")}
        out["starter_share"] = {r: float(shares[r][1]) if r in shares else 0.0 for r in ("reply", "comment")}
        repeats = sum(int(v[2] or 0) for k, v in shares.items() if k != "opener")
        targeted = sum(int(v[3] or 0) for k, v in shares.items() if k != "opener")
        out["tie_share"] = repeats / targeted if targeted else 0.0
        out["monthly"] = [row[1] for row in con.execute(_MONTHLY).fetchall()]
        out["span_days"] = max((float(hi) - float(lo)) / 86400.0, 1.0)
        out["start"] = float(lo)
        row = con.execute(_MEMBERS.replace("$sid", "?"), [source_id, source_id]).fetchone()
        members = int(row[0]) if row else 0
        posters = len(out["posts_per_member"])
        out["lurker_ratio"] = max(members - posters, 0) / posters if posters else 0.0
        return out
    finally:
        con.execute("DROP TABLE IF EXISTS synth_roled")
