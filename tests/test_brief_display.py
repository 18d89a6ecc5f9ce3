"""The brief as the report and the dashboard show it: each item's kind and track record (set by hand
here, as the backtest will fill it), escaped; done/dismissed marks that hold until the item's
situation changes (``docs/brief.md`` *Track record*, *Done and dismissed*)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.brief_corpus import U, build
from tests.conftest import LOCAL

from communitas import brief
from communitas.brief.track import KEYS, track_record
from communitas.report import ReportOptions, write_report
from communitas.report.sections import registered_sections
from communitas.store import Workspace
from communitas.web import brief_state, create_app

BEATS = {"measure": "precision@10", "outcome": "returned within 90 days", "value": 0.4,
         "baseline": "oldest waiting first", "baseline_value": 0.2, "lift": 2.0, "ci": [1.1, 3.0],
         "dates": 24, "beats_baseline": True, "sentence": "4 in 10 welcomed newcomers came back.",
         "run_at": "2026-12-03T10:00:00+00:00"}
LOSES = {**BEATS, "value": 0.1, "baseline_value": 0.3, "lift": 0.33, "ci": None, "beats_baseline": False,
         "sentence": "<b>1 in 10</b> regulars stayed away."}
EVIL = '<img src=x onerror="window.__xss=1">'


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("display") / "display.duckdb"
    with Workspace(path) as ws:
        build(ws)
    return path


@pytest.fixture(scope="module")
def real(store: Path) -> list[dict[str, Any]]:
    with Workspace(store, read_only=True) as ws:
        return brief.items(ws, limit=8)


def by_hand(real: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The real items, with track records set by hand and member text made hostile."""
    items = copy.deepcopy(real)
    records = {"welcome": BEATS, "checkin": LOSES}
    for i in items:
        i["track_record"] = records.get(i["kind"])
    items[0]["title"] = EVIL + items[0]["title"]
    return items


def test_keys_are_the_backtests_contract() -> None:
    assert set(KEYS) == set(BEATS) == set(LOSES)


def test_track_record_in_words() -> None:
    assert track_record("welcome", None)["status"] == "not-run"
    assert "no backtest run yet" in track_record("checkin", None)["text"]
    present = track_record("nugget", None)
    for k in ("dependency", "place", "nugget"):
        assert track_record(k, None) == {"status": "not-predictive", "text": present["text"]}
    assert "describes the present" in track_record("nugget", None)["text"]
    good = track_record("welcome", BEATS)
    assert good["status"] == "beats"
    assert good["text"] == ("Track record: 4 in 10 welcomed newcomers came back. This kind beats its "
                            "baseline here (precision@10 0.40 against 0.20 for the baseline "
                            "(oldest waiting first), lift 2.00× (95% CI 1.10–3.00), over 24 past dates; "
                            "outcome: returned within 90 days; run 2026-12-03).")
    bad = track_record("checkin", LOSES)
    assert bad["status"] == "loses" and "does NOT beat its baseline" in bad["text"]
    assert "lift 0.33×," in bad["text"]  # no interval when the backtest gave none
    assert track_record("welcome", {**BEATS, "beats_baseline": None, "value": None})["status"] == "undecided"


def test_report_brief_section_shows_kinds_and_track_records_escaped(
        store: Path, real: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(brief, "items", lambda *a, **k: by_hand(real))
    others = tuple(k for k in registered_sections() if k != "brief")
    with Workspace(store, read_only=True) as ws:
        html = write_report(ws, tmp_path / "r.html", ReportOptions(skip=others)).read_text(encoding="utf-8")
    section = html[html.index('<ul class="brief">'):]
    section = section[:section.index("</ul>")]
    assert EVIL not in html and "&lt;img src=x onerror=" in section
    lis = re.findall(r'<li data-kind="([a-z]+)" data-track="([a-z-]+)">', section)
    kinds = {i["kind"] for i in real}
    expected = {"welcome": "beats", "checkin": "loses"}
    assert lis == [(i["kind"], expected.get(i["kind"], "not-run" if i["kind"] in
                    ("unanswered", "introduce", "spotlight") else "not-predictive")) for i in real]
    assert {"welcome", "checkin", "dependency"} <= kinds
    assert "Check in with a regular" in section and "&lt;b&gt;1 in 10&lt;/b&gt;" in section
    assert "4 in 10 welcomed newcomers came back." in section


@pytest.fixture
def client(store: Path, real: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[tuple[TestClient, list[dict[str, Any]], Path]]:
    shown = by_hand(real)
    monkeypatch.setattr(brief, "items", lambda *a, **k: copy.deepcopy(shown))
    brief_state.state_path(store).unlink(missing_ok=True)
    yield TestClient(create_app(store), base_url=LOCAL), shown, store
    brief_state.state_path(store).unlink(missing_ok=True)


def _mark(c: TestClient, page: str, item_id: str, state: str) -> None:
    token = re.search(r'name="form_token" value="([0-9a-f]{64})"', page)
    li = page[page.index(f'data-item="{item_id}"'):]
    situation = re.search(r'name="situation" value="([^"]*)"', li)
    assert token and situation
    import html

    data = {"form_token": token.group(1), "item_id": item_id, "state": state,
            "situation": html.unescape(situation.group(1))}
    assert c.post("/brief/mark", data=data).status_code == 200


Client = tuple[TestClient, list[dict[str, Any]], Path]


def test_dashboard_brief_shows_kinds_and_track_records(client: Client) -> None:
    c, shown, _ = client
    page = c.get("/brief").text
    assert EVIL not in page and "&lt;img src=x onerror=" in page
    welcome = rf'data-item="welcome:{re.escape(U)}n1[^"]*" data-kind="welcome" data-track="beats"'
    assert re.search(welcome, page)
    assert re.search(r'data-kind="checkin" data-track="loses"', page)
    assert re.search(r'data-kind="dependency" data-track="not-predictive"', page)
    assert '<span class="kind">Check in with a regular</span>' in page
    assert page.count("Track record:") == len(shown)


def test_dismissed_items_stay_gone_until_their_situation_changes(
        client: Client) -> None:
    c, shown, store = client
    checkin = next(i for i in shown if i["kind"] == "checkin")
    dep = next(i for i in shown if i["id"] == f"dependency:{U}h")
    page = c.get("/brief").text
    _mark(c, page, checkin["id"], "dismissed")
    _mark(c, page, dep["id"], "done")
    saved = brief_state.load(store)
    assert saved[checkin["id"]]["situation"] == {"last_at": "2023-12-31 12:00:00+00:00"}
    assert saved[dep["id"]]["situation"] == {"top_share": pytest.approx(66 / 109, abs=1e-4)}
    page = c.get("/brief").text
    todo, gone = page.split('id="brief-gone"') if 'id="brief-gone"' in page else (page, "")
    assert checkin["id"] not in todo and dep["id"] not in todo
    assert f'<li class="dismissed" data-item="{checkin["id"]}"' in gone
    # The dependency's share moves from 0.6055 to 0.50 (by 17%, less than a quarter): still done.
    # q posts again and falls quiet anew (a new last contribution): the check-in comes back.
    dep["figures"]["top_share"] = 0.5
    checkin["figures"]["last_at"] = "2024-06-01 09:00:00+00:00"
    page = c.get("/brief").text
    todo, gone = page.split('id="brief-gone"')
    assert f'<li class="open" data-item="{checkin["id"]}"' in todo and "its situation changed" in todo
    assert f'<li class="done" data-item="{dep["id"]}"' in gone
    dep["figures"]["top_share"] = 0.45  # by 26% of the larger value: back
    assert f'<li class="open" data-item="{dep["id"]}"' in c.get("/brief").text


def test_changed_rule() -> None:
    assert not brief_state.changed(None, {"interest": 9})  # marks from before situations were kept
    assert not brief_state.changed({"interest": 4}, {"interest": 5})  # 1/5 = 20%
    assert brief_state.changed({"interest": 3}, {"interest": 4})  # 1/4 = 25%
    assert brief_state.changed({"shared_places": ["a", "b"]}, {"shared_places": ["a", "b", "c"]})
    assert not brief_state.changed({"share": 0.0}, {"share": 0.0})
    assert brief_state.changed({}, {"growth": 2.0})
    item = {"kind": "unanswered", "figures": {"age_hours": 3.0, "interest": 2, "responders": []}}
    assert brief_state.situation(item) == {"interest": 2}  # age grows every hour: not a situation
