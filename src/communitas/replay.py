"""Replay: the store as it stood at a past moment (``as_of``), for every metric at once.

:func:`as_of_view` opens a second DuckDB connection on the store's database and, in that
connection's ``temp`` schema, creates one view (posts, events: a plain filter) or temporary table
(the others, cut once) per canonical table with the **same name**. DuckDB
resolves an unqualified name in ``temp`` before ``main``, so every Ibis expression made on
:meth:`Replay.ibis` — profile metrics, network ties, topic documents, the brief — reads only what
existed before ``as_of``, without any metric knowing it is being replayed. Cutting at the source
is what makes the no-peeking guarantee hold for every metric reused, present and future.

What "existed before ``as_of``" means, table by table (``docs/brief.md`` *Replay*):

* ``posts``: ``created_at < as_of``.
* ``threads``: created before ``as_of`` or holding a post before it. What the platform only knows
  *now* is cut back: ``accepted_post_id`` is kept when the accepted post is in the view and its
  ``accept`` reaction (if the source records one) came before ``as_of``; ``closed_at`` (and a
  ``closed``/``duplicate`` status, ``duplicate_of``) when the closing came before; otherwise the
  status is ``accepted`` or ``open``. ``view_count`` (a count as of the dump) is NULL.
* ``thread_places``: those of the threads in the view.
* ``reactions``: ``created_at < as_of`` on a post in the view (or on no post).
* ``events``: ``created_at < as_of``.
* ``members``: joined before ``as_of``, or with a post, reaction or event before it;
  ``last_seen_at`` only when before ``as_of``; ``score`` (today's reputation) NULL.
* ``places``: created before ``as_of``; a place with no creation time when a thread or event in
  the view uses it, or it is the parent of one; ``item_count`` (the platform's count today) NULL.
* ``sources``: every source, with ``first_activity_at``/``last_activity_at`` recomputed from the
  posts in the view.
* ``identities``, ``member_flags``, ``meta``: the analyst's decisions and the salt, kept whole.

A reply recorded before the post it replies to (a clock skew of the source) keeps its
``reply_to_post_id``; every other reply's target is older than the reply and so in the view.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from communitas.metrics.scope import TimeArg, as_time

if TYPE_CHECKING:
    import duckdb
    from ibis.backends.duckdb import Backend as IbisBackend

# (table, SELECT over the main table ``{m}`` and earlier views) in dependency order.
_VIEWS: tuple[tuple[str, str], ...] = (
    ("posts", "SELECT * FROM {m}.posts WHERE created_at < {t}"),
    ("events", "SELECT * FROM {m}.events WHERE created_at < {t}"),
    ("reactions", "SELECT * FROM {m}.reactions WHERE created_at < {t} "
                  "AND (post_id IS NULL OR post_id IN (SELECT post_id FROM posts))"),
    ("threads", """
        WITH acc AS (
            SELECT t.thread_id,
                   t.accepted_post_id IN (SELECT post_id FROM posts)
                   AND (NOT EXISTS (SELECT 1 FROM {m}.reactions r
                                    WHERE r.post_id = t.accepted_post_id AND r.kind = 'accept')
                        OR EXISTS (SELECT 1 FROM reactions r
                                   WHERE r.post_id = t.accepted_post_id AND r.kind = 'accept'))
                   AS ok
            FROM {m}.threads t WHERE t.accepted_post_id IS NOT NULL)
        SELECT t.* REPLACE (
            CASE WHEN acc.ok THEN t.accepted_post_id END AS accepted_post_id,
            CASE WHEN t.closed_at < {t} THEN t.closed_at END AS closed_at,
            CASE WHEN t.status IN ('closed', 'duplicate') AND t.closed_at < {t} THEN t.status
                 WHEN t.status IN ('accepted', 'closed', 'duplicate')
                     THEN CASE WHEN acc.ok THEN 'accepted' ELSE 'open' END
                 ELSE t.status END AS status,
            CASE WHEN t.closed_at < {t} THEN t.duplicate_of END AS duplicate_of,
            CAST(NULL AS BIGINT) AS view_count)
        FROM {m}.threads t LEFT JOIN acc ON acc.thread_id = t.thread_id
        WHERE t.created_at < {t} OR t.thread_id IN (SELECT thread_id FROM posts)"""),
    ("thread_places", "SELECT * FROM {m}.thread_places WHERE thread_id IN (SELECT thread_id FROM threads)"),
    ("members", """
        SELECT m.* REPLACE (CASE WHEN m.last_seen_at < {t} THEN m.last_seen_at END AS last_seen_at,
                            CAST(NULL AS DOUBLE) AS score)
        FROM {m}.members m
        WHERE m.joined_at < {t}
           OR m.member_id IN (SELECT author_id FROM posts)
           OR m.member_id IN (SELECT member_id FROM reactions)
           OR m.member_id IN (SELECT member_id FROM events)"""),
    ("places", """
        WITH used AS (SELECT place_id FROM thread_places UNION SELECT place_id FROM threads
                      UNION SELECT place_id FROM events)
        SELECT p.* REPLACE (CAST(NULL AS BIGINT) AS item_count)
        FROM {m}.places p
        WHERE p.created_at < {t}
           OR (p.created_at IS NULL AND (p.place_id IN (SELECT place_id FROM used)
               OR p.place_id IN (SELECT c.parent_id FROM {m}.places c
                                 WHERE c.place_id IN (SELECT place_id FROM used))))"""),
    ("sources", """
        SELECT s.* REPLACE (a.first_at AS first_activity_at, a.last_at AS last_activity_at)
        FROM {m}.sources s LEFT JOIN (
            SELECT source_id, min(created_at) AS first_at, max(created_at) AS last_at
            FROM posts GROUP BY source_id) a ON a.source_id = s.source_id"""),
)


# Cut by a plain filter DuckDB pushes into the scan: stay views. The others (subqueries over the
# posts) are made once, as temporary tables of this connection: a replay runs many queries.
_LAZY = frozenset({"posts", "events"})


def cut_tables(con: duckdb.DuckDBPyConnection, as_of: datetime, lazy: frozenset[str] = _LAZY) -> None:
    """(Re)create, in ``con``'s ``temp`` schema, every canonical table cut at ``as_of`` under its
    own name (a connection made for it: its unqualified names then read the cut). Called again
    with another date, it replaces the cut (the backtest moves one connection from date to date).
    The tables named in ``lazy`` are views (the same rows, computed when read) rather than tables."""
    db = str(con.execute("SELECT current_database()").fetchall()[0][0])
    main = '"' + db.replace('"', '""') + '".main'
    cut = f"TIMESTAMPTZ '{as_of.isoformat()}'"
    for name, select in _VIEWS:
        what = "VIEW" if name in lazy else "TABLE"
        con.execute(f'CREATE OR REPLACE TEMP {what} "{name}" AS ' + select.format(m=main, t=cut))


class Replay:
    """A read-only, workspace-like view of the store before ``as_of``: ``con`` (its own DuckDB
    connection), :meth:`ibis`, ``path`` and ``as_of``. Close it (or use :func:`as_of_view`)."""

    def __init__(self, ws: Any, as_of: datetime) -> None:
        self.path = ws.path
        self.as_of = as_of
        self.read_only = True
        self.con: duckdb.DuckDBPyConnection = ws.con.cursor()
        self.con.execute("SET TimeZone='UTC'")
        cut_tables(self.con, as_of)
        self._ibis: IbisBackend | None = None

    def ibis(self) -> IbisBackend:
        """An Ibis backend over the replay connection: ``table("posts")`` is the cut view."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Replay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def as_of_view(ws: Any, as_of: TimeArg) -> Iterator[Any]:
    """``ws`` itself when ``as_of`` is None, else a :class:`Replay` of it before ``as_of``."""
    at = as_time(as_of)
    if at is None:
        yield ws
        return
    with Replay(ws, at) as replay:
        yield replay
