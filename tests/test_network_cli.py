"""``communitas network`` end to end on the beer site, the picture, and staff-aware figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.conftest import raw_rows, run_cli

from communitas.network import build_graph
from communitas.network.figures import figures
from communitas.network.picture import picture_spec


def test_json_windows_timeline_members_and_svg(beer_store: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    svg = tmp_path / "net.svg"
    code, out, _ = run_cli(["network", "--store", str(beer_store), "--limit", "3", "--picture", str(svg),
                            "--window", "36", "--json"], capsys)
    assert code == 0
    data: dict[str, Any] = json.loads(out)
    assert len(data["windows"]) == 76
    assert sum(run_["windows"] for run_ in data["timeline"]) == 76
    assert [w["window"] for w in data["windows"]] == list(range(76))
    assert len(data["members"]) == 3
    assert data["picture"]["window"] == 36
    text = svg.read_text()
    assert text.startswith("<svg") and svg.stat().st_size < 300_000
    assert "member 1<" in text or ">member 1" in text
    assert "stackexchange:" not in text  # pseudonymised labels, no ids


def test_member_roles_and_names_on_whole_history_png(beer_store: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    member = "stackexchange:beer.stackexchange.com:u:37"
    png = tmp_path / "net.png"
    code, out, _ = run_cli(["network", "--store", str(beer_store), "--member", member, "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert [m["member_id"] for m in data["members"]] == [member]
    assert len(data["roles"]) == data["members"][0]["windows_active"]
    positions = {r["position"] for r in data["roles"]}
    assert positions <= {"core", "periphery", "isolate"} and positions
    code, out, _ = run_cli(["network", "--store", str(beer_store), "--member", member], capsys)
    assert code == 0 and f"{member} per window" in out.replace("\n", "")
    code, out, _ = run_cli(["network", "--store", str(beer_store), "--whole", "--picture", str(png)], capsys)
    assert code == 0 and "network per window" in out
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size < 300_000
    svg = tmp_path / "whole.svg"
    code, _, _ = run_cli(["network", "--store", str(beer_store), "--whole", "--picture", str(svg)], capsys)
    assert code == 0 and svg.stat().st_size < 300_000


def test_names_label_the_picture_with_display_names(beer_store: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    svg = tmp_path / "named.svg"
    code, _, _ = run_cli(["network", "--store", str(beer_store), "--picture", str(svg), "--names"], capsys)
    assert code == 0
    names = {r.get("DisplayName") for r in raw_rows("stackexchange-beer", "Users")}
    text = svg.read_text()
    assert "member 1<" not in text
    assert sum(1 for n in names if n and f">{n}<" in text) >= 5


@pytest.mark.parametrize("args, needle", [
    (["--member", "nobody"], "--member 'nobody'"),
    (["--picture", "out.gif"], "must end in .svg or .png"),
    (["--picture", "out.svg", "--window", "999"], "--window '999'"),
    (["--window-days", "0"], "at least 1 day"),
])
def test_user_errors_are_one_line(beer_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  args: list[str], needle: str) -> None:
    args = [a.replace("out.", str(tmp_path / "out.")) for a in args]
    code, _, err = run_cli(["network", "--store", str(beer_store), *args], capsys)
    assert code == 2
    assert needle in err and len(err.strip().splitlines()) == 1


def _staffed_graph() -> Any:
    ties = pd.DataFrame({"source": ["a", "b", "c", "a", "d"], "target": ["s", "s", "s", "b", "c"],
                         "weight": [3.0, 1.0, 1.0, 2.0, 1.0]})
    staff = pd.DataFrame({"member_id": ["s", "a", "b", "c", "d"],
                          "staff": pd.array([True, False, False, False, False], dtype="boolean")})
    return build_graph(["a", "b", "c", "d", "s", "e"], ties, staff)


def test_animator_dependency_counts_interaction_through_staff() -> None:
    fig = figures(_staffed_graph())
    assert fig["animator_dependency"] == pytest.approx(5 / 8)  # 3 + 1 + 1 of 8 replies touch s
    assert fig["members"] == 6 and fig["tied_members"] == 5 and fig["components"] == 2
    assert fig["top1_share"] == pytest.approx(3 / 5)  # s (3 ties) touches 3 of 5 ties
    unknown = build_graph(["a", "b"], pd.DataFrame({"source": ["a"], "target": ["b"], "weight": [1.0]}))
    assert figures(unknown)["animator_dependency"] is None


def test_picture_marks_staff_and_labels_by_rank() -> None:
    spec = picture_spec(_staffed_graph())
    nodes = spec["layer"][1]["data"]["values"]
    assert sorted(n["staff"] for n in nodes) == ["member"] * 5 + ["staff"]
    top = max(nodes, key=lambda n: n["contacts"])
    assert top["staff"] == "staff" and top["label"] == "member 1" and top["contacts"] == 3
