"""The profile and the network run unchanged on every platform, in one store holding them all.

Each source's own tests prove its rows against the raw export; this file proves the layers above
read them without platform-specific code: for every non-Stack-Exchange sample in one workspace,
the profile of that source and its whole-history network are computed, and they agree with each
other and with plain counts of the canonical tables (contributors, replies between members).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import data_path

from communitas.metrics.profile import build_profile
from communitas.network.analysis import analyse
from communitas.network.graph import GraphOptions
from communitas.store import Workspace

SAMPLES = {
    "mbox": ("mbox-usrp-users-2022",),
    "slack": ("slack-houstondatavis",),
    "discord": ("discord-komodo",),
    "discourse-askci": ("discourse-askci",),
    "discourse-delving": ("discourse-delvingbitcoin", "delvingbitcoin-posts.tar.gz"),
    "zulip": ("zulip-brlcad",),
    "github-discussions": ("github-discussions-payloadcms",),
}


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("neutral") / "all.duckdb"
    ids = {}
    with Workspace(path) as ws:
        for key, parts in SAMPLES.items():
            ids[key] = ws.ingest(data_path(*parts)).source_id
    return path, ids


def _plain_counts(ws: Workspace, sid: str) -> tuple[int, int, int]:
    """Contributors, members in the network (contributors and those they reply to, as on chat
    an @mention can address someone who never posts) and member-to-member replies of one
    source, by hand in SQL (no bots)."""
    rows = ws.con.execute(
        """WITH people AS (SELECT member_id FROM members
                           WHERE source_id = $sid AND NOT coalesce(is_bot, false)
                             AND NOT coalesce(is_system, false)),
                p AS (SELECT * FROM posts WHERE source_id = $sid AND is_contribution
                        AND author_id IN (SELECT member_id FROM people)),
                r AS (SELECT * FROM p WHERE reply_to_member_id IN (SELECT member_id FROM people)
                        AND reply_to_member_id <> author_id)
           SELECT (SELECT count(DISTINCT author_id) FROM p),
                  (SELECT count(*) FROM (SELECT author_id FROM p UNION SELECT reply_to_member_id FROM r)),
                  (SELECT count(*) FROM r)""",
        {"sid": sid},
    ).fetchall()
    return int(rows[0][0]), int(rows[0][1]), int(rows[0][2])


@pytest.mark.parametrize("key", list(SAMPLES))
def test_profile_and_network_agree_on_every_platform(key: str, everything: tuple[Path, dict[str, str]]
                                                      ) -> None:
    path, ids = everything
    sid = ids[key]
    with Workspace(path, read_only=True) as ws:
        contributors, in_network, replies = _plain_counts(ws, sid)
        profile = build_profile(ws, source=sid)
        result = analyse(ws.ibis(), GraphOptions(source_id=sid), whole=True, roles=True)
        members = {r[0] for r in ws.con.execute(
            "SELECT member_id FROM members WHERE source_id = ?", [sid]).fetchall()}
    assert profile["overview"]["contributors"] == contributors > 0
    whole = result.figures.iloc[0]
    assert whole["members"] == in_network >= contributors
    assert whole["interactions"] == replies > 0
    assert whole["stage"] in {"too small", "scattered fragments", "hub-and-spoke", "multi-hub",
                              "core/periphery"}
    assert set(result.roles["member_id"]) <= members
    for component in ("people", "common_ties", "social_interaction", "place"):
        assert profile[component]["headline"], component

