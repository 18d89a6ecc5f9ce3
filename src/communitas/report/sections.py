"""The section registry: the seam every report section (built-in or extension) plugs into.

A :class:`Section` pairs a build function with a template. The build function receives the
:class:`~communitas.report.context.ReportContext` and returns the template's data (a dict), or
``None`` when it has nothing to show. A section whose backing module is missing (``ImportError``)
or whose data is empty is omitted from the report with a one-line note, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from communitas.report.context import ReportContext

BuildFn = Callable[["ReportContext"], "dict[str, Any] | None"]
ENTRY_POINT_GROUP = "communitas.report_sections"


class SectionEmpty(Exception):
    """Raised by a build function to say "nothing to show"; the message says why."""


class SectionHidden(SectionEmpty):
    """Raised by a build function to leave its section out silently (no note)."""


@dataclass(frozen=True)
class Section:
    """One report section: ``build(ctx)`` gives the data ``template`` renders."""

    key: str
    title: str
    template: str
    build: BuildFn
    order: int = 100
    component: str | None = None
    hidden_without_module: bool = False


_REGISTRY: dict[str, Section] = {}
_loaded_extensions = False


def register_section(section: Section) -> Section:
    """Add (or replace, by key) a section. Built-in sections use this too."""
    _REGISTRY[section.key] = section
    return section


def section(key: str, title: str, *, order: int, component: str | None = None,
            hidden_without_module: bool = False) -> Callable[[BuildFn], BuildFn]:
    """Decorator form of :func:`register_section`; the template is ``sections/<key>.html.j2``."""

    def wrap(fn: BuildFn) -> BuildFn:
        register_section(Section(key, title, f"sections/{key}.html.j2", fn, order, component,
                                 hidden_without_module))
        return fn

    return wrap


def _load_extensions() -> None:
    global _loaded_extensions
    if _loaded_extensions:
        return
    _loaded_extensions = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        for sec in obj if isinstance(obj, list | tuple) else [obj]:
            register_section(sec)


def registered_sections() -> list[Section]:
    """Every registered section, in report order."""
    from communitas.report import builtin, components, extras  # noqa: F401  (register built-ins)

    _load_extensions()
    return sorted(_REGISTRY.values(), key=lambda s: (s.order, s.key))
