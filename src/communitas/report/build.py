"""Assemble the report: run every registered section, render templates, inline the charts.

The result is one HTML file that makes no request to any host when opened: the Vega, Vega-Lite
and vega-embed code comes once, inline, from ``vl_convert.javascript_bundle()``; chart specs are
embedded as JSON (escaped so member text cannot close the ``<script>``); every chart is also
inlined as static SVG for print.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from communitas.errors import CommunitasError
from communitas.metrics.scope import place_ids
from communitas.report.charts import Chart, to_svg
from communitas.report.context import Pseudonyms, ReportContext, store_salt
from communitas.report.sections import Section, SectionEmpty, SectionHidden, registered_sections
from communitas.staging import release_memory
from communitas.store import Workspace

log = logging.getLogger(__name__)


@dataclass
class ReportOptions:
    """What to report on and how."""

    source_id: str | None = None
    period: str = "month"
    include_bots: bool = False
    since: str | None = None  # the window, as ``communitas.metrics.scope.Scope`` reads it
    until: str | None = None
    place: str | None = None
    show_names: bool = False
    static_svg: bool = True
    skip: tuple[str, ...] = ()
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class RenderedSection:
    key: str
    title: str
    html: Markup | None
    note: str | None = None


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment (autoescaping on for every template)."""
    env = Environment(loader=PackageLoader("communitas.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["json_script"] = json_for_script
    return env


def json_for_script(data: Any) -> Markup:
    """JSON safe to place inside ``<script>``: ``<``, ``>`` and ``&`` are \\u-escaped.

    >>> str(json_for_script({"t": "</script><b>"}))
    '{"t": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = json.dumps(data, ensure_ascii=False, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega + Vega-Lite + vega-embed, one classic script, from the installed vl-convert."""
    import vl_convert as vlc

    bundle = str(vlc.javascript_bundle())  # type: ignore[call-arg]
    return bundle.replace("</script", "<\\/script")


def embed_script() -> str:
    """The inline script that draws every chart (``embed.js.j2``), exactly as placed in the page."""
    return environment().get_template("embed.js.j2").render()


def report_csp(inline_scripts: list[str]) -> str:
    """The report's policy: nothing loaded from anywhere, and only these exact inline scripts run
    (by SHA-256; no ``unsafe-inline``, no ``unsafe-eval``: charts parse their expressions with
    Vega's interpreter, ``ast: true``)."""
    from communitas.web.guards import script_hash

    hashes = " ".join(script_hash(s) for s in inline_scripts)
    return (f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; "
            "font-src data:; base-uri 'none'; form-action 'none'")


def run_section(sec: Section, ctx: ReportContext) -> tuple[dict[str, Any] | None, str | None]:
    """The section's data, or ``None`` and the note saying why it is left out."""
    try:
        data = sec.build(ctx)
        release_memory()  # what the section freed goes back before the next one takes its share
    except ImportError as e:
        return None, f"left out: needs {e.name or e}, which this build does not have yet."
    except SectionHidden:
        return None, None
    except SectionEmpty as e:
        return None, f"left out: {e}."
    except CommunitasError as e:  # the layer's own user-facing reason (no data, no text, ...)
        return None, f"left out: {e}"
    except Exception as e:  # one broken layer must not cost the facilitator the whole report
        log.exception("report section %s failed", sec.key)
        return None, f"left out: this section failed ({type(e).__name__}: {e}); please report it."
    if not data:
        return None, "left out: no data for this selection."
    return data, None


def render_sections(ctx: ReportContext, sections: list[Section], *, static_svg: bool
                    ) -> tuple[list[RenderedSection], dict[str, Any]]:
    """Render every section; also return the chart specs by key (for the page's one JSON blob)."""
    env = environment()
    rendered, specs = [], {}
    for sec in sections:
        data, note = run_section(sec, ctx)
        hidden = sec.hidden_without_module and note and note.startswith("left out: needs")
        if data is None and (note is None or hidden):
            continue
        if data is None:
            rendered.append(RenderedSection(sec.key, sec.title, None, note))
            continue
        chart_list: list[Chart] = [c for c in data.get("charts", []) if c is not None]
        data["charts"] = chart_list
        svgs = {c.key: Markup(to_svg(c.spec)) if static_svg else None for c in chart_list}
        specs.update({c.key: {k: v for k, v in c.spec.items() if k != "$schema"} for c in chart_list})
        html = env.get_template(sec.template).render(section=sec, data=data, svgs=svgs, ctx=ctx)
        rendered.append(RenderedSection(sec.key, sec.title, Markup(html)))
    return rendered, specs


def build_report(ws: Workspace, options: ReportOptions | None = None,
                 sections: list[Section] | None = None, shown: dict[str, str | None] | None = None) -> str:
    """The whole report as one HTML string. ``shown``, when given, receives each section on the
    page by key: None when it has content, else the note saying why it was left out."""
    opts = options or ReportOptions()
    if opts.place is not None:  # an unknown place is the caller's mistake, not every section's note
        place_ids(ws.ibis(), opts.place, opts.source_id)
    ctx = ReportContext(ws, source_id=opts.source_id, period=opts.period,
                        include_bots=opts.include_bots, place=opts.place, since=opts.since,
                        until=opts.until,
                        pseudonyms=Pseudonyms(store_salt(ws), show_names=opts.show_names),
                        extras=opts.extras)
    chosen = [s for s in sections or registered_sections() if s.key not in opts.skip]
    rendered, specs = render_sections(ctx, chosen, static_svg=opts.static_svg)
    if shown is not None:
        shown.update({r.key: r.note if r.html is None else None for r in rendered})
    page = environment().get_template("report.html.j2")
    bundle, embed_js = vega_bundle(), embed_script()
    return page.render(sections=rendered, specs=specs, bundle=Markup(bundle), embed_js=Markup(embed_js),
                       csp=report_csp([bundle, embed_js]),
                       generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                       source=opts.source_id, names=opts.show_names, scope=scope_words(opts))


def scope_words(opts: ReportOptions) -> str:
    """The report's window and place in words (empty for the whole history of every place).

    >>> scope_words(ReportOptions(since="2020-01-01", place="hops"))
    'contributions from 2020-01-01, in place hops'
    """
    parts = []
    if opts.since or opts.until:
        parts.append("contributions" + (f" from {opts.since}" if opts.since else "")
                     + (f" before {opts.until}" if opts.until else ""))
    if opts.place:
        parts.append(f"in place {opts.place}")
    return ", ".join(parts)


def write_report(ws: Workspace, path: str | Path, options: ReportOptions | None = None,
                 shown: dict[str, str | None] | None = None) -> Path:
    """Write the report to ``path`` (UTF-8) and return the path (``shown``: see :func:`build_report`)."""
    out = Path(path)
    out.write_text(build_report(ws, options, shown=shown), encoding="utf-8")
    return out
