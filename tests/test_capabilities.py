"""Metrics follow what the data holds, not the platform's name (docs/metrics.md, docs/data-model.md):
``avid_members`` counts wherever members carry a reputation, and only there."""

from __future__ import annotations

from pathlib import Path

from communitas.metrics import people
from communitas.store import Workspace

# (source, platform, member, reputation, bot)
MEMBERS = [
    ("forum:karma", "forum", "a", 250.0, False), ("forum:karma", "forum", "b", 199.0, False),
    ("forum:karma", "forum", "c", 300.0, False), ("forum:karma", "forum", "d", None, False),
    ("forum:karma", "forum", "bot", 500.0, True),
    # a Stack Exchange site read without reputations (no Users.xml scores)
    ("stackexchange:norep", "stackexchange", "e", None, False),
    ("stackexchange:norep", "stackexchange", "f", None, False),
]


def test_avid_members_follow_reputation_in_the_data_not_the_platform(tmp_path: Path) -> None:
    with Workspace(tmp_path / "caps.duckdb") as ws:
        for sid, platform in sorted({(m[0], m[1]) for m in MEMBERS}):
            ws.con.execute("INSERT INTO sources (source_id, platform, name) VALUES (?, ?, ?)",
                           [sid, platform, sid.split(":")[1]])
        ws.con.executemany("INSERT INTO members (member_id, source_id, score, is_bot, is_system) "
                           "VALUES (?, ?, ?, ?, false)",
                           [(f"{sid}:u:{m}", sid, rep, bot) for sid, _, m, rep, bot in MEMBERS])
        b = ws.ibis()
        # the forum records reputation: a and c reach 200 (the bot is left out unless asked for)
        assert people.avid_members(b, source_id="forum:karma") == 2
        assert people.avid_members(b, source_id="forum:karma", include_bots=True) == 3
        # the Stack Exchange source has no reputation in its data: unknown, not 0
        assert people.avid_members(b, source_id="stackexchange:norep") is None
        # the whole store: only the source with reputation counts
        assert people.avid_members(b) == 2
