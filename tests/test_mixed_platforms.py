"""A mixed store: the real Zulip archive, GitHub Discussions and a month of a mailing list,
compared side by side; the GitHub column's active members recounted from the raw JSON."""

from __future__ import annotations

import json

import pytest
from tests.conftest import data_path

from communitas.report.compare import compare_store
from communitas.store import Workspace


@pytest.mark.slow
def test_zulip_github_and_mbox_compare_side_by_side(tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("mixed") / "m.duckdb"
    with Workspace(path) as ws:
        ws.ingest(data_path("zulip-brlcad"))
        ws.ingest(data_path("github-discussions-payloadcms"))
        ws.ingest(data_path("mbox-usrp-users-2022", "usrp-users-2022-01.mbox.gz"))
        by_source = {c["source_id"].split(":")[0]: c for c in compare_store(ws)}
    assert set(by_source) == {"zulip", "github-discussions", "mbox"}
    assert all(c["figures"]["active_members"] for c in by_source.values())
    github = by_source["github-discussions"]
    raw = json.loads(data_path("github-discussions-payloadcms", "discussions.json").read_text("utf-8"))
    replies = [r for d in raw for c in d["comments"] for r in c["replies"] or []]
    posts = [*raw, *(c for d in raw for c in d["comments"]), *replies]
    active = {x["author"]["name"].lower() for x in posts
              if x["author"].get("name") and github["since"] <= x["createdAt"][:10] < github["until"]}
    assert (github["since"], github["figures"]["active_members"]) == ("2021-01-01", len(active))
    assert by_source["zulip"]["since"] == "2017-10-01"
