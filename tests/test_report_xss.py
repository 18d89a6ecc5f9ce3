"""Member text is escaped everywhere: a post whose title, body, comment and author name carry
script, attribute-breaking and javascript: payloads renders as inert text in the report and the
dashboard. The dump is a tiny Stack-Exchange-shaped folder built here."""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from fastapi.testclient import TestClient
from tests.conftest import LOCAL

from communitas.report import ReportOptions, build_report
from communitas.store import Workspace
from communitas.web import create_app

TITLE = '<script>window.__xss=1</script>"><img src=x onerror="window.__xss=2"> strong beer?'
BODY = ('<p>see <a href="javascript:window.__xss=3">this link</a></p><script>window.__xss=4</script>'
        '"><img src=x onerror=window.__xss=5>')
NAME = '"><img src=x onerror=window.__xss=6>Mallory'
COMMENT = 'try <a href="javascript:window.__xss=7">here</a> or mail mallory@example.com'


def write_dump(folder: Path) -> Path:
    """Posts.xml (a question and an answer), Users.xml and Comments.xml with the payloads."""
    folder.mkdir(parents=True, exist_ok=True)
    def rows(tag: str, items: list[dict[str, str]]) -> str:
        body = "\n".join("  <row " + " ".join(f"{k}={quoteattr(v)}" for k, v in r.items()) + " />"
                         for r in items)
        return f'<?xml version="1.0" encoding="utf-8"?>\n<{tag}>\n{body}\n</{tag}>\n'
    (folder / "Posts.xml").write_text(rows("posts", [
        {"Id": "1", "PostTypeId": "1", "CreationDate": "2020-01-02T10:00:00.000", "Score": "1",
         "Body": BODY, "OwnerUserId": "7", "Title": TITLE, "Tags": "<taste>", "AnswerCount": "1"},
        {"Id": "2", "PostTypeId": "2", "ParentId": "1", "CreationDate": "2020-01-02T12:00:00.000",
         "Score": "1", "Body": "<p>an answer</p>", "OwnerUserId": "8"},
    ]), encoding="utf-8")
    (folder / "Users.xml").write_text(rows("users", [
        {"Id": "7", "Reputation": "1", "CreationDate": "2020-01-01T00:00:00.000", "DisplayName": NAME},
        {"Id": "8", "Reputation": "1", "CreationDate": "2020-01-01T00:00:00.000", "DisplayName": "Bob"},
    ]), encoding="utf-8")
    (folder / "Comments.xml").write_text(rows("comments", [
        {"Id": "1", "PostId": "1", "Score": "0", "Text": COMMENT, "CreationDate": "2020-01-02T13:00:00.000",
         "UserId": "8"}]), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def xss_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("xss")
    store = base / "xss.duckdb"
    with Workspace(store) as ws:
        ws.ingest(write_dump(base / "evil.stackexchange.com"))
    return store


def assert_inert(html: str) -> None:
    """No payload survives as markup; the title is there as escaped text."""
    for live in ("<script>window.__xss", "<img src=x", 'href="javascript:', "onerror=\"window",
                 "mallory@example.com"):
        assert live not in html, live
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    # every <script> element is one of ours: the specs JSON, the Vega bundle or the embed code
    assert not re.search(r"<script>\s*window\.__xss", html)


def test_report_renders_payloads_as_text(xss_store: Path) -> None:
    with Workspace(xss_store, read_only=True) as ws:
        html = build_report(ws, ReportOptions(show_names=True, static_svg=False))
    assert_inert(html)
    assert "see this link" in html  # the body is shown as its text, the link is not a link


def test_dashboard_renders_payloads_as_text(xss_store: Path) -> None:
    client = TestClient(create_app(xss_store, show_names=True), base_url=LOCAL)
    drill = client.get("/drill")
    assert drill.status_code == 200
    assert_inert(drill.text)
    assert "&#34;&gt;&lt;img src=x onerror=window.__xss=6&gt;Mallory" in drill.text  # the name, as text
    for url in ("/", "/brief"):
        page = client.get(url)
        assert page.status_code == 200
        for live in ("<script>window.__xss", "<img src=x", 'href="javascript:'):
            assert live not in page.text
