"""The replay's cut (:func:`communitas.replay.cut_tables`), made fast for many dates.

Cutting a large store at one date costs most in three tables whose rule looks at the posts:
``threads`` (created before the date or holding a post before it; its accepted answer kept when
that post and its ``accept`` reaction came before), ``thread_places`` (those of the threads cut)
and ``members`` (joined before, or with a post, reaction or event before). Each row's rule is a
comparison of the date with one moment that does not depend on the date: the moment the row
enters the cut (the first of the times the rule names). :class:`Cutter` works these moments out
once per store (before any cut) and each date then keeps the rows whose moment came before it:
the same rows, the same values, the same order as :func:`~communitas.replay.cut_tables` makes
(``tests/test_brief_timecut.py`` compares every table at many dates). The other tables are cut
by the replay's own statements.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from communitas.replay import _LAZY, _VIEWS

# moment a post id exists in the cut posts (the first post with that id)
_POST_AT = "SELECT post_id, min(created_at) AS moment FROM {m}.posts GROUP BY post_id"
# moment a reaction enters the cut reactions (made, and its post made)
_REACTION_AT = f"""
    SELECT r.member_id, r.post_id, r.kind,
           CASE WHEN r.created_at IS NULL THEN NULL WHEN r.post_id IS NULL THEN r.created_at
                WHEN p.moment IS NULL THEN NULL ELSE greatest(r.created_at, p.moment) END AS moment
    FROM {{m}}.reactions r LEFT JOIN ({_POST_AT}) p ON p.post_id = r.post_id"""
_MOMENTS = {
    # a thread: created, or its first post
    "thread_at": """
        SELECT t.rowid AS rid, least(t.created_at, p.moment) AS moment
        FROM {m}.threads t LEFT JOIN (SELECT thread_id, min(created_at) AS moment FROM {m}.posts
                                      GROUP BY thread_id) p ON p.thread_id = t.thread_id""",
    # an accepted answer: the post made and, when the source records accept reactions, one made
    "accepted_at": f"""
        SELECT t.rowid AS rid,
               CASE WHEN p.moment IS NULL THEN NULL WHEN a.n IS NULL THEN p.moment
                    WHEN a.moment IS NULL THEN NULL ELSE greatest(p.moment, a.moment) END AS moment
        FROM {{m}}.threads t JOIN ({_POST_AT}) p ON p.post_id = t.accepted_post_id
        LEFT JOIN (SELECT post_id, count(*) AS n, min(moment) AS moment FROM ({_REACTION_AT})
                   WHERE kind = 'accept' GROUP BY post_id) a ON a.post_id = t.accepted_post_id""",
    # a place tag: its thread's moment
    "tag_at": """
        SELECT tp.rowid AS rid, v.moment
        FROM {m}.thread_places tp JOIN (
            SELECT t.thread_id, min(least(t.created_at, p.moment)) AS moment
            FROM {m}.threads t LEFT JOIN (SELECT thread_id, min(created_at) AS moment FROM {m}.posts
                                          GROUP BY thread_id) p ON p.thread_id = t.thread_id
            GROUP BY t.thread_id) v ON v.thread_id = tp.thread_id""",
    # a member: joined, or a post, reaction or event
    "member_at": f"""
        SELECT m.rowid AS rid, least(m.joined_at, s.moment) AS moment
        FROM {{m}}.members m LEFT JOIN (
            SELECT member_id, min(moment) AS moment FROM (
                SELECT author_id AS member_id, created_at AS moment FROM {{m}}.posts
                UNION ALL SELECT member_id, moment FROM ({_REACTION_AT})
                UNION ALL SELECT member_id, created_at FROM {{m}}.events)
            GROUP BY member_id) s ON s.member_id = m.member_id""",
}
_FAST = {
    "threads": """
        SELECT t.* REPLACE (
            CASE WHEN {ok} THEN t.accepted_post_id END AS accepted_post_id,
            CASE WHEN t.closed_at < {t} THEN t.closed_at END AS closed_at,
            CASE WHEN t.status IN ('closed', 'duplicate') AND t.closed_at < {t} THEN t.status
                 WHEN t.status IN ('accepted', 'closed', 'duplicate')
                     THEN CASE WHEN {ok} THEN 'accepted' ELSE 'open' END
                 ELSE t.status END AS status,
            CASE WHEN t.closed_at < {t} THEN t.duplicate_of END AS duplicate_of,
            CAST(NULL AS BIGINT) AS view_count)
        FROM {m}.threads t WHERE t.rowid IN (SELECT rid FROM {thread_at} WHERE moment < {t})
        ORDER BY t.rowid""",
    "thread_places": "SELECT * FROM {m}.thread_places tp WHERE tp.rowid IN (SELECT rid FROM {tag_at} "
                     "WHERE moment < {t}) ORDER BY tp.rowid",
    "members": """
        SELECT m.* REPLACE (CASE WHEN m.last_seen_at < {t} THEN m.last_seen_at END AS last_seen_at,
                            CAST(NULL AS DOUBLE) AS score)
        FROM {m}.members m WHERE m.rowid IN (SELECT rid FROM {member_at} WHERE moment < {t})
        ORDER BY m.rowid""",
}
_OK = "t.rowid IN (SELECT rid FROM {accepted_at} WHERE moment < {t})"


class Cutter:
    """The moments of a store's rows, worked out on ``con`` (before any cut on it), and
    :meth:`cut`, which cuts every canonical table at a date as
    :func:`~communitas.replay.cut_tables` does. Call :meth:`close` to drop the moments."""

    def __init__(self, con: Any) -> None:
        self.con = con
        db = str(con.execute("SELECT current_database()").fetchall()[0][0])
        self.main = '"' + db.replace('"', '""') + '".main'
        self.names = {key: f"temp._communitas_{key}" for key in _MOMENTS}
        for key, select in _MOMENTS.items():
            con.execute(f"CREATE OR REPLACE TEMP TABLE _communitas_{key} AS "
                        + select.format(m=self.main) + " ORDER BY rid")

    def cut(self, as_of: datetime, lazy: frozenset[str] = _LAZY) -> None:
        """(Re)create, in ``con``'s ``temp`` schema, every canonical table cut at ``as_of`` (those
        named in ``lazy`` as views, as :func:`~communitas.replay.cut_tables` does)."""
        t = f"TIMESTAMPTZ '{as_of.isoformat()}'"
        ok = _OK.format(t=t, **self.names)
        for name, select in _VIEWS:
            what = "VIEW" if name in lazy else "TABLE"
            body = _FAST[name].format(m=self.main, t=t, ok=ok, **self.names) if name in _FAST \
                else select.format(m=self.main, t=t)
            self.con.execute(f'CREATE OR REPLACE TEMP {what} "{name}" AS ' + body)

    def close(self) -> None:
        for name in self.names.values():
            self.con.execute(f"DROP TABLE IF EXISTS {name}")
