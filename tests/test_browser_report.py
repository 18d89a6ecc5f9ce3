"""The report and the dashboard in a real headless Chromium (Debian's, driven by Playwright).

The report opens from file:// with no console error and no request beyond its own file; every
chart draws marks; the dashboard's filters change its figures; brief marks survive a reload; the
XSS payloads stay inert. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.test_report_xss import write_dump

from communitas.report import ReportOptions, write_report
from communitas.store import Workspace
from communitas.web import create_app
from communitas.web.brief_state import state_path

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
TASTE = "stackexchange:beer.stackexchange.com:tag:taste"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Chromium is missing: install it with `apt-get install -y chromium` (see .ci/run).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Recorder:
    """A page with its request log and console errors."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))


def _chart_marks(page: Any) -> dict[str, int]:
    return dict(page.eval_on_selector_all(
        "figure.chart", "els => els.map(e => [e.dataset.chart, "
        "e.querySelectorAll('.chart-live svg g[class*=mark-] > *').length])"))


@pytest.fixture(scope="module")
def beer_report(beer_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "beer.html"
    with Workspace(beer_store, read_only=True) as ws:
        write_report(ws, out)
    return out


def test_report_opens_offline_and_every_chart_draws(browser: Any, beer_report: Path) -> None:
    rec = Recorder(browser)
    rec.page.goto(beer_report.as_uri())
    rec.page.wait_for_selector("body[data-charts-ready]", timeout=30_000)
    assert rec.requests == [beer_report.as_uri()]
    assert rec.errors == []
    marks = _chart_marks(rec.page)
    assert len(marks) >= 10 and all(n > 0 for n in marks.values()), marks
    ARTIFACTS.mkdir(exist_ok=True)
    rec.page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    rec.page.emulate_media(media="print")
    static = rec.page.eval_on_selector_all(
        ".chart-static svg", "els => els.filter(e => e.getBoundingClientRect().width > 0).length")
    assert static == len(marks)  # in print, the static SVG twins show instead


@pytest.fixture(scope="module")
def server(beer_store: Path) -> Iterator[str]:
    with serving(beer_store) as url:
        yield url


@contextmanager
def serving(store: Path, **kw: Any) -> Iterator[str]:
    """``communitas serve`` in a thread on a free loopback port; yields its base URL."""
    import uvicorn

    srv = uvicorn.Server(uvicorn.Config(create_app(store, **kw), host="127.0.0.1", port=0, log_level="error"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    port = srv.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def _figure(page: Any) -> str:
    return str(page.inner_text("section#glance table.glance tbody tr:first-child td:nth-child(2)"))


def test_dashboard_filters_change_the_figures(browser: Any, server: str) -> None:
    rec = Recorder(browser)
    rec.page.goto(server + "/")
    rec.page.wait_for_selector("body[data-charts-ready]", timeout=30_000)
    before = _figure(rec.page)
    assert all(n > 0 for n in _chart_marks(rec.page).values())
    ARTIFACTS.mkdir(exist_ok=True)
    rec.page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    rec.page.select_option("#f-place", TASTE)
    with rec.page.expect_navigation(wait_until="load"):  # a form submit: wait for the new page
        rec.page.click("#f-apply")
    rec.page.wait_for_selector("body[data-charts-ready]", timeout=30_000)
    after = _figure(rec.page)
    assert before.startswith("1,352 active members") and after.startswith("305 active members")
    assert rec.errors == []
    assert all(u.startswith(server) for u in rec.requests), rec.requests


def test_brief_done_and_dismiss_persist_across_reload(browser: Any, server: str, beer_store: Path) -> None:
    state_path(beer_store).unlink(missing_ok=True)
    rec = Recorder(browser)
    rec.page.goto(server + "/brief")
    items = rec.page.eval_on_selector_all("li[data-item]", "els => els.map(e => e.dataset.item)")
    assert len(items) >= 3
    # Each button posts a form and is answered by a redirect to /brief: wait for the page that
    # redirect loads before the next click, or the reload can race the navigation.
    for item, button in ((items[0], "done"), (items[1], "dismiss")):
        with rec.page.expect_navigation(wait_until="load"):
            rec.page.click(f'li[data-item="{item}"] .{button}-btn')
    rec.page.reload()
    assert rec.page.get_attribute(f'li[data-item="{items[0]}"]', "class") == "done"
    assert rec.page.get_attribute(f'li[data-item="{items[1]}"]', "class") == "dismissed"
    assert rec.page.get_attribute(f'li[data-item="{items[2]}"]', "class") == "open"
    state_path(beer_store).unlink()


def test_xss_payloads_stay_inert(browser: Any, tmp_path: Path) -> None:
    store = tmp_path / "xss.duckdb"
    with Workspace(store) as ws:
        ws.ingest(write_dump(tmp_path / "evil.stackexchange.com"))
        out = write_report(ws, tmp_path / "xss.html", ReportOptions(show_names=True))
    rec = Recorder(browser)
    rec.page.goto(out.as_uri())
    rec.page.wait_for_selector("body[data-charts-ready]", timeout=30_000)
    _assert_inert(rec.page)
    assert "<script>window.__xss=1</script>" in rec.page.inner_text("section#place")
    with serving(store, show_names=True) as url:
        rec.page.goto(url + "/drill")
        _assert_inert(rec.page)
        assert "onerror=window.__xss=6>Mallory" in rec.page.inner_text("table.members")


def _assert_inert(page: Any) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.eval_on_selector_all("img", "els => els.length") == 0
    assert page.eval_on_selector_all("a[href^='javascript']", "els => els.length") == 0
    assert page.eval_on_selector_all("[onerror]", "els => els.length") == 0
