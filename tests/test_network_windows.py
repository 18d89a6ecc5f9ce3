"""Rolling windows: stage and roles for every 90-day window of the beer site and three meta
sites, each window's members, ties and newcomers recounted from the raw XML by the test."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from tests.conftest import data_path, raw_rows

from communitas.network import GraphOptions, NetworkAnalysis, analyse, timeline, trajectories
from communitas.network.stages import STAGES, stage_changes
from communitas.store import Workspace

SITES = ("stackexchange-beer", "stackexchange-alcohol-meta", "stackexchange-french-meta",
         "stackexchange-conlang-meta")
POSITIONS = {"core", "periphery", "isolate"}
ROLES = POSITIONS | {"broker", "connector", "newcomer"}


def _when(raw: str) -> datetime:
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


def _raw_windows(folder: str) -> list[dict[str, object]]:
    """Per 90-day window (stride 30, from the day of the first contribution): its members
    (contributors plus tie ends), its distinct ties and its newcomers, straight from the dump."""
    posts = raw_rows(folder, "Posts")
    comments = raw_rows(folder, "Comments")
    owner = {p["Id"]: p.get("OwnerUserId") for p in posts}
    events = [(p.get("OwnerUserId"), _when(p["CreationDate"]),
               owner.get(p.get("ParentId", "")) if p["PostTypeId"] == "2" else None)
              for p in posts if p["PostTypeId"] in ("1", "2")]
    events += [(c.get("UserId"), _when(c["CreationDate"]), owner.get(c["PostId"])) for c in comments]
    events = [e for e in events if e[0] != "-1"]
    first_seen: dict[str, datetime] = defaultdict(lambda: datetime.max.replace(tzinfo=UTC))
    for who, at, _ in events:
        if who:
            first_seen[who] = min(first_seen[who], at)
    first = min(at for _, at, _ in events)
    last = max(at for _, at, _ in events)
    start = first.replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    while True:
        end = start + timedelta(days=90)
        inside = [e for e in events if start <= e[1] < end]
        members = {w for w, _, _ in inside if w}
        ties = {(w, t) for w, _, t in inside if w and t and w != t and t != "-1"}
        members |= {m for tie in ties for m in tie}
        newcomers = {w for w, _, _ in inside if w and start <= first_seen[w] < end}
        out.append({"start": start, "members": len(members), "ties": len(ties), "newcomers": len(newcomers)})
        if end > last:
            return out
        start += timedelta(days=30)


@pytest.fixture(scope="module")
def sites(beer_store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, NetworkAnalysis]:
    metas = tmp_path_factory.mktemp("metas") / "metas.duckdb"
    out = {}
    with Workspace(beer_store, read_only=True) as ws:
        out[SITES[0]] = analyse(ws.ibis())
    with Workspace(metas) as ws:
        for site in SITES[1:]:
            ws.ingest(data_path(site), name=site)
        for site in SITES[1:]:
            out[site] = analyse(ws.ibis(), GraphOptions(source_id=f"stackexchange:{site}"))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("site", SITES)
def test_every_window_has_a_stage_and_roles(site: str, sites: dict[str, NetworkAnalysis]) -> None:
    result = sites[site]
    raw = pd.DataFrame(_raw_windows(site))
    figs = result.figures
    assert len(figs) == len(raw)
    assert [s.to_pydatetime() for s in figs["start"]] == list(raw["start"])
    assert figs["members"].tolist() == raw["members"].tolist()
    assert figs["ties"].tolist() == raw["ties"].tolist()
    assert set(figs["stage"]) <= {*STAGES, "too small"}
    assert set(figs["reading"]) <= {"network", "team", "in between", "too small"}
    assert figs["animator_dependency"].isna().all()
    roles = result.roles
    per_window = roles.groupby("window").size().reindex(figs["window"], fill_value=0)
    assert per_window.tolist() == raw["members"].tolist()
    assert roles.groupby("window")["newcomer"].sum().reindex(figs["window"], fill_value=0).tolist() == (
        raw["newcomers"].tolist())
    assert set(roles["position"]) <= POSITIONS
    assert set(roles["role"]) <= ROLES
    assert timeline(figs)["windows"].sum() == len(figs)


def test_beer_site_stages_and_core(sites: dict[str, NetworkAnalysis]) -> None:
    figs = sites["stackexchange-beer"].figures
    # 76 windows from 2014-01-21 to 2020-03-20; every one large enough to read
    assert len(figs) == 76
    assert "too small" not in set(figs["stage"])
    roles = sites["stackexchange-beer"].roles
    core = roles[roles["position"] == "core"]
    max_core = figs.set_index("window")["max_core"]
    assert (core["coreness"] >= 2).all()
    assert (core["coreness"] * 3 >= core["window"].map(max_core) * 2).all()
    isolates = roles[roles["position"] == "isolate"]
    assert (isolates["contacts"] == 0).all()


def test_beer_site_stage_changes_only_on_clear_evidence(sites: dict[str, NetworkAnalysis]) -> None:
    figs = sites["stackexchange-beer"].figures
    # the per-window rule flips 11 times, as one window's max_core crosses 3 and back
    raw_cp = figs["max_core"].ge(3)
    assert figs["window_stage"].eq("core/periphery").tolist() == raw_cp.tolist()
    assert stage_changes(figs, "window_stage") == int((raw_cp != raw_cp.shift()).iloc[1:].sum()) == 11
    # the settled stage changes 6 times, each on a run of 4+ windows whose figures agree
    assert stage_changes(figs) == 6
    runs = timeline(figs)
    assert runs["windows"].tolist() == [12, 6, 23, 9, 13, 8, 5]
    assert runs["stage"].tolist() == ["core/periphery", "multi-hub"] * 3 + ["core/periphery"]
    for run in runs.iloc[1:].itertuples():
        inside = figs[(figs["start"] >= run.first_start) & (figs["start"] <= run.last_start)]
        head = inside[inside["window_stage"] == run.stage].iloc[:4]
        assert len(head) == 4 and head["window"].diff().iloc[1:].eq(1).all()  # 4 in a row
        assert (raw_cp[head.index] == (run.stage == "core/periphery")).all()


def test_trajectories_collapse_runs_and_spot_periphery_to_core() -> None:
    roles = pd.DataFrame({
        "window": [0, 1, 2, 3, 0, 2],
        "member_id": ["a", "a", "a", "a", "b", "b"],
        "position": ["periphery", "periphery", "core", "core", "core", "isolate"],
    })
    out = trajectories(roles).set_index("member_id")
    assert out.loc["a", "path"] == "periphery → core"
    assert bool(out.loc["a", "periphery_to_core"]) is True
    assert out.loc["a", "first_core_window"] == 2
    assert out.loc["b", "path"] == "core → absent → isolate"
    assert bool(out.loc["b", "periphery_to_core"]) is False
    assert out.loc["b", "windows_active"] == 2
