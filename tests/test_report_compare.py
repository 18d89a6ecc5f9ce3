"""``communitas compare``: figures over each community's first 24 months, normalised per 100 active
members, checked against the raw conlang meta dump; the report section and the dashboard page."""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import LOCAL, data_path

from communitas.cli.app import main
from communitas.web import create_app


def _raw_conlang(until: str) -> tuple[int, int]:
    """Distinct contributors and questions before ``until``, from the raw XML; the system account
    (user -1, "Community") is left out of both, as every metric does by default."""
    folder = data_path("stackexchange-conlang-meta")

    def rows(name: str) -> list[dict[str, str]]:
        with gzip.open(folder / f"{name}.xml.gz") as f:
            return [dict(r.attrib) for r in ET.parse(f).getroot()]

    end = datetime.fromisoformat(until)
    posts = [p for p in rows("Posts") if p["PostTypeId"] in ("1", "2")
             and datetime.fromisoformat(p["CreationDate"]) < end]
    comments = [c for c in rows("Comments") if datetime.fromisoformat(c["CreationDate"]) < end]
    authors = {p.get("OwnerUserId") for p in posts} | {c.get("UserId") for c in comments}
    questions = sum(1 for p in posts if p["PostTypeId"] == "1" and p.get("OwnerUserId") != "-1")
    return len(authors - {None, "-1"}), questions


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], Path]:
    out = tmp_path_factory.mktemp("cmp")
    html = out / "compare.html"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main(["compare", str(data_path("stackexchange-conlang-meta")), "--json", "-o", str(html)])
    return json.loads(buf.getvalue()), html


def test_first_24_months_per_100_active_members(compared: tuple[list[dict], Path]) -> None:
    communities, _ = compared
    assert len(communities) == 1
    c = communities[0]
    assert (c["since"], c["until"]) == ("2018-02-01", "2020-02-01")
    active, questions = _raw_conlang(c["until"])
    assert c["figures"]["active_members"] == active
    assert c["figures"]["threads_per_100"] == round(100 * questions / active, 2)


def test_compare_report_section(compared: tuple[list[dict], Path]) -> None:
    communities, html_path = compared
    html = html_path.read_text(encoding="utf-8")
    assert '<section id="compare" class="section section-compare">' in html
    active = f"{communities[0]['figures']['active_members']:,}"
    assert f'<td>active members (first 24 months)</td><td class="num">{active}</td>' in html


def test_compare_dashboard_page_and_unknown_source(beer_store: Path, capsys: pytest.CaptureFixture[str]
                                                   ) -> None:
    page = TestClient(create_app(beer_store), base_url=LOCAL).get("/compare")
    assert page.status_code == 200 and "stackexchange:beer.stackexchange.com" in page.text
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "no-such-source", "--store", str(beer_store)])
    assert exit_info.value.code == 2
    assert "'no-such-source' is neither a file nor a source" in capsys.readouterr().err


def test_cli_default_window_is_the_reports() -> None:
    from communitas.cli import compare as cli_compare
    from communitas.report import compare as report_compare

    assert cli_compare.MONTHS == report_compare.MONTHS == 24
