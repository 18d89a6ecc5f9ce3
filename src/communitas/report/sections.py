"""The section registry: the seam every report section (built-in or extension) plugs into.

A :class:`Section` pairs a build function with a template. The build function receives the
:class:`~communitas.report.context.ReportContext` and returns the template's data (a dict), or
``None`` when it has nothing to show. A section whose backing module is missing (``ImportError``)
or whose data is empty is omitted from the report with a one-line note, never an error.

Built-in sections and extensions register the same way: through the entry point group
``communitas.report_sections`` (``pyproject.toml`` declares the built-in modules, as datasette
declares its default plugins), so this module imports none of the sections it lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import TYPE_CHECKING, Any

from communitas.errors import CommunitasError

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
_loaded: set[str] = set()  # the entry points already loaded ("name = value")


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


def _load_entry_points() -> None:
    """Load every ``communitas.report_sections`` entry point not loaded yet: built-in sections and
    extensions alike (``pyproject.toml`` declares the built-in modules). An entry point naming a
    module registers the :func:`section`-decorated functions it defines as it is imported; one
    naming a :class:`Section` (or a list of them) registers those."""
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, e.value)):
        ident = f"{ep.name} = {ep.value}"
        if ident in _loaded:
            continue
        _loaded.add(ident)
        obj = ep.load()
        if isinstance(obj, ModuleType):
            continue
        for sec in obj if isinstance(obj, list | tuple) else [obj]:
            register_section(sec)


def registered_sections() -> list[Section]:
    """Every registered section, in report order."""
    _load_entry_points()
    if not _REGISTRY:
        raise CommunitasError("no report section is registered: the installed metadata of communitas "
                              "is stale; reinstall it (`pip install -e .`).")
    return sorted(_REGISTRY.values(), key=lambda s: (s.order, s.key))
