"""The interaction graph and its whole-network figures, checked against networkx.

networkx is used only here, as an independent computation: the beer site's graph is rebuilt by
the test itself from the raw XML (gzip + xml.etree), never through communitas.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from tests.conftest import raw_rows

from communitas.network import GraphOptions, analyse_graph, build_graph, reply_ties, whole_history
from communitas.network.figures import figures, leiden, undirected
from communitas.network.graph import window_graphs
from communitas.store import Workspace


def _raw_graph(folder: str) -> tuple[nx.DiGraph, Counter[tuple[str, str]]]:
    """Member → member replies straight from the dump: answer → question owner, comment →
    commented post's owner; self loops, user -1 and missing owners dropped. Nodes: every member
    who asked, answered or commented (not -1), plus every tie's ends."""
    posts = raw_rows(folder, "Posts")
    comments = raw_rows(folder, "Comments")
    owner = {p["Id"]: p.get("OwnerUserId") for p in posts}
    pairs: list[tuple[str | None, str | None]] = [
        (p.get("OwnerUserId"), owner.get(p.get("ParentId", ""))) for p in posts if p["PostTypeId"] == "2"]
    pairs += [(c.get("UserId"), owner.get(c["PostId"])) for c in comments]
    ok = [(a, b) for a, b in pairs if a and b and a != b and "-1" not in (a, b)]
    weights = Counter(ok)
    g = nx.DiGraph()
    authors = [p.get("OwnerUserId") for p in posts if p["PostTypeId"] in ("1", "2")]
    authors += [c.get("UserId") for c in comments]
    g.add_nodes_from(a for a in authors if a and a != "-1")
    g.add_edges_from(weights)
    return g, weights


def test_karate_club_factions_density_and_transitivity() -> None:
    club = nx.karate_club_graph()
    both = [(a, b) for a, b in club.edges()] + [(b, a) for a, b in club.edges()]
    ties = pd.DataFrame([(f"m{a}", f"m{b}") for a, b in both], columns=["source", "target"])
    ties["weight"] = 1.0
    g = build_graph([f"m{n}" for n in club.nodes()], ties)
    fig = figures(g)
    assert fig["density"] == pytest.approx(nx.density(club))
    assert fig["transitivity"] == pytest.approx(nx.transitivity(club))
    assert fig["reciprocity"] == pytest.approx(1.0)
    parts = leiden(undirected(g))
    assert parts.modularity == pytest.approx(fig["modularity"])
    faction = {f"m{n}": d["club"] for n, d in club.nodes(data=True)}
    found = pd.DataFrame({"faction": [faction[v["name"]] for v in parts.graph.vs],
                          "community": parts.membership})
    # every community is given the faction most of its members belong to
    majority = found.groupby("community")["faction"].agg(lambda s: s.mode()[0])
    wrong = int((found["community"].map(majority) != found["faction"]).sum())
    assert wrong <= 2
    assert set(majority) == {"Mr. Hi", "Officer"}


def test_karate_club_stage_reads_as_a_network() -> None:
    club = nx.karate_club_graph()
    both = [(a, b) for a, b in club.edges()] + [(b, a) for a, b in club.edges()]
    ties = pd.DataFrame([(f"m{a}", f"m{b}") for a, b in both], columns=["source", "target"])
    ties["weight"] = 1.0
    fig, roles = analyse_graph(build_graph([f"m{n}" for n in club.nodes()], ties))
    assert fig["max_core"] == max(nx.core_number(club).values()) == 4
    assert fig["stage"] == "core/periphery"
    # the two faction leaders (0 and 33) have the most contacts, so they are the connectors
    connectors = set(roles.loc[roles["connector"], "member_id"])
    assert {"m0", "m33"} <= connectors
    btw = nx.betweenness_centrality(club)
    ours = dict(zip(roles["member_id"], roles["betweenness"], strict=True))
    for n, value in btw.items():
        assert ours[f"m{n}"] == pytest.approx(value)


@pytest.fixture(scope="module")
def beer_raw() -> tuple[nx.DiGraph, Counter[tuple[str, str]]]:
    return _raw_graph("stackexchange-beer")


def test_beer_whole_history_matches_raw_xml(beer_store: Path, beer_raw: tuple[nx.DiGraph, Counter]) -> None:
    raw, weights = beer_raw
    with Workspace(beer_store, read_only=True) as ws:
        backend = ws.ibis()
        history = whole_history(backend)
        g = window_graphs(backend, history)[-1]
        ties = reply_ties(backend, history)
    fig = figures(g)
    assert fig["members"] == raw.number_of_nodes()
    assert fig["ties"] == raw.number_of_edges()
    assert fig["interactions"] == sum(weights.values())
    assert fig["density"] == pytest.approx(nx.density(raw))
    assert fig["reciprocity"] == pytest.approx(nx.reciprocity(raw))
    assert fig["max_core"] == max(nx.core_number(nx.Graph(raw)).values())
    assert fig["components"] == nx.number_weakly_connected_components(raw)
    assert fig["transitivity"] == pytest.approx(nx.transitivity(nx.Graph(raw)))
    assert fig["animator_dependency"] is None  # Stack Exchange dumps do not say who is staff
    top = max(weights, key=lambda k: (weights[k], k))
    sid = "stackexchange:beer.stackexchange.com:u:"
    mine = ties[(ties["source"] == sid + top[0]) & (ties["target"] == sid + top[1])]
    assert mine["weight"].tolist() == [weights[top]]


def test_co_participation_adds_weaker_symmetric_ties(beer_store: Path) -> None:
    with Workspace(beer_store, read_only=True) as ws:
        backend = ws.ibis()
        history = whole_history(backend)
        plain = reply_ties(backend, history)
        co = reply_ties(backend, history, GraphOptions(co_participation_hours=24))
    assert len(co) > len(plain)
    merged = plain.merge(co, on=["window", "source", "target"], suffixes=("_plain", "_co"))
    assert len(merged) == len(plain)  # every reply tie is still there, weight never lower
    assert (merged["weight_co"] >= merged["weight_plain"]).all()
    only_co = co.merge(plain, on=["window", "source", "target"], how="left", indicator=True)
    only_co = only_co[only_co["_merge"] == "left_only"]
    assert set(only_co["weight_x"] % 0.5) == {0.0}
    pairs = set(zip(only_co["source"], only_co["target"], strict=True))
    replies = set(zip(plain["source"], plain["target"], strict=True))
    assert all((b, a) in pairs or (b, a) in replies for a, b in pairs)


def test_sampled_betweenness_is_scaled_to_the_exact_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from communitas.network import roles

    club = nx.karate_club_graph()
    u = build_graph([f"m{n}" for n in club.nodes()], pd.DataFrame(
        [(f"m{a}", f"m{b}", 1.0) for a, b in club.edges()], columns=["source", "target", "weight"]))
    exact = nx.betweenness_centrality(club)
    monkeypatch.setattr(roles, "EXACT_BETWEENNESS_LIMIT", 10)
    # sampling every vertex as a source must give back the exact figure
    monkeypatch.setattr(roles, "BETWEENNESS_SAMPLES", club.number_of_nodes())
    every = roles.betweenness(undirected(u))
    assert every == pytest.approx([exact[int(v["name"][1:])] for v in u.vs])
    # half the sources: an estimate of the same size, with the two faction leaders on top
    monkeypatch.setattr(roles, "BETWEENNESS_SAMPLES", 17)
    half = roles.betweenness(undirected(u))
    assert half.sum() == pytest.approx(sum(exact.values()), rel=0.25)
    top5 = sorted(exact, key=lambda n: exact[n], reverse=True)[:5]
    assert {u.vs[i]["name"] for i in np.argsort(-half)[:5]} == {f"m{n}" for n in top5}
