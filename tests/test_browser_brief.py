"""The brief in a real headless Chromium: the report's brief section (first, with each item's kind
and track record, member text inert) and the dashboard's Brief page, where items are marked done
and dismissed by clicking, stay gone across reloads, and come back when their situation changes.

Track records are set by hand (as the backtest will fill them) on the hand corpus's real items.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from tests.brief_corpus import U
from tests.test_brief_display import EVIL, by_hand
from tests.test_brief_display import real as real  # module fixtures, used by name
from tests.test_brief_display import store as store
from tests.test_browser_report import ARTIFACTS, Recorder, _assert_inert, serving
from tests.test_browser_report import browser as browser

from communitas import brief
from communitas.report import ReportOptions, write_report
from communitas.report.sections import registered_sections
from communitas.store import Workspace
from communitas.web.brief_state import state_path

pytestmark = pytest.mark.browser


def test_report_opens_with_the_brief_and_its_track_records(
        browser: Any, store: Path, real: list[dict[str, Any]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(brief, "items", lambda *a, **k: by_hand(real))
    keep = ("brief", "glance")
    others = tuple(k for k in registered_sections() if k not in keep)
    with Workspace(store, read_only=True) as ws:
        out = write_report(ws, tmp_path / "brief.html", ReportOptions(skip=others))
    rec = Recorder(browser)
    rec.page.goto(out.as_uri())
    _assert_inert(rec.page)
    assert rec.requests == [out.as_uri()] and rec.errors == []
    first = rec.page.eval_on_selector("section.section", "e => e.id")
    assert first == "brief"
    lis = rec.page.eval_on_selector_all(
        "section#brief li", "els => els.map(e => [e.dataset.kind, e.dataset.track, "
        "e.querySelector('.track').innerText])")
    assert [k for k, _, _ in lis] == [i["kind"] for i in real]
    tracks = {k: (t, text) for k, t, text in lis}
    assert tracks["welcome"][0] == "beats" and "4 in 10 welcomed newcomers came back." in tracks["welcome"][1]
    assert tracks["checkin"][0] == "loses" and "<b>1 in 10</b> regulars" in tracks["checkin"][1]
    assert tracks["dependency"][0] == "not-predictive"
    assert EVIL in rec.page.inner_text("section#brief")  # shown as text, never run
    ARTIFACTS.mkdir(exist_ok=True)
    rec.page.screenshot(path=str(ARTIFACTS / "report-brief.png"), full_page=True)


def test_dashboard_brief_marks_by_click_until_the_situation_changes(
        browser: Any, store: Path, real: list[dict[str, Any]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    shown = by_hand(real)
    monkeypatch.setattr(brief, "items", lambda *a, **k: copy.deepcopy(shown))
    state_path(store).unlink(missing_ok=True)
    checkin, dep = f"checkin:{U}q", f"dependency:{U}h"
    with serving(store) as url:
        rec = Recorder(browser)
        rec.page.goto(url + "/brief")
        _assert_inert(rec.page)
        assert rec.page.get_attribute(f'li[data-item="{checkin}"]', "data-track") == "loses"
        for item, button in ((checkin, "dismiss"), (dep, "done")):
            with rec.page.expect_navigation(wait_until="load"):
                rec.page.click(f'ul.open-items li[data-item="{item}"] .{button}-btn')
        rec.page.reload()
        todo = rec.page.eval_on_selector_all("ul.open-items li[data-item]",
                                             "els => els.map(e => e.dataset.item)")
        gone = rec.page.eval_on_selector_all("ul.gone-items li[data-item]",
                                             "els => els.map(e => [e.dataset.item, e.className])")
        assert checkin not in todo and dep not in todo and len(todo) == len(shown) - 2
        assert sorted(gone) == sorted([[checkin, "dismissed"], [dep, "done"]])
        # q came back and went quiet again: a new last contribution, the check-in is back
        next(i for i in shown if i["id"] == checkin)["figures"]["last_at"] = "2024-06-01 09:00:00+00:00"
        rec.page.reload()
        assert rec.page.get_attribute(f'ul.open-items li[data-item="{checkin}"]', "class") == "open"
        assert "its situation changed" in rec.page.inner_text(f'ul.open-items li[data-item="{checkin}"]')
        assert rec.page.get_attribute(f'ul.gone-items li[data-item="{dep}"]', "class") == "done"
        assert rec.errors == [] and all(u.startswith(url) for u in rec.requests)
        rec.page.screenshot(path=str(ARTIFACTS / "dashboard-brief.png"), full_page=True)
    state_path(store).unlink(missing_ok=True)
