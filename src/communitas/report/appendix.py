"""The "how these numbers are computed" appendix, generated from ``docs/metrics.md``.

``docs/`` is not part of the wheel, so the build copies ``docs/metrics.md`` into the package as
``communitas/report/metrics.md`` (see ``setup.py``); in a source checkout (editable install) the
file is read from ``docs/`` directly. Either way it is read through :mod:`importlib.resources`
first, so an installed package needs nothing outside itself.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from markdown_it import MarkdownIt

_CHECKOUT_DOC = Path(__file__).resolve().parents[3] / "docs" / "metrics.md"


def metrics_markdown() -> str | None:
    """The text of ``metrics.md``: packaged copy first, then the source checkout's docs/."""
    packaged = resources.files("communitas.report").joinpath("metrics.md")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    if _CHECKOUT_DOC.is_file():
        return _CHECKOUT_DOC.read_text(encoding="utf-8")
    return None


def render_markdown(text: str) -> str:
    """Markdown to HTML with raw HTML disabled (it is shown as text), headings given ids."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    out = md.render(text)
    return re.sub(r"<h3>([^<]+)</h3>", lambda m: f'<h3 id="metric-{_slug(m.group(1))}">{m.group(1)}</h3>',
                  out)


def metric_names(text: str) -> list[str]:
    """The metric names: every ``### <metric_name>`` heading, in order.

    >>> metric_names("# M\\n### active_members\\ntext\\n### gini\\n")
    ['active_members', 'gini']
    """
    return [m.strip() for m in re.findall(r"^###\s+(.+)$", text, flags=re.MULTILINE)]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")
