"""The platform registry: ``SOURCES`` is what ``communitas ingest`` consults, in order, to
auto-detect a path's platform.

Sources are plugins: every source, built-in or from another package, is registered as an entry
point of the group ``communitas.sources`` (name: the platform, value: ``module:Class``), e.g. in
``pyproject.toml``::

    [project.entry-points."communitas.sources"]
    zulip = "communitas.sources.zulip:ZulipSource"

A source is imported only when it is first needed (``SOURCES[name]``, or auto-detection, which
tries them all), so listing the platforms imports nothing. Auto-detection tries sources in
ascending ``order`` (a class attribute; :data:`DEFAULT_ORDER` when absent), then by name.
``docs/sources/writing-a-source.md`` explains how to write one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from importlib import metadata
from pathlib import Path

from communitas.errors import InputNotFound, UnknownFormat, UsageError
from communitas.model import DEFAULT_BODY_FORMAT
from communitas.sources.base import Source, body_format

GROUP = "communitas.sources"
DEFAULT_ORDER = 100  # a source without an ``order`` attribute is tried after the built-ins


def source_order(source: Source) -> int:
    """Where ``source`` comes in auto-detection (lower first)."""
    order = getattr(source, "order", DEFAULT_ORDER)
    return order if isinstance(order, int) and not isinstance(order, bool) else DEFAULT_ORDER


class Registry(MutableMapping[str, Source]):
    """Platform name -> source, read from the ``communitas.sources`` entry points on first use.

    Names are known without importing anything; a source's module is imported (and its class
    instantiated, with no arguments) the first time that source is asked for. Entries can also be
    set directly (tests register toy sources that way). Iteration follows detection order, which
    needs every source loaded.
    """

    def __init__(self, group: str = GROUP) -> None:
        self.group = group
        self._points: dict[str, Callable[[], object]] | None = None
        self._loaded: dict[str, Source] = {}

    def _entry_points(self) -> dict[str, Callable[[], object]]:
        if self._points is None:
            points: dict[str, Callable[[], object]] = {}
            for ep in sorted(metadata.entry_points(group=self.group), key=lambda e: e.name):
                points.setdefault(ep.name, ep.load)  # the first distribution (by path order) wins
            self._points = points
        return self._points

    def names(self) -> list[str]:
        """Every platform name, sorted; imports no source."""
        return sorted(set(self._entry_points()) | set(self._loaded))

    def __getitem__(self, name: str) -> Source:
        found = self._loaded.get(name)
        if found is not None:
            return found
        load = self._entry_points().get(name)
        if load is None:
            raise KeyError(name)
        self._loaded[name] = source = _instantiate(name, load)
        return source

    def __setitem__(self, name: str, source: Source) -> None:
        self._loaded[name] = source

    def __delitem__(self, name: str) -> None:
        found = name in self._loaded or name in self._entry_points()
        self._loaded.pop(name, None)
        if self._points is not None:
            self._points.pop(name, None)
        if not found:
            raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._loaded or name in self._entry_points())

    def __len__(self) -> int:
        return len(self.names())

    def __iter__(self) -> Iterator[str]:
        """Platform names in detection order (loads every source to read its ``order``)."""
        return iter(self.detection_order()[0])

    def detection_order(self) -> tuple[list[str], dict[str, str]]:
        """(platforms in auto-detection order, {platform: why it cannot be loaded})."""
        loaded, broken = [], {}
        for name in self.names():
            try:
                loaded.append((source_order(self[name]), name))
            except UsageError as e:
                broken[name] = str(e)
        return [name for _, name in sorted(loaded)], broken

    def reload(self) -> None:
        """Forget what was read, so newly installed entry points are seen (tests use it)."""
        self._points = None
        self._loaded.clear()


def _instantiate(name: str, load: Callable[[], object]) -> Source:
    try:
        cls = load()
        source = cls() if callable(cls) else cls
    except Exception as e:  # a broken third-party plugin must not look like a crash of ours
        raise UsageError(f"the source plugin {name!r} ({GROUP} entry point) cannot be loaded: "
                         f"{type(e).__name__}: {e}. Reinstall or remove the package that provides it."
                         ) from None
    if not all(hasattr(source, a) for a in ("platform", "detect", "describe", "read")):
        raise UsageError(f"the source plugin {name!r} ({GROUP} entry point) is not a source "
                         "(it needs platform, detect, describe and read). Fix or remove its package.")
    return source  # type: ignore[return-value]


SOURCES = Registry()


def platform_body_format(platform: str) -> str:
    """The body format the registered source of ``platform`` declares
    (:func:`communitas.sources.base.body_format`); Markdown for a platform no source here has."""
    try:
        return body_format(SOURCES[platform]) if platform in SOURCES else DEFAULT_BODY_FORMAT
    except UsageError:  # a plugin that no longer loads
        return DEFAULT_BODY_FORMAT


def find_source(path: Path, platform: str | None = None) -> Source:
    """The source for ``path``: the named ``platform``, or the first that recognises it."""
    if not SOURCES.names():
        raise UsageError("no source is registered (the communitas.sources entry points are missing): "
                         "reinstall communitas, e.g. pip install -e .")
    if platform is not None:
        if platform not in SOURCES:
            raise UsageError(
                f"unknown platform {platform!r}; choose one of: {', '.join(SOURCES.names())}."
            )
        return SOURCES[platform]
    if not path.exists():
        raise InputNotFound(f"{path}: no such file or folder. Check the path and try again.")
    order, broken = SOURCES.detection_order()
    for name in order:
        if SOURCES[name].detect(path):
            return SOURCES[name]
    unloadable = f" (not tried, as they cannot be loaded: {', '.join(broken)})" if broken else ""
    raise UnknownFormat(
        f"{path}: no source recognises this as a community export "
        f"(tried: {', '.join(order)}){unloadable}. Point at the export's folder or archive, "
        "or name the platform with --platform."
    )
