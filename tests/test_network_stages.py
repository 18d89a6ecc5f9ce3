"""The stage rule on networks whose shape is known by construction."""

from __future__ import annotations

import pandas as pd

from communitas.network import analyse_graph, build_graph, timeline
from communitas.network.stages import settle_stages, stage_changes


def _graph(pairs: list[tuple[str, str]]) -> tuple[dict, pd.DataFrame]:
    ties = pd.DataFrame(pairs, columns=["source", "target"])
    ties["weight"] = 1.0
    members = sorted({m for p in pairs for m in p})
    return analyse_graph(build_graph(members, ties))


def test_star_is_hub_and_spoke_and_reads_as_a_team() -> None:
    fig, roles = _graph([(f"s{i}", "hub") for i in range(12)])
    assert fig["stage"] == "hub-and-spoke" and fig["reading"] == "team"
    assert fig["top1_share"] == 1.0 and fig["in_centralization"] == 1.0
    assert roles.set_index("member_id").loc["hub", "connector"]


def test_disjoint_triangles_are_scattered_fragments() -> None:
    pairs = [(f"t{k}a", f"t{k}b") for k in range(6)] + [(f"t{k}b", f"t{k}c") for k in range(6)]
    pairs += [(f"t{k}c", f"t{k}a") for k in range(6)]
    fig, _ = _graph(pairs)
    assert fig["components"] == 6 and fig["largest_component_share"] == 3 / 18
    # everyone has 2 contacts: the top five are the first five (t0a-c, t1a, t1b), touching the
    # ties of both triangles (a tie between two of them counts once)
    assert fig["top5_share"] == 6 / 18
    assert fig["stage"] == "scattered fragments"


def test_ring_of_hubs_is_multi_hub_and_a_clique_of_hubs_is_core_periphery() -> None:
    spokes = [(f"h{h}s{i}", f"h{h}") for h in range(4) for i in range(8)]
    ring = [("h0", "h1"), ("h1", "h2"), ("h2", "h3"), ("h3", "h0")]
    fig, roles = _graph(spokes + ring)
    assert fig["max_core"] == 2 and fig["top1_share"] == 10 / 36
    assert fig["top5_share"] == 1.0  # the four hubs (and a spoke) touch every tie
    assert fig["stage"] == "multi-hub"
    # Leiden finds the four stars; only the four ring ties cross between them
    assert fig["communities"] == 4 and fig["community_sizes"] == [9, 9, 9, 9]
    assert fig["crossing_ties"] == 4 and fig["crossing_ties_share"] == 4 / 36
    hubs = roles[roles["member_id"].str.fullmatch(r"h\d")]
    assert hubs["position"].eq("core").all() and hubs["connector"].all()
    fig, _ = _graph(spokes + ring + [("h0", "h2"), ("h1", "h3")])
    assert fig["max_core"] == 3 and fig["stage"] == "core/periphery"


def test_timeline_collapses_runs() -> None:
    figs = pd.DataFrame({"window": [0, 1, 2, 3], "start": [0, 30, 60, 90], "end": [90, 120, 150, 180],
                         "stage": ["multi-hub", "multi-hub", "core/periphery", "multi-hub"]})
    out = timeline(figs)
    assert out["stage"].tolist() == ["multi-hub", "core/periphery", "multi-hub"]
    assert out["windows"].tolist() == [2, 1, 1]
    assert out.loc[0, "last_end"] == 120


def test_stage_chart_renders_a_bar_per_counted_window() -> None:
    import vl_convert

    from communitas.network.summary import stage_chart_spec

    start = pd.Timestamp("2020-01-01", tz="UTC")
    figs = pd.DataFrame({"window": [0, 1, 2], "start": [start + pd.Timedelta(days=30 * i) for i in range(3)],
                         "end": [start + pd.Timedelta(days=90 + 30 * i) for i in range(3)],
                         "members": [12, 20, 15], "ties": [14, 30, float("nan")],
                         "stage": ["multi-hub", "core/periphery", "too small"]})
    spec = stage_chart_spec(figs)
    assert [row["ties"] for row in spec["data"]["values"]] == [14, 30, None]
    assert spec["data"]["values"][0]["start"] == "2020-01-01T00:00:00+00:00"
    svg = vl_convert.vegalite_to_svg(spec)
    assert svg.count('aria-roledescription="bar"') == 2  # a window without a tie count draws no bar


def test_empty_and_lonely_windows_are_too_small() -> None:
    empty = pd.DataFrame({"source": [], "target": [], "weight": []})
    fig, roles = analyse_graph(build_graph([], empty))
    assert fig["members"] == 0 and fig["stage"] == "too small" and fig["density"] is None
    assert roles is not None and roles.empty
    fig, roles = analyse_graph(build_graph(["a"], empty))
    assert fig["stage"] == "too small" and roles is not None
    assert roles["position"].tolist() == ["isolate"]


def _sequence(stages: list[str], stride: int = 30, length: int = 90) -> pd.DataFrame:
    start = pd.Timestamp("2014-01-21", tz="UTC")
    starts = [start + pd.Timedelta(days=stride * i) for i in range(len(stages))]
    return pd.DataFrame({"window": range(len(stages)), "start": starts,
                         "end": [s + pd.Timedelta(days=length) for s in starts], "window_stage": stages})


CP, MH, HS, SMALL = "core/periphery", "multi-hub", "hub-and-spoke", "too small"
# The beer site's per-window readings (90-day windows every 30 days), run by run: what the
# per-window rule gives when one window's max_core crosses 3 (docs/network.md).
BEER_RUNS = [(CP, 6), (MH, 3), (CP, 3), (MH, 6), (CP, 23), (MH, 9), (CP, 10), (MH, 2), (CP, 1), (MH, 8),
             (CP, 4), (MH, 1)]


def test_a_stage_changes_only_on_a_run_whose_ends_share_no_day() -> None:
    figs = _sequence([s for s, n in BEER_RUNS for _ in range(n)])
    assert stage_changes(figs, "window_stage") == 11
    figs["stage"] = settle_stages(figs)
    # runs of 1-3 windows (whose first and last windows overlap) keep the stage in force; runs of
    # 4+ windows (first and last 90 days apart or more) change it
    out = timeline(figs)
    assert list(zip(out["stage"], out["windows"], strict=True)) == [
        (CP, 12), (MH, 6), (CP, 23), (MH, 9), (CP, 13), (MH, 8), (CP, 5)]
    assert stage_changes(figs) == 6
    assert (figs["window_stage"] == figs["stage"]).sum() == 76 - 3 - 2 - 1  # MH runs of 3, 2 and 1 absorbed


def test_hysteresis_follows_the_window_length_not_a_window_count() -> None:
    # non-overlapping windows: two in a row are already disjoint evidence
    figs = _sequence([MH, MH, CP, CP, MH], stride=90)
    assert settle_stages(figs).tolist() == [MH, MH, CP, CP, CP]
    # 90-day windows every 10 days: 10 windows are needed, 9 are not enough
    figs = _sequence([MH] * 5 + [CP] * 9 + [MH] * 5 + [CP] * 10, stride=10)
    assert settle_stages(figs).tolist() == [MH] * 19 + [CP] * 10


def test_too_small_windows_stay_too_small_and_do_not_break_a_run() -> None:
    # HS opens (first readable run); MH in windows 2 and 5 (days 60-150 and 150-240: no shared
    # day) is a clear run of two readable windows
    figs = _sequence([SMALL, HS, MH, SMALL, SMALL, MH])
    assert settle_stages(figs).tolist() == [SMALL, HS, MH, SMALL, SMALL, MH]
    # MH in windows 3 and 5 (days 90-180 and 150-240) overlap: not clear; one CP window neither
    figs = _sequence([HS, HS, HS, MH, SMALL, MH, CP])
    assert settle_stages(figs).tolist() == [HS, HS, HS, HS, SMALL, HS, HS]
    assert stage_changes(figs, "window_stage") == 2


def test_one_window_keeps_its_own_stage() -> None:
    figs = _sequence([MH])
    assert settle_stages(figs).tolist() == [MH]
    assert stage_changes(figs, "window_stage") == 0


def test_stage_chart_tooltip_gives_the_window_s_own_reading() -> None:
    from communitas.network.summary import stage_chart_spec

    figs = _sequence([MH, MH, MH, CP, MH])
    figs["stage"] = settle_stages(figs)
    figs["members"], figs["ties"] = 20, 30
    spec = stage_chart_spec(figs)
    assert [(r["stage"], r["window_stage"]) for r in spec["data"]["values"]][3] == (MH, CP)
    assert {"field": "window_stage", "title": "this window alone"} in spec["encoding"]["tooltip"]
