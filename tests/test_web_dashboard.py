"""The local dashboard over the beer site: filters change the figures (checked against the raw
dump), drill-down, brief marks that persist, the token, read-only data, JS from the package."""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import LOCAL, data_path

from communitas.web import create_app
from communitas.web.brief_state import state_path

TASTE = "stackexchange:beer.stackexchange.com:tag:taste"  # the beer_store fixture's name


@pytest.fixture(scope="module")
def client(beer_store: Path) -> TestClient:
    return TestClient(create_app(beer_store), base_url=LOCAL)


def _raw_authors(tag: str | None) -> int:
    """Distinct contributors (not the Community user) of threads carrying ``tag`` (or all)."""
    folder = data_path("stackexchange-beer")
    with gzip.open(folder / "Posts.xml.gz") as f:
        posts = [dict(r.attrib) for r in ET.parse(f).getroot()]
    with gzip.open(folder / "Comments.xml.gz") as f:
        comments = [dict(r.attrib) for r in ET.parse(f).getroot()]
    qs = {p["Id"] for p in posts
          if p["PostTypeId"] == "1" and (tag is None or f"<{tag}>" in p.get("Tags", ""))}
    ids = {p["Id"] for p in posts if p["Id"] in qs or p.get("ParentId") in qs}
    authors = {p.get("OwnerUserId") for p in posts if p["Id"] in ids}
    authors |= {c.get("UserId") for c in comments if c["PostId"] in ids}
    return len(authors - {None, "-1"})


def _active_figure(html: str) -> int:
    found = re.search(r"<td>([\d,]+) active members", html)
    assert found is not None
    return int(found.group(1).replace(",", ""))


def test_place_filter_changes_the_figures(client: TestClient) -> None:
    whole, taste = client.get("/"), client.get("/", params={"place": TASTE})
    assert whole.status_code == taste.status_code == 200
    assert _active_figure(whole.text) == _raw_authors(None)
    assert _active_figure(taste.text) == _raw_authors("taste")
    assert f'<option value="{TASTE}" selected>taste</option>' in taste.text


def test_period_filter_and_bad_values(client: TestClient) -> None:
    quarter = client.get("/", params={"period": "quarter"})
    assert "Active members and newcomers per quarter" in quarter.text
    starts = re.findall(r"<tr><td>(\d{4})-(\d\d)-(\d\d)</td>", quarter.text)
    assert len(starts) == 24 and {(m, d) for _, m, d in starts} <= {("01", "01"), ("04", "01"), ("07", "01"),
                                                                    ("10", "01")}
    bad = client.get("/", params={"period": "fortnight"})
    assert bad.status_code == 400 and "fortnight" in bad.text


def test_drill_from_a_figure_to_threads_and_pseudonymised_members(client: TestClient) -> None:
    page = client.get("/", params={"period": "month"})
    links = re.findall(r'<a class="drill-link" href="([^"]+)">([\d,]+)</a>', page.text)
    assert links
    href, shown = links[-1]  # the oldest month on the page
    drill = client.get(href.replace("&amp;", "&"))
    assert drill.status_code == 200
    members = re.findall(r'<td class="member">([^<]+)</td>', drill.text)
    assert 0 < len(members) <= min(30, int(shown.replace(",", "")))
    assert all(re.fullmatch(r"[a-z]+ [a-z]+ [0-9a-f]{4}", m) for m in members)


def _form_token(page: str) -> str:
    found = re.search(r'name="form_token" value="([0-9a-f]{64})"', page)
    assert found is not None
    return found.group(1)


def test_brief_marks_persist_across_restarts(beer_store: Path, client: TestClient) -> None:
    state_path(beer_store).unlink(missing_ok=True)
    page = client.get("/brief").text
    ids = re.findall(r'name="item_id" value="([^"]+)"', page)
    token = _form_token(page)
    assert len(ids) >= 2
    assert client.post("/brief/mark", data={"form_token": token, "item_id": ids[0], "state": "done"}
                       ).status_code == 200
    client.post("/brief/mark", data={"form_token": token, "item_id": ids[1], "state": "dismissed"})
    fresh = TestClient(create_app(beer_store), base_url=LOCAL).get("/brief").text
    assert re.search(rf'<li class="done" data-item="{re.escape(ids[0])}"', fresh)
    assert re.search(rf'<li class="dismissed" data-item="{re.escape(ids[1])}"', fresh)
    client.post("/brief/mark", data={"form_token": token, "item_id": ids[0], "state": "open"})
    assert re.search(rf'<li class="open" data-item="{re.escape(ids[0])}"', client.get("/brief").text)
    state_path(beer_store).unlink()


def test_token_required_beyond_loopback(beer_store: Path) -> None:
    guarded = TestClient(create_app(beer_store, token="s3cret"), base_url=LOCAL)
    assert guarded.get("/brief").status_code == 401
    assert guarded.get("/brief", params={"token": "wrong"}).status_code == 401
    assert guarded.get("/brief", params={"token": "s3cret"}).status_code == 200
    assert guarded.get("/brief").status_code == 200  # the cookie set by the first visit


def test_javascript_comes_from_the_installed_package(client: TestClient) -> None:
    import vl_convert

    js = client.get("/static/vega.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert js.text == vl_convert.javascript_bundle()
    page = client.get("/").text
    assert re.findall(r'<script[^>]*src="([^"]+)"', page) == ["/static/vega.js"]


def test_chat_sample_without_titles(tmp_path: Path) -> None:
    """A chat sample (Slack): every page renders, with its threads and brief items."""
    store = tmp_path / "slack.duckdb"
    from communitas.store import Workspace

    with Workspace(store) as ws:
        ws.ingest(data_path("slack-houstondatavis"))
    chat = TestClient(create_app(store), base_url=LOCAL)
    pages = {url: chat.get(url) for url in ("/", "/drill", "/brief", "/compare")}
    assert {url: r.status_code for url, r in pages.items()} == dict.fromkeys(pages, 200)
    assert pages["/drill"].text.count('<div class="thread-title">') == 30
    assert 0 < pages["/brief"].text.count("data-item=") <= 15
