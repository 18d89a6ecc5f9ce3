"""The canonical community model: the tables every source fills and every metric reads.

The tables are documented one paragraph each in ``docs/data-model.md``; this module is the
single definition of their columns (``TABLES``), used to create the store and to check batches.

Conventions
-----------
* Ids are strings, namespaced by source: ``<platform>:<site>:<kind letter>:<native id>``, so
  they are stable across re-ingests of the same site and never collide between sources.
* Times are ``TIMESTAMPTZ`` in UTC.
* A source may hand a timestamp column to the store as strings (ISO 8601, with or without an
  offset; no offset means UTC); the store parses them and counts rows it cannot parse.
"""

from __future__ import annotations

from dataclasses import dataclass

# Column types in DuckDB SQL. Columns whose name ends with `_at` are timestamps.
TABLES: dict[str, dict[str, str]] = {
    "sources": {
        "source_id": "VARCHAR",
        "platform": "VARCHAR",
        "name": "VARCHAR",
        "origin": "VARCHAR",
        "fingerprint": "VARCHAR",
        "ingested_at": "TIMESTAMPTZ",
        "first_activity_at": "TIMESTAMPTZ",
        "last_activity_at": "TIMESTAMPTZ",
        "counts": "JSON",
        "skipped": "JSON",
        "warnings": "JSON",
        "options": "JSON",
        "body_format": "VARCHAR",
    },
    "members": {
        "member_id": "VARCHAR",
        "source_id": "VARCHAR",
        "native_id": "VARCHAR",
        "display_name": "VARCHAR",
        "joined_at": "TIMESTAMPTZ",
        "last_seen_at": "TIMESTAMPTZ",
        "is_bot": "BOOLEAN",
        "is_system": "BOOLEAN",
        "is_staff": "BOOLEAN",
        "is_moderator": "BOOLEAN",
        "score": "DOUBLE",
        "account_id": "VARCHAR",
        "email_hash": "VARCHAR",
    },
    "places": {
        "place_id": "VARCHAR",
        "source_id": "VARCHAR",
        "native_id": "VARCHAR",
        "kind": "VARCHAR",
        "name": "VARCHAR",
        "created_at": "TIMESTAMPTZ",
        "parent_id": "VARCHAR",
        "description": "VARCHAR",
        "item_count": "BIGINT",
    },
    "threads": {
        "thread_id": "VARCHAR",
        "source_id": "VARCHAR",
        "native_id": "VARCHAR",
        "place_id": "VARCHAR",
        "title": "VARCHAR",
        "author_id": "VARCHAR",
        "created_at": "TIMESTAMPTZ",
        "status": "VARCHAR",
        "accepted_post_id": "VARCHAR",
        "closed_at": "TIMESTAMPTZ",
        "duplicate_of": "VARCHAR",
        "view_count": "BIGINT",
    },
    "thread_places": {
        "thread_id": "VARCHAR",
        "place_id": "VARCHAR",
        "source_id": "VARCHAR",
        "position": "INTEGER",
    },
    "posts": {
        "post_id": "VARCHAR",
        "source_id": "VARCHAR",
        "native_id": "VARCHAR",
        "thread_id": "VARCHAR",
        "author_id": "VARCHAR",
        "created_at": "TIMESTAMPTZ",
        "reply_to_post_id": "VARCHAR",
        "reply_to_member_id": "VARCHAR",
        "kind": "VARCHAR",
        "is_contribution": "BOOLEAN",
        "length": "INTEGER",
        "score": "INTEGER",
        "body": "VARCHAR",
    },
    "reactions": {
        "reaction_id": "VARCHAR",
        "source_id": "VARCHAR",
        "post_id": "VARCHAR",
        "member_id": "VARCHAR",
        "kind": "VARCHAR",
        "created_at": "TIMESTAMPTZ",
        "value": "DOUBLE",
    },
    "events": {
        "event_id": "VARCHAR",
        "source_id": "VARCHAR",
        "category": "VARCHAR",
        "kind": "VARCHAR",
        "created_at": "TIMESTAMPTZ",
        "member_id": "VARCHAR",
        "post_id": "VARCHAR",
        "thread_id": "VARCHAR",
        "place_id": "VARCHAR",
        "target_id": "VARCHAR",
        "detail": "VARCHAR",
    },
    # Decisions about persons; kept across re-ingests (never deleted with a source).
    "identities": {
        "member_id": "VARCHAR",
        "person_id": "VARCHAR",
        "decision": "VARCHAR",
        "evidence": "VARCHAR",
        "decided_at": "TIMESTAMPTZ",
    },
    # Manual bot overrides (``communitas members bot``); kept across re-ingests, win over is_bot.
    "member_flags": {
        "member_id": "VARCHAR",
        "is_bot": "BOOLEAN",
        "decided_at": "TIMESTAMPTZ",
    },
    # Members' requests (``communitas forget``, ``communitas members optout``); kept across
    # re-ingests. member_key: the salted hash of a forgotten member's id, or an opted-out member's id.
    "privacy_requests": {
        "member_key": "VARCHAR",
        "request": "VARCHAR",
        "decided_at": "TIMESTAMPTZ",
    },
}

# How a source's post bodies are written (``sources.body_format``), as the source declares it
# (``Source.body_format``; Markdown when it says nothing): how the topic layer reads text.
BODY_FORMATS = ("html", "markdown", "email")
DEFAULT_BODY_FORMAT = "markdown"

# Tables whose rows belong to one source and are replaced when that source is re-ingested.
SOURCE_TABLES = ("members", "places", "threads", "thread_places", "posts", "reactions", "events")

# Columns that must be present for a row to be kept; a row missing one is skipped and counted.
REQUIRED: dict[str, tuple[str, ...]] = {
    "members": ("member_id",),
    "places": ("place_id",),
    "threads": ("thread_id", "created_at"),
    "thread_places": ("thread_id", "place_id"),
    "posts": ("post_id", "created_at"),
    "reactions": ("reaction_id",),
    "events": ("event_id",),
}


@dataclass(frozen=True)
class SourceInfo:
    """Who a dataset is: its platform, its name, and the id all its rows are namespaced by."""

    platform: str
    name: str
    origin: str
    fingerprint: str

    @property
    def source_id(self) -> str:
        return f"{self.platform}:{self.name}"


def added_columns(existing: set[tuple[str, str]]) -> list[str]:
    """``ALTER TABLE … ADD COLUMN`` for every column of :data:`TABLES` missing from ``existing``
    (``(table, column)`` pairs of a store made before the column was added to the model)."""
    return [f'ALTER TABLE {table} ADD COLUMN "{col}" {typ}' for table, cols in TABLES.items()
            for col, typ in cols.items() if (table, col) not in existing]


def create_statements() -> list[str]:
    """``CREATE TABLE IF NOT EXISTS`` statements for every canonical table."""
    out = []
    for table, cols in TABLES.items():
        body = ", ".join(f'"{c}" {t}' for c, t in cols.items())
        out.append(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
    out.append("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    return out
