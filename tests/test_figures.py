"""One registry of figure units (``metrics/units.py``): every figure the CLI, the report, the
comparison and the dashboard print has a unit, and each prints it the same way; reference bands
are judged and shown only where the data has what they need; a one-place entropy prints 0.

The stores are built in code: the hand-worked corpus of ``test_metrics_components`` (a
question-and-answer site), the same corpus with every post a chat ``message``, and both together.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import run_cli
from tests.test_metrics_components import SID, build_tiny

from communitas.cli.network import FIGURE_COLUMNS
from communitas.cli.profile import fmt
from communitas.metrics import place as place_metrics
from communitas.metrics import reference, ties
from communitas.metrics.profile import build_profile
from communitas.metrics.units import UNIT_OF, format_figure, unit_of
from communitas.report import compare as report_compare
from communitas.report.components import _cell, build_interaction
from communitas.report.context import ReportContext
from communitas.store import Workspace


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``qa``: the tiny Q&A corpus; ``chat``: the same posts as chat messages; ``mixed``: both."""
    root = tmp_path_factory.mktemp("figures")
    paths = {k: root / f"{k}.duckdb" for k in ("qa", "chat", "mixed")}
    with Workspace(paths["qa"]) as ws:
        build_tiny(ws)
    with Workspace(paths["chat"]) as ws:
        build_tiny(ws)
        ws.con.execute("UPDATE posts SET kind = 'message' WHERE is_contribution")
    with Workspace(paths["mixed"]) as ws:
        build_tiny(ws)
        ws.con.execute(f"ATTACH '{paths['chat']}' AS chat (READ_ONLY)")
        for table in ("sources", "members", "places", "threads", "thread_places", "posts"):
            cols = ", ".join(c[0] for c in ws.con.execute(f"DESCRIBE {table}").fetchall())
            swap = {c: f"replace({c}, '{SID}', 'chat:tiny')" for c in cols.split(", ")
                    if c.endswith("_id") or c == "source_id"}
            select = ", ".join(swap.get(c, c) for c in cols.split(", "))
            ws.con.execute(f"INSERT INTO {table} ({cols}) SELECT {select} FROM chat.{table}")
        ws.con.execute("DETACH chat")
    return paths


@pytest.fixture(scope="module")
def profiles(stores: dict[str, Path]) -> Iterator[dict[str, dict[str, Any]]]:
    out = {}
    for key, path in stores.items():
        with Workspace(path, read_only=True) as ws:
            out[key] = build_profile(ws)
    yield out


def test_every_printed_figure_has_a_unit(profiles: dict[str, dict[str, Any]]) -> None:
    p = profiles["qa"]
    names = set()
    for component in ("people", "common_ties", "social_interaction", "place"):
        names |= set(p[component]["headline"])
        names |= {k for row in p[component]["trend"] for k in row if k != "period"}
    names |= {k for row in p["place"]["places"] for k in row if k not in ("place_id", "name", "kind")}
    names |= {f.key for f in report_compare.FIGURES}
    names |= set(FIGURE_COLUMNS) - {"stage", "reading"}
    assert sorted(n for n in names if unit_of(n) is None) == []
    assert set(UNIT_OF.values()) <= {"share", "count", "hours", "rate", "index", "bits"}


def test_a_share_prints_as_a_percentage_everywhere(profiles: dict[str, dict[str, Any]]) -> None:
    """The report's band table showed return_with_response as 0.80 beside a "56%" label."""
    h = profiles["qa"]["social_interaction"]["headline"]
    assert h["return_with_response"] == 0.5  # hand-worked in test_metrics_components
    for shown in (fmt("return_with_response", 0.5), _cell(0.5, "social_interaction.return_with_response"),
                  format_figure("social_interaction.return_with_response", 0.5)):
        assert shown == "50.0%"
    shares = [n for n, u in UNIT_OF.items() if u == "share"]
    for name in shares:  # the CLI and the report print every share the same way
        assert fmt(name, 0.1234) == _cell(0.1234, name) == "12.3%", name
    community = {"source_id": "s", "figures": {f.key: 0.25 for f in report_compare.FIGURES}}
    rows = {r["figure"]: r["s"] for r in report_compare.table_rows([community])}
    for f in report_compare.FIGURES:
        assert rows[f.label] == fmt(f.key, 0.25)
    assert rows["threads with a reply"] == "25.0%" and rows["median hours to first response"] == "0.2 h"


def test_report_band_table_prints_observed_shares_as_percentages(stores: dict[str, Path]) -> None:
    with Workspace(stores["qa"], read_only=True) as ws:
        section = build_interaction(ReportContext(ws=ws))
    assert section is not None
    bands = next(t for t in section["tables"] if t["title"] == "Reference bands")["rows"]
    observed = {b["reference"]: b["observed"] for b in bands}
    assert observed["Usenet newcomers who got a reply and posted again: 56%"] == "50.0%"
    assert observed["Usenet newcomers who got no reply and posted again: 44%"] == "100.0%"
    assert observed["Area 51 \"excellent\": 90% of questions answered"] == "66.7%"  # 4 of 6


def test_bands_apply_only_where_the_data_has_what_they_need(profiles: dict[str, dict[str, Any]]) -> None:
    def by_id(key: str) -> dict[str, dict[str, Any]]:
        return {b["id"]: b for b in profiles[key]["bands"]}

    qa, chat, mixed = by_id("qa"), by_id("chat"), by_id("mixed")
    assert {b["applies_to"] for b in qa.values()} <= set(reference.CAPABILITIES)
    assert all(b["applies"] for b in qa.values())
    assert qa["area51_answered"]["met"] is False  # 4 of 6 threads, below 90%
    for band_id, band in chat.items():
        area51_or_threads = band["applies_to"] in ("question_answer", "threaded_discussion")
        assert band["applies"] is not area51_or_threads, band_id
        assert band["met"] is None or band["applies"], band_id
    # The chat copy has the same figures: Area 51's 15 questions a day is simply not judged there.
    assert chat["area51_questions_per_day"]["observed"] == qa["area51_questions_per_day"]["observed"]
    assert chat["area51_answered"]["met"] is None
    # A store holding a Q&A site and a chat workspace is not judged as a Q&A site.
    assert not mixed["area51_answered"]["applies"] and mixed["van_mierlo_2014_top1"]["applies"]


def test_cli_and_report_leave_out_bands_that_do_not_apply(stores: dict[str, Path],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["profile", "--store", str(stores["chat"])], capsys)
    assert code == 0
    assert "Area 51" not in out and "Usenet" not in out and "1% rule" in out
    code, out, _ = run_cli(["profile", "--store", str(stores["qa"])], capsys)
    assert "Area 51" in out and "Usenet" in out
    with Workspace(stores["chat"], read_only=True) as ws:
        section = build_interaction(ReportContext(ws=ws))
    assert section is not None
    assert all(t["title"] != "Reference bands" for t in section["tables"])


def test_the_entropy_of_one_place_is_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Eleven contributions in one place: log2(11) - 11 log2(11) / 11 computes as 4.4e-16."""
    assert math.log2(11) - 11 * math.log2(11) / 11 != 0.0
    path = tmp_path / "one.duckdb"
    with Workspace(path) as ws:
        con = ws.con
        con.execute("INSERT INTO sources (source_id, platform, name) VALUES ('t:one', 'test', 'one')")
        con.execute("INSERT INTO places (place_id, source_id, kind, name) VALUES ('t:one:c', 't:one', "
                    "'channel', 'c')")
        con.execute("INSERT INTO threads (thread_id, source_id, place_id, created_at) VALUES "
                    "('t:one:t', 't:one', 't:one:c', '2021-01-01 00:00+00')")
        con.execute("INSERT INTO thread_places VALUES ('t:one:t', 't:one:c', 't:one', 0)")
        con.executemany("INSERT INTO members (member_id, source_id) VALUES (?, 't:one')",
                        [(f"t:one:u:{i}",) for i in range(3)])
        con.executemany("INSERT INTO posts (post_id, source_id, thread_id, author_id, created_at, kind, "
                        "is_contribution) VALUES (?, 't:one', 't:one:t', ?, ?, 'message', true)",
                        [(f"t:one:p:{i}", f"t:one:u:{i % 3}", f"2021-01-01 {i:02d}:00+00")
                         for i in range(11)])
        b = ws.ibis()
        assert place_metrics.place_concentration(b)["entropy"] == 0.0
        assert ties.attention_entropy(b)["entropy"].tolist() == [0.0]
    code, out, _ = run_cli(["profile", "--csv", "--store", str(path)], capsys)
    assert code == 0
    entropy = [line for line in out.splitlines() if line.startswith("common_ties,entropy,")]
    assert entropy == ["common_ties,entropy,,0.0", "common_ties,entropy,2021-01-01T00:00:00+00:00,0.0"]
    assert format_figure("entropy", 1.7763568394002505e-15) == "0.000"
