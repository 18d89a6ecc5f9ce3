"""The FastAPI application behind ``communitas serve``.

Read-only for the data: every request opens the store read-only; the only writes are brief marks in
a side file (:mod:`communitas.web.brief_state`). JavaScript (Vega, Vega-Lite, vega-embed) is served
from the installed ``vl-convert-python`` package at ``/static/vega.js``; no CDN, no copy in the
repository. With a token (non-loopback hosts) every request must carry ``?token=`` once (a cookie
is then set) or the cookie.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from communitas.errors import StoreLocked, UsageError
from communitas.metrics.periods import PERIODS
from communitas.metrics.scope import Scope
from communitas.metrics.units import format_figure
from communitas.report.build import embed_script, json_for_script, render_sections, vega_bundle
from communitas.report.context import Pseudonyms, ReportContext, scrub, snippet, store_salt
from communitas.report.drill import members_behind, threads_behind
from communitas.report.sections import registered_sections
from communitas.store import Workspace
from communitas.web import brief_state, guards
from communitas.web.brief import brief_items

DASHBOARD_SECTIONS = ("glance", "people", "interaction", "place")
COOKIE = "communitas_token"
BUSY_RETRY_S = 5
BRIEF_ITEMS = 15  # open items on the Brief page


def _env() -> Environment:
    env = Environment(loader=ChoiceLoader([PackageLoader("communitas.web", "templates"),
                                           PackageLoader("communitas.report", "templates")]),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["json_script"] = json_for_script
    env.filters["fig"] = lambda value, name: format_figure(name, value)  # every figure in its unit
    return env


class Dashboard:
    """The store path, the lock serialising store access, the templates."""

    def __init__(self, store: Path, show_names: bool = False) -> None:
        self.store = Path(store)
        self.show_names = show_names
        self.lock = threading.Lock()
        self.env = _env()
        self.form_token = guards.form_token(secrets.token_bytes(32))
        self.embed_js = embed_script()
        with self.open() as ws:  # fail at start-up, not on the first request
            self.salt = store_salt(ws)

    @contextmanager
    def open(self) -> Iterator[Workspace]:
        with self.lock, Workspace(self.store, read_only=True) as ws:
            yield ws

    def page(self, name: str, *, status_code: int = 200, headers: dict[str, str] | None = None,
             **kw: Any) -> HTMLResponse:
        return HTMLResponse(self.env.get_template(name).render(
            form_token=self.form_token, embed_js=Markup(self.embed_js), **kw),
            status_code=status_code, headers=headers)

    def pseudonyms(self) -> Pseudonyms:
        return Pseudonyms(self.salt, show_names=self.show_names)


def filters(ws: Workspace, source: str | None, period: str, place: str | None) -> dict[str, Any]:
    """The filter form's choices and current values (unknown values are user errors)."""
    if period not in PERIODS:
        raise UsageError(f"period {period!r}: use one of {', '.join(PERIODS)}.")
    sources = [str(s) for s in ws.sources()["source_id"]]
    if source and source not in sources:
        raise UsageError(f"source {source!r} is not in the store; see `communitas sources`.")
    places = ws.con.execute(
        "SELECT p.place_id, p.name, count(*) AS n FROM thread_places tp JOIN places p USING (place_id)"
        " WHERE ? IS NULL OR p.source_id = ? GROUP BY ALL ORDER BY n DESC, p.place_id LIMIT 50",
        [source, source]).fetchall()
    return {"sources": sources, "source": source, "periods": PERIODS, "period": period,
            "places": [{"id": r[0], "name": scrub(r[1])} for r in places], "place": place}


def create_app(store: str | Path, *, token: str | None = None, show_names: bool = False,
               host: str = "127.0.0.1") -> FastAPI:
    """The dashboard app over ``store`` (opened read-only per request), answering only requests
    addressed to loopback or ``host`` (:mod:`communitas.web.guards`)."""
    dash = Dashboard(Path(store), show_names)
    app = FastAPI(title="communitas", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.dashboard = dash
    if token:
        _require_token(app, token)
    guards.install(app, hosts=guards.allowed_hosts(host), csp=guards.dashboard_csp([dash.embed_js]))

    @app.exception_handler(UsageError)
    async def usage_error(request: Request, exc: UsageError) -> Response:
        return PlainTextResponse(str(exc), status_code=400)

    @app.exception_handler(StoreLocked)
    async def busy(request: Request, exc: StoreLocked) -> Response:
        return dash.page("busy.html.j2", f=None, retry=BUSY_RETRY_S, status_code=503,
                         headers={"Retry-After": str(BUSY_RETRY_S)})

    @app.get("/static/vega.js")
    def vega_js() -> Response:
        return Response(vega_bundle(), media_type="text/javascript",
                        headers={"Cache-Control": "max-age=3600"})

    @app.get("/", response_class=HTMLResponse)
    def index(source: str | None = None, period: str = "month", place: str | None = None) -> Response:
        source, place = source or None, place or None
        with dash.open() as ws:
            f = filters(ws, source, period, place)
            ctx = ReportContext(ws, source_id=source, period=period, place=place,
                                pseudonyms=dash.pseudonyms())
            chosen = [s for s in registered_sections() if s.key in DASHBOARD_SECTIONS]
            sections, specs = render_sections(ctx, chosen, static_svg=False)
            active = ctx.profile.get("active_members", [])[-24:]
        return dash.page("dashboard.html.j2", f=f, sections=sections, specs=specs, active=active[::-1])

    @app.get("/compare", response_class=HTMLResponse)
    def compare() -> Response:
        from communitas.report.compare import MONTHS, compare_store, table_rows

        with dash.open() as ws:
            communities = compare_store(ws)
        ids = [c["source_id"] for c in communities]
        return dash.page("compare.html.j2", f=None, months=MONTHS, ids=ids, communities=communities,
                         rows=table_rows(communities))

    _drill_routes(app, dash)
    _brief_routes(app, dash)
    return app


def _drill_routes(app: FastAPI, dash: Dashboard) -> None:
    @app.get("/drill", response_class=HTMLResponse)
    def drill(source: str | None = None, period: str = "month", place: str | None = None,
              start: str | None = None) -> Response:
        source, place = source or None, place or None
        try:
            when = datetime.fromisoformat(start) if start else None
        except ValueError:
            raise UsageError(f"start {start!r}: use a date like 2019-03-01.") from None
        scope = Scope(place=place, source_id=source)
        with dash.open() as ws:
            f = filters(ws, source, period, place)
            threads = threads_behind(ws.ibis(), scope, start=when, period=period, limit=30)
            members = members_behind(ws.ibis(), scope, start=when, period=period, limit=30)
        ps = dash.pseudonyms()
        rows = [{**t, "title": scrub(t["title"]) or "(untitled)", "snippet": snippet(t["body"])}
                for t in threads]
        people = [{**m, "name": ps.name(m["member_id"], m["display_name"])} for m in members]
        return dash.page("drill.html.j2", f=f, start=start, threads=rows, members=people)


def _brief_routes(app: FastAPI, dash: Dashboard) -> None:
    @app.get("/brief", response_class=HTMLResponse)
    def brief(source: str | None = None) -> Response:
        source = source or None
        marks = brief_state.load(dash.store)
        with dash.open() as ws:
            f = filters(ws, source, "month", None)
            items = brief_items(ws, source_id=source, limit=BRIEF_ITEMS + len(marks))
        for item in items:
            item["state"], item["reopened"] = brief_state.state_of(item, marks)
            item["situation_json"] = json.dumps(item.get("situation", {}), sort_keys=True, default=str)
        todo = [i for i in items if i["state"] == "open"][:BRIEF_ITEMS]
        gone = [i for i in items if i["state"] != "open"]
        return dash.page("brief.html.j2", f=f, items=todo, gone=gone)

    @app.post("/brief/mark")
    async def mark(request: Request) -> Response:
        body = await guards.read_small_body(request)
        if body is None:
            return PlainTextResponse(f"request body over {guards.MAX_BODY} bytes.", status_code=413)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if not secrets.compare_digest(form.get("form_token", "").encode(), dash.form_token.encode()):
            return PlainTextResponse("refused: reload the brief page and try again (form token).",
                                     status_code=403)
        item_id, state, source = form.get("item_id", ""), form.get("state", ""), form.get("source", "")
        if not item_id:
            raise UsageError("brief mark: item_id is missing.")
        brief_state.mark(dash.store, item_id, state, _situation(form.get("situation", "")))
        target = "/brief" + (f"?{urlencode({'source': source})}" if source else "")
        return RedirectResponse(target, status_code=303)


def _situation(raw: str) -> dict[str, Any] | None:
    """The situation a mark form carries (JSON of the item's selecting figures), or None."""
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _require_token(app: FastAPI, token: str) -> None:
    @app.middleware("http")
    async def check(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        given = request.query_params.get("token") or request.cookies.get(COOKIE) or ""
        if not secrets.compare_digest(given.encode(), token.encode()):
            return PlainTextResponse("token required: open the URL printed by `communitas serve`.",
                                     status_code=401)
        response = await call_next(request)
        if request.query_params.get("token"):
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return response
