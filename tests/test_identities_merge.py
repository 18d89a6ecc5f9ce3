"""One person across platforms: a mailing list and a tiny forum (a custom Source built here)
share one person by e-mail; merged persons are counted once, and decisions survive re-ingest."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import data_path

from communitas import identities
from communitas.cli.app import main
from communitas.metrics.base import contributions
from communitas.metrics.summary import overview
from communitas.model import SourceInfo
from communitas.sources.base import Batch, ReadContext
from communitas.sources.registry import SOURCES
from communitas.store import Workspace


def _mail(sender: str, day: int, n: int, subject: str) -> str:
    return (f"From x@example.com Mon Jan  3 10:30:36 2022\nFrom: {sender}\n"
            f"Date: Mon, {day} Jan 2022 10:00:00 +0000\nMessage-ID: <m{n}@example.com>\n"
            f"Subject: {subject}\n\nText {n}.\n\n")


@pytest.fixture
def mbox_file(tmp_path: Path) -> Path:
    path = tmp_path / "team-list.mbox.gz"
    path.write_bytes(gzip.compress("".join([
        _mail("Ada Lovelace <ada@example.com>", 3, 1, "Hello"),
        _mail("Ada Lovelace <ada@example.com>", 4, 2, "Again"),
        _mail("Bea <bea@example.com>", 5, 3, "Hi"),
        _mail("Alex <alex1@example.com>", 6, 4, "Me too"),
    ]).encode()))
    return path


class TinyForum:
    """A forum export whose members carry their e-mail (hashed with the store's salt)."""

    platform = "testforum"
    people = (("u1", "ada", " ADA@example.com", 2), ("u2", "Alex", "alex2@example.com", 1))

    def detect(self, path: Path) -> bool:
        return path.suffix == ".forum"

    def describe(self, path: Path, name: str | None = None) -> SourceInfo:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return SourceInfo(self.platform, name or path.stem, str(path), digest)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        sid = ctx.source_id
        yield Batch("members", {
            "member_id": [f"{sid}:u:{u}" for u, *_ in self.people], "source_id": [sid] * 2,
            "display_name": [n for _, n, _, _ in self.people],
            "email_hash": [ctx.hash_identifier(e) for _, _, e, _ in self.people]})
        posts = [(u, i) for u, _, _, k in self.people for i in range(k)]
        yield Batch("posts", {
            "post_id": [f"{sid}:p:{u}{i}" for u, i in posts], "source_id": [sid] * len(posts),
            "author_id": [f"{sid}:u:{u}" for u, _ in posts],
            "created_at": ["2022-02-01T10:00:00Z"] * len(posts),
            "kind": ["topic"] * len(posts), "is_contribution": [True] * len(posts)})


@pytest.fixture
def both(tmp_path: Path, mbox_file: Path, monkeypatch: pytest.MonkeyPatch
         ) -> Iterator[tuple[Workspace, Path]]:
    monkeypatch.setitem(SOURCES, "testforum", TinyForum())
    forum = tmp_path / "garden.forum"
    forum.write_text("v1")
    with Workspace(tmp_path / "w.duckdb") as ws:
        ws.ingest(mbox_file)
        ws.ingest(forum)
        yield ws, forum


def _per_author(ws: Workspace) -> dict[str, int]:
    posts = contributions(ws.ibis())
    df = posts.group_by("author_id").aggregate(n=posts.count()).execute()
    return dict(zip(df["author_id"], df["n"], strict=True))


def test_suggests_only_the_shared_address_never_the_shared_name(both: tuple[Workspace, Path]) -> None:
    ws, _ = both
    found = identities.suggest(ws.con)
    assert [(s.name_a, s.name_b, s.evidence, s.decision) for s in found] == [
        ("Ada Lovelace", "ada", "same e-mail hash", None)]  # the two "Alex" are not suggested


def test_merged_person_counted_once_and_decision_survives_reingest(both: tuple[Workspace, Path],
                                                                  mbox_file: Path) -> None:
    ws, forum = both
    assert overview(ws.ibis())["contributors"] == 5
    s = identities.suggest(ws.con)[0]
    person = identities.merge(ws.con, s.member_a, s.member_b)
    assert overview(ws.ibis())["contributors"] == 4
    assert _per_author(ws)[person] == 4  # 2 e-mails + 2 forum topics
    ws.ingest(mbox_file, force=True)
    forum.write_text("v2")  # a newer export of the same forum replaces its rows
    assert not ws.ingest(forum).unchanged
    assert overview(ws.ibis())["contributors"] == 4
    assert identities.suggest(ws.con)[0].decision == "merged"
    identities.split(ws.con, s.member_a, s.member_b, evidence="different people after all")
    assert overview(ws.ibis())["contributors"] == 5
    assert identities.suggest(ws.con)[0].decision == "split"


def test_merge_joins_existing_persons(both: tuple[Workspace, Path]) -> None:
    ws, _ = both
    ids = {(sid.split(":")[0], n): m for m, sid, n in
           ws.con.execute("SELECT member_id, source_id, display_name FROM members").fetchall()}
    p1 = identities.merge(ws.con, ids["mbox", "Ada Lovelace"], ids["testforum", "ada"])
    p2 = identities.merge(ws.con, ids["mbox", "Alex"], ids["mbox", "Bea"], evidence="test: one person")
    assert identities.merge(ws.con, ids["mbox", "Bea"], ids["testforum", "ada"]) in (p1, p2)
    person_map = identities.person_map(ws.ibis()).execute()
    assert person_map["person_id"].nunique() == 1 and len(person_map) == 4
    assert overview(ws.ibis())["contributors"] == 2  # the merged four, and the forum's Alex


def test_shared_stack_exchange_accounts_are_suggested(beer_store: Path, tmp_path: Path) -> None:
    """beer.stackexchange.com and its meta site share one account system (AccountId)."""
    accounts = []
    for folder in ("stackexchange-beer", "stackexchange-alcohol-meta"):
        users = data_path(folder) / "Users.xml.gz"
        if not users.exists():
            users = data_path(folder) / "Users.xml"
        raw = gzip.decompress(users.read_bytes()) if users.suffix == ".gz" else users.read_bytes()
        accounts.append({r.get("AccountId") for r in ET.fromstring(raw) if r.get("AccountId")
                         and r.get("Id") != "-1"})
    store = tmp_path / "se.duckdb"
    shutil.copy(beer_store, store)
    with Workspace(store) as ws:
        ws.ingest(data_path("stackexchange-alcohol-meta"))
        found = identities.suggest(ws.con)
    assert len(found) == len(accounts[0] & accounts[1]) > 0
    assert {s.evidence for s in found} == {"same stackexchange-account id"}


def test_unknown_member_is_a_usage_error(both: tuple[Workspace, Path]) -> None:
    ws, _ = both
    with pytest.raises(identities.UsageError, match="no member"):
        identities.merge(ws.con, "nobody", "nobody-else")


def test_cli_suggest_merge_and_pending(both: tuple[Workspace, Path],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    ws, _ = both
    store = str(ws.path)
    ws.close()  # the CLI opens the store itself
    main(["identities", "suggest", "--json", "--store", store])
    found = json.loads(capsys.readouterr().out)
    assert [(f["evidence"], f["decision"]) for f in found] == [("same e-mail hash", None)]
    main(["identities", "merge", found[0]["member_a"], found[0]["member_b"], "--store", store])
    out = " ".join(capsys.readouterr().out.split())
    assert f"are now person person:{min(found[0]['member_a'], found[0]['member_b'])}." in out
    main(["identities", "suggest", "--pending", "--json", "--store", store])
    assert json.loads(capsys.readouterr().out) == []
    main(["members", "--json", "--store", store])
    persons = {m["person_id"] for m in json.loads(capsys.readouterr().out) if m["person_id"]}
    assert len(persons) == 1
