"""``communitas profile`` and ``build_profile``: the four components, stable JSON keys, CSV, bands,
scope options, one-line user errors, and speed on the real Stack Exchange samples."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import data_path, run_cli
from tests.test_metrics_components import build_tiny

from communitas.metrics import interaction, people, reference
from communitas.metrics.profile import FIGURES, build_profile
from communitas.store import Workspace

HEADLINES = {
    "people": {"active_members", "newcomers", "contributions", "gini", "top1_share", "next9_share",
               "rest90_share", "absence_factor", "converted_30", "converted_90", "retained_1",
               "retained_3", "retained_6", "retained_12", "regular_members", "churned",
               "churned_share", "avid_members"},
    "common_ties": {"places_active", "entropy", "evenness", "interest_overlap", "sharing_pairs",
                    "member_pairs", "overlap_sampled_members"},
    "social_interaction": {"threads", "responded", "answered_share", "no_response_share",
                           "median_hours", "p90_hours", "replied_share", "replies_per_thread",
                           "accepted_share",
                           "threads_per_day", "reply_pairs", "mutual_pairs", "reciprocity",
                           "newcomer_starters", "newcomers_received", "reception_share",
                           "newcomer_median_hours", "return_with_response", "return_without_response",
                           "newcomers_with_response", "newcomers_without_response"},
    "place": {"places", "places_active", "gini", "hhi", "dormant_places", "small_places", "members",
              "multi_place_members", "multi_place_share", "mean_places"},
}


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tinyprofile") / "tiny.duckdb"
    with Workspace(path) as ws:
        build_tiny(ws)
    return path


@pytest.fixture(scope="module")
def tiny_profile(tiny_store: Path) -> Iterator[dict[str, Any]]:
    with Workspace(tiny_store, read_only=True) as ws:
        yield build_profile(ws)


def test_json_keys_are_the_documented_ones(tiny_profile: dict[str, Any]) -> None:
    assert set(tiny_profile) == {"schema_version", "scope", "overview", "active_members", "top_places",
                                 "people", "common_ties", "social_interaction", "place", "bands",
                                 "definitions", "figures"}
    for component, keys in HEADLINES.items():
        assert set(tiny_profile[component]["headline"]) == keys, component
        assert {f"{component}.{k}" for k in keys} <= set(FIGURES)
    doc = (Path(__file__).resolve().parents[1] / "docs" / "profile-json.md").read_text()
    for keys in HEADLINES.values():
        for key in keys:
            assert f"`{key}`" in doc, f"docs/profile-json.md does not document {key}"
    json.dumps(tiny_profile)  # plain JSON, nothing left to convert


def test_profile_agrees_with_the_metric_functions(tiny_store: Path, tiny_profile: dict[str, Any]) -> None:
    with Workspace(tiny_store, read_only=True) as ws:
        b = ws.ibis()
        ineq = people.participation_inequality(b)
        first = interaction.first_response(b)
    head = tiny_profile["people"]["headline"]
    assert head["gini"] == pytest.approx(28 / 150) == ineq["gini"]
    assert head["active_members"] == 5 and head["newcomers"] == 5
    assert head["retained_1"] == pytest.approx(0.4) and head["churned"] == 1
    inter = tiny_profile["social_interaction"]["headline"]
    assert inter["median_hours"] == first["median_hours"] == 6.0
    assert inter["accepted_share"] == pytest.approx(1 / 6)
    assert inter["return_with_response"] == 0.5 and inter["newcomer_starters"] == 3
    assert tiny_profile["place"]["headline"]["dormant_places"] == 2  # w (quiet) and z (never used)
    grid = tiny_profile["place"]["rhythm"]
    assert grid[0][10] == 2 and sum(map(sum, grid)) == 16
    assert [r["period"][:7] for r in tiny_profile["people"]["trend"]] == [
        "2020-10", "2020-11", "2020-12", "2021-01", "2021-02", "2021-03"]
    assert tiny_profile["people"]["trend"][0]["period"] == "2020-10-01T00:00:00+00:00"


def test_bands_carry_citations_and_observed_figures(tiny_profile: dict[str, Any]) -> None:
    bands = {b["id"]: b for b in tiny_profile["bands"]}
    assert len(bands) == len(reference.bands()) >= 8
    assert all(b["citation"] for b in bands.values())
    answered = bands["area51_answered"]
    # Replies by another member (not comments): T1 (b), T2 (c), T4 (deleted), T6 (b, c) -> 4 of 6.
    assert answered["observed"] == pytest.approx(4 / 6) and answered["met"] is False  # below 90%
    assert answered["metric"] == "social_interaction.replied_share"
    assert bands["joyce_kraut_2006_return_with_reply"]["value"] == 0.56
    assert bands["joyce_kraut_2006_return_without_reply"]["observed"] == 1.0
    assert bands["van_mierlo_2014_top1"]["observed"] == pytest.approx(4 / 15)
    assert bands["area51_avid_users"]["observed"] is None  # no reputation on this platform
    assert "Joyce" in bands["joyce_kraut_2006_return_with_reply"]["citation"]
    assert "2.5" in bands["area51_answers_per_question"]["label"]


def test_cli_scope_options(tiny_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["profile", "--json", "--store", str(tiny_store), "--since", "2021-01-01",
                            "--until", "2021-03-01", "--place", "x", "--period", "quarter"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["scope"]["since"] == "2021-01-01T00:00:00+00:00" and data["scope"]["place"] == "x"
    # x in Jan-Feb 2021: T1 (a b), T2 (b c), T4 (d and a deleted account); one quarter.
    assert [r["period"][:10] for r in data["people"]["trend"]] == ["2021-01-01"]
    assert data["people"]["headline"]["active_members"] == 4
    assert data["social_interaction"]["headline"]["threads"] == 3
    code, out, _ = run_cli(["profile", "--json", "--store", str(tiny_store), "--include-bots"], capsys)
    assert json.loads(out)["social_interaction"]["headline"]["threads"] == 7


def test_cli_csv(tiny_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["profile", "--csv", "--store", str(tiny_store)], capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert set(rows[0]) == {"component", "metric", "period", "value"}
    got = {(r["component"], r["metric"], r["period"][:7]): r["value"] for r in rows}
    assert float(got[("people", "gini", "")]) == pytest.approx(28 / 150)
    assert got[("social_interaction", "threads", "2021-01")] == "2"
    assert got[("people", "avid_members", "")] == ""  # null
    assert {r["component"] for r in rows} == set(HEADLINES)


def test_cli_text_shows_the_four_components(tiny_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["profile", "--store", str(tiny_store)], capsys)
    assert code == 0
    for title in ("PEOPLE", "COMMON TIES", "SOCIAL INTERACTION", "PLACE"):
        assert re.search(rf"^{title}\b", out, flags=re.MULTILINE), title
    assert "66.7%" in out  # answered share 4 of 6
    assert "Area 51" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--period", "fortnight"], "'--period': 'fortnight' is not one of week, month, quarter or year"),
    (["--place", "nowhere"], "no place named 'nowhere'"),
    (["--since", "last tuesday"], "is not a date"),
    (["--source", "slack:nope"], "no source 'slack:nope' in the store"),
])
def test_cli_user_errors_are_one_line(tiny_store: Path, capsys: pytest.CaptureFixture[str],
                                      args: list[str], message: str) -> None:
    code, _, err = run_cli(["profile", "--store", str(tiny_store), *args], capsys)
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_cli_on_an_empty_store_says_to_ingest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Workspace(tmp_path / "e.duckdb").close()
    code, _, err = run_cli(["profile", "--store", str(tmp_path / "e.duckdb")], capsys)
    assert code == 2 and "communitas ingest" in err and err.count("\n") == 1


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["stackexchange-alcohol-meta", "stackexchange-french-meta",
                                    "stackexchange-conlang-meta", "stackexchange-quantumcomputing"])
def test_profile_of_the_samples_is_fast(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        folder: str) -> None:
    store = tmp_path / "s.duckdb"
    with Workspace(store) as ws:
        ws.ingest(data_path(folder))
    started = time.perf_counter()
    code, out, _ = run_cli(["profile", "--store", str(store)], capsys)
    elapsed = time.perf_counter() - started
    assert code == 0 and "SOCIAL INTERACTION" in out
    # Target < 5 s; the bound leaves room for a CI machine shared by other jobs.
    assert elapsed < 15, f"profile took {elapsed:.1f} s"
    code, out, _ = run_cli(["profile", "--json", "--store", str(store)], capsys)
    data = json.loads(out)
    assert data["social_interaction"]["headline"]["threads"] > 0
    assert data["place"]["headline"]["places_active"] > 0
