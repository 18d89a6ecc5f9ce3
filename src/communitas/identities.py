"""One person across platforms, and bots set aside. See ``docs/identities.md``.

* :func:`suggest` proposes merges between members of *different* sources on hard evidence only:
  the same salted e-mail hash, or the same account id of an account system the platforms share
  (``members.account_id`` written ``<system>:<id>``, e.g. ``stackexchange-account:42`` on every
  Stack Exchange site). Never on display names.
* :func:`merge` / :func:`split` record decisions in the ``identities`` table, which is never
  deleted on re-ingest. :func:`person_map` turns the accepted merges into ``member_id →
  person_id`` (an Ibis table) that :func:`communitas.metrics.base.contributions` applies.
* Bots: sources flag ``members.is_bot`` (platform flags, automation headers, names matched by
  :func:`bot_name_reason`); :func:`set_bot` records a manual override in ``member_flags``,
  which also survives re-ingest and wins over the source's flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from communitas.errors import UsageError

if TYPE_CHECKING:
    import duckdb
    import ibis.expr.types as ir

# Names and addresses of automation: no-reply senders, mail daemons, CI and notification robots.
_BOT_PATTERNS = [
    (re.compile(r"(^|[^a-z])(no-?reply|do-?not-?reply|donotreply)([^a-z]|$)", re.I), "no-reply sender"),
    (re.compile(r"mailer-daemon|^postmaster@|mail delivery (sub)?system", re.I), "mail daemon"),
    (re.compile(r"notifications@github\.com|github-actions|^github$|noreply@github", re.I),
     "GitHub notifications"),
    (re.compile(r"(^|[^a-z])jenkins([^a-z]|$)|buildbot|travis-ci|gitlab-ci|^ci@", re.I), "CI robot"),
    (re.compile(r"\[bot\]|(^|[\s._-])bot($|[@\s._-])|(?<=[a-z0-9])bot@|dependabot|renovate\[?bot", re.I),
     "bot name"),
]

PERSON_PREFIX = "person:"


def bot_name_reason(name: str | None, address: str | None = None) -> str | None:
    """Why a sender's name or address looks automated, or None.

    >>> bot_name_reason("GitHub", "notifications@github.com")
    'GitHub notifications'
    >>> bot_name_reason("release-bot"), bot_name_reason("Abbott Smith", "abbott@example.com")
    ('bot name', None)
    >>> bot_name_reason("", "no-reply@example.com"), bot_name_reason("Norepl Y")
    ('no-reply sender', None)
    """
    for value in (address or "", name or ""):
        if not value:
            continue
        for pattern, reason in _BOT_PATTERNS:
            if pattern.search(value):
                return reason
    return None


# -- the tables ---------------------------------------------------------------------------------

def _con(backend: Any) -> duckdb.DuckDBPyConnection:
    """The DuckDB connection of a Workspace, an Ibis DuckDB backend or a raw connection."""
    con = getattr(backend, "con", backend)
    return con  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Suggestion:
    """Two members of different sources that look like one person, and why."""

    member_a: str
    member_b: str
    source_a: str
    source_b: str
    name_a: str | None
    name_b: str | None
    evidence: str
    decision: str | None  # the recorded decision for this pair, if any

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


_SUGGEST_SQL = """
WITH keyed AS (
    SELECT member_id, source_id, display_name, 'same e-mail hash' AS evidence, email_hash AS k
    FROM members WHERE email_hash IS NOT NULL AND email_hash <> ''
      AND NOT coalesce(is_system, false)
    UNION ALL
    SELECT member_id, source_id, display_name,
           'same ' || split_part(account_id, ':', 1) || ' id' AS evidence, account_id AS k
    FROM members
    WHERE account_id LIKE '_%:_%' AND NOT coalesce(is_system, false)
)
SELECT a.member_id, b.member_id, a.source_id, b.source_id, a.display_name, b.display_name,
       string_agg(DISTINCT a.evidence, '; ' ORDER BY a.evidence) AS evidence
FROM keyed a JOIN keyed b ON a.k = b.k AND a.evidence = b.evidence
 AND a.source_id < b.source_id
GROUP BY ALL ORDER BY 1, 2
"""


def suggest(backend: Any) -> list[Suggestion]:
    """Proposed merges between members of different sources, with the evidence for each.

    Evidence is only ever an identifier (salted e-mail hash, shared platform account id), never
    a display name: two people called "Alex" are two people.
    """
    con = _con(backend)
    decided = _decisions(con)
    out = []
    for a, b, sa, sb, na, nb, evidence in con.execute(_SUGGEST_SQL).fetchall():
        out.append(Suggestion(a, b, sa, sb, na, nb, evidence, _pair_decision(decided, a, b)))
    return out


def _decisions(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str, str]]:
    """member -> (person, decision, evidence) of the latest decision about each member."""
    rows = con.execute(
        "SELECT member_id, person_id, decision, coalesce(evidence, '') FROM identities "
        "QUALIFY row_number() OVER (PARTITION BY member_id ORDER BY decided_at DESC) = 1"
    ).fetchall()
    return {m: (p, d, e) for m, p, d, e in rows}


def _pair_decision(decided: dict[str, tuple[str, str, str]], a: str, b: str) -> str | None:
    """'merged' when both are in one person, 'split' when their split was recorded, else None."""
    da, db = decided.get(a), decided.get(b)
    if da and db and da[1] == db[1] == "merge" and da[0] == db[0]:
        return "merged"
    for mine, other in ((da, b), (db, a)):
        if mine and mine[1] == "split" and mine[2].startswith(f"split from {other}"):
            return "split"
    return None


def _member_rows(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """member_id -> (source_id, display name) for the given ids that exist."""
    rows = con.execute("SELECT member_id, source_id, display_name FROM members "
                       "WHERE list_contains(?, member_id)", [ids]).fetchall()
    return {m: (s, n) for m, s, n in rows}


def _require(con: duckdb.DuckDBPyConnection, *ids: str) -> None:
    found = _member_rows(con, list(ids))
    missing = [i for i in ids if i not in found]
    if missing:
        raise UsageError(f"no member {missing[0]!r} in the store; list ids with "
                         "`communitas identities suggest` or `communitas members`.")


def person_of(con: duckdb.DuckDBPyConnection, member_id: str) -> str | None:
    """The person a member was merged into, or None."""
    d = _decisions(con).get(member_id)
    return d[0] if d and d[1] == "merge" else None


def merge(backend: Any, a: str, b: str, *, evidence: str = "merged by hand") -> str:
    """Record that members ``a`` and ``b`` are one person; returns the person id.

    When either is already part of a person, the other (with everyone merged with it) joins it.
    """
    con = _con(backend)
    if a == b:
        raise UsageError(f"{a!r}: give two different member ids to merge.")
    _require(con, a, b)
    pa, pb = person_of(con, a), person_of(con, b)
    person = pa or pb or PERSON_PREFIX + min(a, b)
    moving = {a, b}
    for other in (pa, pb):
        if other and other != person:
            moving |= {m for m, (p, d, _) in _decisions(con).items() if p == other and d == "merge"}
    now = datetime.now(UTC)
    for m in sorted(moving):
        con.execute("INSERT INTO identities VALUES (?, ?, 'merge', ?, ?)", [m, person, evidence, now])
    return person


def split(backend: Any, a: str, b: str, *, evidence: str = "") -> None:
    """Record that ``a`` and ``b`` are different people: ``b`` leaves ``a``'s person (if merged),
    and the pair is no longer suggested as pending."""
    con = _con(backend)
    _require(con, a, b)
    now = datetime.now(UTC)
    note = f"split from {a}" + (f": {evidence}" if evidence else "")
    con.execute("INSERT INTO identities VALUES (?, ?, 'split', ?, ?)", [b, b, note, now])


def person_map(backend: Any) -> ir.Table:
    """``member_id → person_id`` for every member whose latest decision is a merge (Ibis).

    Members absent from it are their own person (use ``coalesce(person_id, member_id)``).
    """
    ident = backend.table("identities")
    import ibis

    rn = ibis.row_number().over(group_by=ident.member_id, order_by=ident.decided_at.desc())
    latest = ident.mutate(rn=rn)
    latest = latest.filter((latest.rn == 0) & (latest.decision == "merge"))
    return latest.select("member_id", "person_id")


# -- bots ---------------------------------------------------------------------------------------

def set_bot(backend: Any, member_id: str, is_bot: bool) -> None:
    """Override the bot flag of one member (kept across re-ingests; wins over the source's)."""
    con = _con(backend)
    _require(con, member_id)
    con.execute("DELETE FROM member_flags WHERE member_id = ?", [member_id])
    con.execute("INSERT INTO member_flags VALUES (?, ?, ?)", [member_id, is_bot, datetime.now(UTC)])


def members_table(backend: Any, *, bots_only: bool = False, source_id: str | None = None,
                  since: Any = None, until: Any = None, place: str | None = None) -> list[dict[str, Any]]:
    """Members with their bot status (and why), their person and their contribution count.

    With a window (``since`` inclusive, ``until`` exclusive, UTC) or a ``place`` (an id or name),
    only the members who contributed in it, and their contributions counted there."""
    import ibis

    from communitas.metrics.scope import as_time, place_ids

    con = _con(backend)
    scoped = since is not None or until is not None or place is not None
    params: dict[str, Any] = {"src": source_id, "since": as_time(since), "until": as_time(until)}
    in_place = "TRUE"
    if place is not None:
        params["ids"] = place_ids(ibis.duckdb.from_connection(con), place, source_id)
        in_place = """p.thread_id IN (SELECT thread_id FROM thread_places WHERE list_contains($ids, place_id)
                      UNION SELECT thread_id FROM threads WHERE list_contains($ids, place_id))"""
    q = f"""
    SELECT * FROM (
    SELECT m.member_id, m.source_id, m.display_name,
           coalesce(f.is_bot, m.is_bot, false) AS is_bot, f.member_id IS NOT NULL AS overridden,
           coalesce(m.is_system, false) AS is_system,
           (SELECT count(*) FROM posts p WHERE p.author_id = m.member_id AND p.is_contribution
              AND ($since IS NULL OR p.created_at >= $since) AND ($until IS NULL OR p.created_at < $until)
              AND {in_place}) AS posts
    FROM members m LEFT JOIN member_flags f USING (member_id)
    WHERE ($src IS NULL OR m.source_id = $src)
    ) WHERE {"posts > 0" if scoped else "TRUE"}
    """
    rows = con.execute(q, params).fetchall()
    decided = _decisions(con)
    out = []
    for mid, src, name, is_bot, over, system, posts in rows:
        if bots_only and not is_bot:
            continue
        d = decided.get(mid)
        out.append({"member_id": mid, "source_id": src, "display_name": name, "is_bot": bool(is_bot),
                    "overridden": bool(over), "is_system": bool(system), "contributions": int(posts),
                    "person_id": d[0] if d and d[1] == "merge" else None})
    out.sort(key=lambda r: (-r["contributions"], r["member_id"]))
    return out
