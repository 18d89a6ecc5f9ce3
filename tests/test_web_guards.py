"""The dashboard under attack (web/guards.py): a rebound host name, cross-site writes, large bodies,
security headers, a store held by an ingest; and the report's CSP, which allows only its own two
inline scripts (by hash) and no eval."""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import LOCAL

from communitas.report import ReportOptions, build_report
from communitas.store import Workspace
from communitas.web import create_app
from communitas.web.brief_state import state_path
from communitas.web.guards import MAX_BODY


@pytest.fixture(scope="module")
def client(beer_store: Path) -> TestClient:
    return TestClient(create_app(beer_store), base_url=LOCAL)


def _brief_form(client: TestClient) -> dict[str, str]:
    page = client.get("/brief").text
    token = re.search(r'name="form_token" value="([0-9a-f]{64})"', page)
    item = re.search(r'name="item_id" value="([^"]+)"', page)
    assert token and item
    return {"form_token": token.group(1), "item_id": item.group(1), "state": "done"}


def test_unknown_host_names_are_refused(beer_store: Path) -> None:
    """DNS rebinding: a page on evil.example re-pointed at 127.0.0.1 sends Host: evil.example."""
    app = create_app(beer_store)
    rebound = TestClient(app, base_url="http://evil.example:8000")
    assert rebound.get("/").status_code == 421
    assert rebound.get("/static/vega.js").status_code == 421
    for host in ("http://localhost:8000", "http://127.0.0.1", "http://[::1]:8000"):
        assert TestClient(app, base_url=host).get("/brief").status_code == 200
    lan = create_app(beer_store, host="192.0.2.7", token="t")
    assert TestClient(lan, base_url="http://192.0.2.7:8000").get("/brief?token=t").status_code == 200
    assert TestClient(lan, base_url="http://evil.example").get("/brief?token=t").status_code == 421


def test_cross_site_writes_are_refused_and_write_nothing(beer_store: Path, client: TestClient) -> None:
    state_path(beer_store).unlink(missing_ok=True)
    form = _brief_form(client)
    attacks = [
        ({"origin": "http://evil.example"}, form),  # an auto-submitting form on another site
        ({"origin": "null"}, form),  # the same from a sandboxed frame
        ({"sec-fetch-site": "cross-site"}, form),  # a no-cors fetch
        ({"sec-fetch-site": "same-site"}, form),
        ({}, {k: v for k, v in form.items() if k != "form_token"}),  # no token: cannot know it
        ({}, {**form, "form_token": "0" * 64}),
    ]
    for headers, data in attacks:
        assert client.post("/brief/mark", data=data, headers=headers).status_code == 403, headers
    assert not state_path(beer_store).exists()
    ok = client.post("/brief/mark", data=form, headers={"origin": LOCAL, "sec-fetch-site": "same-origin"},
                     follow_redirects=False)
    assert ok.status_code == 303 and state_path(beer_store).exists()
    state_path(beer_store).unlink()


def test_large_bodies_are_refused(beer_store: Path, client: TestClient) -> None:
    state_path(beer_store).unlink(missing_ok=True)
    form = _brief_form(client)
    big = {**form, "item_id": "x" * (MAX_BODY + 1)}
    assert client.post("/brief/mark", data=big).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body is cut off while read
        yield f"form_token={form['form_token']}&state=done&item_id=".encode()
        for _ in range(64):
            yield b"y" * 1024

    assert client.post("/brief/mark", content=chunks(),
                       headers={"content-type": "application/x-www-form-urlencoded"}).status_code == 413
    assert not state_path(beer_store).exists()


def test_security_headers_on_every_response(client: TestClient) -> None:
    for url in ("/", "/brief", "/compare", "/static/vega.js", "/?period=fortnight"):
        r = client.get(url)
        csp = r.headers["content-security-policy"]
        assert "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp, url
        script_src = re.search(r"script-src ([^;]+)", csp)
        assert script_src and "unsafe-inline" not in script_src.group(1)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"


def _hashes(csp: str) -> set[str]:
    return set(re.findall(r"'sha256-([A-Za-z0-9+/=]+)'", csp))


def _inline_scripts(html: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", html, flags=re.S)


def test_dashboard_inline_script_is_the_one_its_csp_allows(client: TestClient) -> None:
    r = client.get("/")
    scripts = _inline_scripts(r.text)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert _hashes(r.headers["content-security-policy"]) == {digest}


def test_report_csp_allows_only_its_own_scripts(beer_store: Path) -> None:
    with Workspace(beer_store, read_only=True) as ws:
        html = build_report(ws, ReportOptions(skip=("network", "topics"), static_svg=False))
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert csp is not None
    policy = html_lib.unescape(csp.group(1))  # attribute-escaped in the page
    assert "unsafe-eval" not in policy and "unsafe-inline" not in re.search(r"script-src ([^;]+)",
                                                                             policy).group(1)  # type: ignore[union-attr]
    scripts = _inline_scripts(html)
    assert len(scripts) == 2  # the Vega bundle and the embedding code
    digests = {base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts}
    assert _hashes(policy) == digests


def test_a_store_held_by_an_ingest_gives_a_busy_page(beer_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "held.duckdb"
    store.write_bytes(beer_store.read_bytes())
    app = TestClient(create_app(store), base_url=LOCAL)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
        "time.sleep(60)"), str(store)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        r = app.get("/")
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert "The store is busy" in r.text and '<meta http-equiv="refresh" content="5">' in r.text
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 10
    while app.get("/brief").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert app.get("/brief").status_code == 200


def test_the_test_client_runs_on_httpx2() -> None:
    # Starlette's TestClient on plain httpx is deprecated (a warning in every run); with the httpx2
    # package installed (the dev extra), it uses that, as Starlette recommends.
    import starlette.testclient

    assert starlette.testclient.httpx.__name__ == "httpx2"
