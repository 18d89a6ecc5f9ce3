"""The seams of docs/architecture.md: one ``Scope`` for every metric (the older keywords fold into
it), and a new metric and a new report section added the documented way — a module and an entry
point in an installed distribution — show up in the profile and the report."""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.test_metrics_components import build_tiny

from communitas.metrics import interaction, people, place, reference, ties
from communitas.metrics.profile import build_profile, jsonable
from communitas.metrics.scope import PreparedBackend, Scope
from communitas.report import ReportOptions, build_report
from communitas.report.sections import _REGISTRY, registered_sections
from communitas.store import Workspace

ROOT = Path(__file__).resolve().parents[1]
SID = "test:tiny"


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seams") / "tiny.duckdb"
    with Workspace(path) as ws:
        build_tiny(ws)
    return path


def test_scope_is_one_hashable_value() -> None:
    a = Scope(since="2021-01-01", place="x", source_id=SID)
    b = Scope.of(since=datetime(2021, 1, 1), place="x", source_id=SID)
    assert a == b and hash(a) == hash(b) and a.since == datetime(2021, 1, 1, tzinfo=UTC)
    assert a.whole_history() == Scope(place="x", source_id=SID)
    assert a.but(include_bots=True).include_bots and not a.include_bots


SCOPED: list[tuple[Any, dict[str, Any]]] = [
    (people.active_members, {"period": "month"}), (people.cohort_retention, {}),
    (people.newcomer_conversion, {}), (people.participation_inequality, {}),
    (people.member_tiers, {"period": "month"}), (people.churn, {}), (people.avid_members, {}),
    (interaction.first_response, {}), (interaction.replies_per_thread, {}),
    (interaction.accepted_share, {}), (interaction.threads_per_day, {}), (interaction.reciprocity, {}),
    (interaction.newcomer_reception, {}), (interaction.response_trend, {"period": "month"}),
    (ties.place_members, {}), (ties.tag_cooccurrence, {"limit": 5}), (ties.interest_profiles, {}),
    (ties.interest_overlap, {}), (ties.attention_entropy, {"period": "month"}),
    (ties.place_trends, {"period": "month"}), (place.activity_per_place, {}),
    (place.place_concentration, {}), (place.place_lifecycle, {}), (place.rhythm, {}),
    (place.movement, {}), (place.place_trend, {"period": "month"}), (reference.capabilities, {}),
]


def _plain(value: Any) -> Any:
    """Comparable JSON values (NaN as None)."""
    return jsonable(value.to_dict("records") if hasattr(value, "to_dict") else value)


def test_every_metric_takes_a_scope_and_the_older_keywords_alike(tiny_store: Path) -> None:
    keywords = {"since": "2021-01-01", "until": "2021-03-01", "place": "x", "include_bots": True}
    with Workspace(tiny_store, read_only=True) as ws:
        b = ws.ibis()
        for fn, options in SCOPED:
            with_scope = _plain(fn(b, Scope(**keywords), **options))  # type: ignore[arg-type]
            assert with_scope == _plain(fn(b, **keywords, **options)), fn.__name__
        # x in Jan-Feb 2021: a, b, c, d (T1, T2, T4), and the bot when asked for; e only overall
        x = Scope(since="2021-01-01", until="2021-03-01", place="x")
        assert people.participation_inequality(b, x)["contributors"] == 4
        assert people.participation_inequality(b, x.but(include_bots=True))["contributors"] == 5
        assert people.participation_inequality(b)["contributors"] == 5


def test_memo_keys_come_from_the_scope(tiny_store: Path) -> None:
    with Workspace(tiny_store, read_only=True) as ws, PreparedBackend(ws.ibis()) as pb:
        one = interaction.thread_stats(pb, Scope(since="2021-01-01"))
        same = interaction.thread_stats(pb, since="2021-01-01T00:00:00+00:00")
        other = interaction.thread_stats(pb, Scope(since="2021-02-01"))
        assert one.get_name() == same.get_name() != other.get_name()


def test_built_in_sections_register_through_entry_points() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"][
        "communitas.report_sections"]
    assert set(declared.values()) == {"communitas.report.builtin", "communitas.report.components",
                                      "communitas.report.extras"}
    tree = ast.parse((ROOT / "src/communitas/report/sections.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not imported & set(declared.values()) and "communitas.report" not in imported
    keys = {s.key for s in registered_sections()}
    assert {"overview", "people", "ties", "interaction", "place", "network", "appendix"} <= keys


TOY = '''
from communitas.metrics import scope as sc
from communitas.metrics.registry import Metric
from communitas.report.sections import Section


def compute(backend, scope):
    """Contributions in scope whose thread has at least one other contribution."""
    posts = sc.posts(backend, scope)
    per = posts.group_by("thread_id").aggregate(n=posts.count())
    return {"toy_busy_thread_posts": int(per.filter(per.n > 1).n.sum().execute() or 0)}


def build(ctx):
    value = ctx.profile["social_interaction"]["headline"]["toy_busy_thread_posts"]
    return {"intro": f"Toy figure: {value} contributions in busy threads."}


METRIC = Metric("toy_busy_thread_posts", "social_interaction", compute)
SECTION = Section("toy", "A toy section", "sections/generic.html.j2", build, order=95)
'''


@pytest.fixture
def toy_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A distribution ``toy-seams`` on ``sys.path`` declaring the toy metric and section."""
    site = tmp_path / "site"
    info = site / "toy_seams-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-seams\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[communitas.metrics]\ntoy = toy_seams:METRIC\n\n"
                                           "[communitas.report_sections]\ntoy = toy_seams:SECTION\n")
    (site / "toy_seams.py").write_text(TOY)
    monkeypatch.syspath_prepend(str(site))
    yield site
    _REGISTRY.pop("toy", None)
    sys.modules.pop("toy_seams", None)


@pytest.mark.usefixtures("toy_site")
def test_a_toy_metric_and_section_appear_in_the_profile_and_report(tiny_store: Path) -> None:
    with Workspace(tiny_store, read_only=True) as ws:
        profile = build_profile(ws)
        html = build_report(ws, ReportOptions(skip=("topics", "network", "brief")))
    # by hand, bots and system accounts left out: T0 3, T1 3 (not the bot's answer), T2 3, T4 2 (one
    # by a deleted account), T6 3; T3 and T5 keep one contribution each
    head = profile["social_interaction"]["headline"]
    assert head["toy_busy_thread_posts"] == 14
    assert "toy_busy_thread_posts" in profile["definitions"]["social_interaction"]
    assert profile["figures"]["social_interaction.toy_busy_thread_posts"] == "toy_busy_thread_posts"
    assert "A toy section" in html and "Toy figure: 14 contributions in busy threads." in html


def _code_strings(path: Path) -> set[str]:
    """String constants of a module's code (docstrings left out)."""
    tree = ast.parse(path.read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return {n.value.lower() for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs}


def test_figures_read_capabilities_not_platform_names() -> None:
    platforms = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"][
        "communitas.sources"]) | {"mailman", "pipermail", "hyperkitty"}
    pkg = ROOT / "src" / "communitas"
    # the topics read each source's declared body format (sources.body_format), not its platform
    files = [p for d in ("metrics", "network", "report", "topics") for p in sorted((pkg / d).glob("*.py"))]
    assert pkg / "topics" / "text.py" in files
    assert len(files) > 20
    for path in files:
        assert not _code_strings(path) & platforms, path.name
