"""Discord source: the Komodo CSV export against stats.json (recounted here with the stdlib), the
mention/adjacency rules on a tiny CSV worked out by hand, and an exporter-shaped JSON fixture."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import data_path

from communitas.store import Workspace

SID = "discord:discord-komodo"


@pytest.fixture(scope="session")
def komodo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("discord") / "discord.duckdb"
    with Workspace(path) as ws:
        ws.ingest(data_path("discord-komodo"))
    return path


def _raw_rows() -> dict[str, list[list[str]]]:
    out = {}
    for f in sorted(data_path("discord-komodo").glob("*.csv.gz")):
        with gzip.open(f, "rt", encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=";"))
        out[f.name[: -len(".csv.gz")]] = rows[1:]
    return out


def _q(store: Path, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with Workspace(store, read_only=True) as ws:
        return ws.con.execute(sql, params).fetchall()


def test_counts_equal_stats_and_a_stdlib_recount(komodo_store: Path) -> None:
    stats = json.loads(data_path("discord-komodo", "stats.json").read_text())
    raw = _raw_rows()
    contents = Counter(r[3] for rows in raw.values() for r in rows)
    assert sum(len(r) for r in raw.values()) == stats["total"]["messages"] == 86_683
    posts = _q(komodo_store, "SELECT count(*), count(DISTINCT post_id) FROM posts WHERE source_id = ?", [SID])
    events = dict(_q(komodo_store, "SELECT kind, count(*) FROM events WHERE source_id = ? GROUP BY 1", [SID]))
    skipped = _q(komodo_store, "SELECT skipped FROM sources WHERE source_id = ?", [SID])[0][0]
    assert json.loads(skipped) == {}
    assert events == {"join": contents["Joined the server."], "pin": contents["Pinned a message."]}
    assert posts[0][0] == posts[0][1]  # every message id distinct
    assert posts[0][0] + sum(events.values()) == stats["total"]["messages"]
    authors = {r[0] for rows in raw.values() for r in rows}
    assert len(authors) == 2727
    relayed = {(r[0], r[1]) for r in _relay_rows(raw)}
    assert len(relayed) == 54 + 87
    # every author id, plus one member per name relayed by a webhook
    assert _q(komodo_store, "SELECT count(*) FROM members WHERE source_id = ?", [SID]) == [(2727 + 141,)]


def _relay_rows(raw: dict[str, list[list[str]]]) -> list[list[str]]:
    """Rows of author ids whose every name ends in #0000 and that have two names or more."""
    names: dict[str, set[str]] = {}
    for rows in raw.values():
        for r in rows:
            names.setdefault(r[0], set()).add(r[1])
    hooks = {a for a, ns in names.items() if len(ns) > 1 and all(n.endswith("#0000") for n in ns)}
    return [r for rows in raw.values() for r in rows if r[0] in hooks]


def test_relay_webhooks_post_as_their_named_senders(komodo_store: Path) -> None:
    rows = _relay_rows(_raw_rows())
    per_hook = Counter(r[0] for r in rows)
    assert per_hook == {"450229834912628746": 617, "450204563153223692": 491}
    hooks = _q(komodo_store, "SELECT native_id, display_name, is_bot FROM members WHERE source_id = $s "
                             "AND native_id IN ('450229834912628746', '450204563153223692') ORDER BY 1",
               {"s": SID})
    assert hooks == [("450204563153223692", "relay webhook (87 names)", True),
                     ("450229834912628746", "relay webhook (54 names)", True)]
    got = _q(komodo_store, """SELECT split_part(p.author_id, ':', 4), m.display_name, count(*)
                              FROM posts p JOIN members m ON m.member_id = p.author_id
                              WHERE p.source_id = $s AND p.author_id LIKE $w GROUP BY ALL""",
             {"s": SID, "w": f"{SID}:w:%"})
    expected = Counter((r[0], r[1].rsplit("#", 1)[0]) for r in rows)
    assert {(h, n): c for h, n, c in got} == expected
    assert _q(komodo_store, "SELECT count(*) FROM posts WHERE author_id IN ($a, $b)",
              {"a": f"{SID}:u:450229834912628746", "b": f"{SID}:u:450204563153223692"}) == [(0,)]
    # Discord's "Deleted User#0000" placeholder (one id, one name) stays one ordinary member
    deleted = sum(1 for rs in _raw_rows().values() for r in rs if r[1] == "Deleted User#0000"
                  and r[3] not in ("Joined the server.", "Pinned a message."))  # those are events
    assert _q(komodo_store, "SELECT count(*), bool_or(m.is_bot) FROM posts p JOIN members m "
                            "ON m.member_id = p.author_id WHERE m.display_name = 'Deleted User#0000'") == [
        (deleted, False)]


def test_channels_and_categories(komodo_store: Path) -> None:
    stats = json.loads(data_path("discord-komodo", "stats.json").read_text())
    per_place = dict(_q(komodo_store, """
        SELECT c.name, count(*) FROM (
          SELECT tp.place_id FROM posts p JOIN thread_places tp USING (thread_id) WHERE p.source_id = $s
          UNION ALL SELECT place_id FROM events WHERE source_id = $s) x
        JOIN places c ON c.place_id = x.place_id GROUP BY 1""", {"s": SID}))
    expected = {f.split("_", 1)[1][: -len(".csv")]: v["messages"] for f, v in stats["files"].items()}
    assert per_place == expected and len(per_place) == 8
    parents = dict(_q(komodo_store, """SELECT c.name, g.name FROM places c JOIN places g
                                        ON c.parent_id = g.place_id WHERE c.kind = 'channel'"""))
    assert parents["support"] == "Komodo Project" and parents["introductions"] == "Lobby"
    support = _q(komodo_store, "SELECT native_id FROM places WHERE name = 'support'")
    assert support == [("429676282196787200",)]


def test_hand_checked_replies_in_support(komodo_store: Path) -> None:
    """Rows 14-19 of support.csv (17/18-Jun-18), read by hand."""
    u = f"{SID}:u:"

    def post(author: str, minute: str, k: int = 1) -> tuple[Any, ...]:
        rows = _q(komodo_store, "SELECT reply_to_member_id, reply_to_post_id FROM posts WHERE post_id = ?",
                  [f"{SID}:p:429676282196787200:{minute}:{author}:{k}"])
        assert rows, (author, minute)
        return rows[0]

    # "@aFastHero follow this guide" (SHossain) -> aFastHero, who last spoke 14 h earlier
    assert post("412323938782150658", "2018-06-17T11:26") == (f"{u}386266998469820417", None)
    # "@Bing make sure you have the latest version" (Hermes) -> Bing (not yet in this conversation)
    assert post("414128958326571008", "2018-06-18T03:05") == (f"{u}314596746581770241", None)
    # Bing 4 min later, no mention: adjacency -> Hermes's message
    hermes = f"{SID}:p:429676282196787200:2018-06-18T03:05:414128958326571008:1"
    assert post("314596746581770241", "2018-06-18T03:09") == (f"{u}414128958326571008", hermes)
    # Bing again a minute later: same speaker, no reply
    assert post("314596746581770241", "2018-06-18T03:10") == (None, None)


def test_known_bots_are_flagged(komodo_store: Path) -> None:
    flags = dict(_q(komodo_store, "SELECT display_name, is_bot FROM members WHERE source_id = ?", [SID]))
    assert flags["KMD TipBot#0077"] and flags["marketbot#8661"] and flags["Komodo-Bot#0171"]
    assert not flags["Mr robot#0493"] and not flags["Maciej Bolbot#3831"]


def test_profile_runs(komodo_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from communitas.cli.app import main

    main(["profile", "--store", str(komodo_store), "--json"])
    assert json.loads(capsys.readouterr().out)
