"""The HTML report on the real beer site: sections, charts, figures checked against the raw dump,
pseudonyms, the appendix, the section seam, and the CLI."""

from __future__ import annotations

import gzip
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from tests.conftest import data_path
from typer.testing import CliRunner

from communitas.cli.app import app, main
from communitas.report import ReportOptions, Section, build_report
from communitas.report.sections import SectionEmpty, registered_sections
from communitas.store import Workspace

BUILT_IN = ("overview", "glance", "people", "ties", "interaction", "place", "network", "topics", "appendix")


@pytest.fixture(scope="module")
def beer_html(beer_store: Path) -> str:
    with Workspace(beer_store, read_only=True) as ws:
        return build_report(ws)


def _raw_beer() -> tuple[list[dict[str, str]], list[dict[str, str]], dict[str, str]]:
    folder = data_path("stackexchange-beer")
    def rows(name: str) -> list[dict[str, str]]:
        with gzip.open(folder / name) as f:
            return [dict(r.attrib) for r in ET.parse(f).getroot()]

    users = {r["Id"]: r.get("DisplayName", "") for r in rows("Users.xml.gz")}
    return rows("Posts.xml.gz"), rows("Comments.xml.gz"), users


def test_every_builtin_section_renders_on_real_data(beer_html: str) -> None:
    for key in BUILT_IN:
        assert f'<section id="{key}" class="section section-{key}">' in beer_html, key
    assert 'class="section omitted"' not in beer_html


def test_bundle_once_and_no_external_resource(beer_html: str) -> None:
    assert beer_html.count("window.vegaEmbed=") == 1
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", beer_html, flags=re.S)
    assert markup.count("<script") == 3  # the chart specs, the Vega bundle, the embedding code
    assert not re.search(r"<(script|img|link|iframe|source)\b[^>]*\b(src|href)=", markup)
    assert "cdn.jsdelivr" not in beer_html and "unpkg.com" not in beer_html


def test_each_chart_has_a_spec_and_a_static_svg(beer_html: str) -> None:
    blob = re.search(r'<script type="application/json" id="chart-specs">(.*?)</script>', beer_html, re.S)
    assert blob is not None
    specs = json.loads(blob.group(1))
    figures = re.findall(r'<figure class="chart" data-chart="([^"]+)">(.*?)</figure>', beer_html, re.S)
    assert sorted(specs) == sorted(k for k, _ in figures)
    assert len(specs) >= 10
    for key, inner in figures:
        assert '<div class="chart-static"><svg' in inner, key


def test_cohort_heat_map_orders_its_columns_by_time(beer_html: str) -> None:
    # cohorts are monthly whatever the report's period; 12 months comes after 6, not after 1
    assert '"sort": ["1 month", "3 months", "6 months", "12 months"]' in beer_html.replace("\\/", "/")


def test_figures_match_the_raw_dump(beer_html: str) -> None:
    posts, comments, _ = _raw_beer()
    questions = sum(1 for p in posts if p["PostTypeId"] == "1")
    assert f"<th>questions</th><td class=\"num\">{questions:,}</td>" in beer_html
    thread = {p["Id"]: p["Id"] for p in posts if p["PostTypeId"] == "1"}
    thread.update({p["Id"]: p["ParentId"] for p in posts if p["PostTypeId"] == "2"})
    per_thread = Counter(thread[p["Id"]] for p in posts
                         if p["Id"] in thread and p.get("OwnerUserId") != "-1")
    per_thread.update(thread[c["PostId"]] for c in comments
                      if c["PostId"] in thread and c.get("UserId") != "-1")
    top, n = per_thread.most_common(1)[0]
    title = next(p["Title"] for p in posts if p["Id"] == top)
    first = re.search(r'<div class="thread-title">(.*?)</div>.*?<td class="num">(\d+)</td>', beer_html, re.S)
    assert first is not None and (first.group(1), int(first.group(2))) == (title, n)


def test_members_are_pseudonymised_and_no_email(beer_html: str) -> None:
    posts, comments, users = _raw_beer()
    activity = Counter(p.get("OwnerUserId") for p in posts) + Counter(c.get("UserId") for c in comments)
    names = [users[u] for u, _ in activity.most_common(40) if u in users and u != "-1"]
    distinctive = [n for n in names if len(n) >= 6 and " " in n]
    assert distinctive
    text = re.sub(r"<script.*?</script>", "", beer_html, flags=re.S)
    assert [n for n in distinctive if n in text] == []
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)


def test_appendix_has_every_metric_heading(beer_html: str) -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "metrics.md").read_text(encoding="utf-8")
    headings = re.findall(r"^###\s+(.+)$", doc, re.M)
    assert headings
    appendix = beer_html[beer_html.index('<section id="appendix"'):]
    for h in headings:
        assert f">{h.strip()}</h3>" in appendix, h


def _missing(ctx: object) -> dict[str, object]:
    raise ImportError("no module", name="communitas.nowhere")


def _empty(ctx: object) -> dict[str, object]:
    raise SectionEmpty("nothing here")


def _extension(ctx: object) -> dict[str, object]:
    return {"intro": "an extension <b>section</b>", "tables": []}


def test_sections_plug_in_and_fail_soft(beer_store: Path) -> None:
    secs = [Section("ext", "Extension", "sections/generic.html.j2", _extension),
            Section("gone", "Gone", "sections/generic.html.j2", _missing),
            Section("empty", "Empty", "sections/generic.html.j2", _empty)]
    with Workspace(beer_store, read_only=True) as ws:
        html = build_report(ws, ReportOptions(static_svg=False), sections=secs)
    assert "<p>an extension &lt;b&gt;section&lt;/b&gt;</p>" in html
    assert "left out: needs communitas.nowhere, which this build does not have yet." in html
    assert "left out: nothing here." in html
    keys = [s.key for s in registered_sections()]
    assert keys.index("glance") < keys.index("people") < keys.index("appendix")


def test_cli_report_writes_file_and_help_has_example(beer_store: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.html"
    main(["report", "-o", str(out), "--store", str(beer_store), "--period", "quarter",
          "--skip", "topics", "--skip", "network"])
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Active members and newcomers per quarter" in html
    assert 'id="topics"' not in html and 'id="network"' not in html and 'id="people"' in html
    assert f"wrote {out}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "-o", str(out), "--store", str(beer_store), "--skip", "nosuch"])
    assert exit_info.value.code == 2
    assert "--skip 'nosuch': no such section" in capsys.readouterr().err
    for cmd in ("report", "serve", "compare"):
        result = CliRunner().invoke(app, [cmd, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0
        assert re.search(rf"Example: communitas {cmd} \S", result.output), cmd


def test_mailing_list_report_never_shows_an_address(tmp_path: Path) -> None:
    folder = data_path("mbox-usrp-users-2022")
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
    with gzip.open(folder / "usrp-users-2022-01.mbox.gz", "rt", errors="replace") as f:
        assert len(email.findall(f.read())) > 100  # the raw archive is full of them
    with Workspace(tmp_path / "m.duckdb") as ws:
        ws.ingest(folder)
        html = build_report(ws, ReportOptions(show_names=True))
    body = re.sub(r"(<script>).*?(</script>)", "", html, flags=re.S)  # the Vega bundle's own code
    assert email.findall(body) == []
    for key in ("people", "interaction", "place", "network"):
        assert f'<section id="{key}" class="section section-{key}">' in html, key


def test_cli_report_on_an_empty_store_says_what_to_do(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "empty.duckdb"
    Workspace(store).close()
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "-o", str(tmp_path / "r.html"), "--store", str(store)])
    assert exit_info.value.code == 2
    assert "no posts to report on; run `communitas ingest PATH` first" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_the_report_opens_with_the_brief(beer_html: str) -> None:
    """The brief is the first section, above the figures, each item labelled with its kind."""
    sections = re.findall(r'<section id="([a-z]+)"', beer_html)
    assert sections[0] == "brief" and sections.index("brief") < sections.index("glance")
    brief = beer_html[beer_html.index('<section id="brief"'):beer_html.index('<section id="overview"')]
    kinds = re.findall(r'<li data-kind="([a-z]+)"', brief)
    assert 1 <= len(kinds) <= 15
    assert set(kinds) <= {"welcome", "unanswered", "checkin", "dependency", "introduce", "spotlight",
                          "place", "nugget"}
