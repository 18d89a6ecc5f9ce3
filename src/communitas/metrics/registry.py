"""The seam a new metric plugs into: one module with a function, one registration.

A :class:`Metric` names a function ``compute(backend, scope) -> {figure: value}`` (a
:class:`~communitas.metrics.scope.Scope` in, JSON-ready figures out; its docstring is its
definition) and the component whose headline its figures join: ``people``, ``common_ties``,
``social_interaction`` or ``place``. Register it as an entry point of the group
``communitas.metrics`` (the value names a :class:`Metric` or a list of them), e.g. in the
extension's ``pyproject.toml``::

    [project.entry-points."communitas.metrics"]
    answer_length = "my_package.metrics:ANSWER_LENGTH"

or in-process with :func:`register_metric`. :func:`communitas.metrics.profile.build_profile`
computes every registered metric for its scope: the figures join the component's ``headline``,
the metric's name its ``definitions`` list and each figure the ``figures`` map, so the CLI, the
report and the dashboard show them like the built-in ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

GROUP = "communitas.metrics"
COMPONENTS = ("people", "common_ties", "social_interaction", "place")

Compute = Callable[[Any, Any], dict[str, Any]]


@dataclass(frozen=True)
class Metric:
    """One metric: ``compute(backend, scope)`` gives its headline figures in ``component``."""

    name: str
    component: str
    compute: Compute

    def __post_init__(self) -> None:
        if self.component not in COMPONENTS:
            raise ValueError(f"metric {self.name!r}: component {self.component!r} is not one of "
                             f"{', '.join(COMPONENTS)}.")


_REGISTERED: dict[str, Metric] = {}


def register_metric(metric: Metric) -> Metric:
    """Add (or replace, by name) a metric for every profile built afterwards."""
    _REGISTERED[metric.name] = metric
    return metric


def registered_metrics() -> list[Metric]:
    """Every metric registered in-process or through an entry point, by name."""
    found = dict(_REGISTERED)
    for ep in entry_points(group=GROUP):
        obj = ep.load()
        for metric in obj if isinstance(obj, list | tuple) else [obj]:
            found.setdefault(metric.name, metric)
    return [found[name] for name in sorted(found)]


def add_registered(backend: Any, scope: Any, parts: dict[str, dict[str, Any]],
                   definitions: dict[str, list[str]], figures: dict[str, str]
                   ) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Compute every registered metric into ``parts`` (the profile's components); the definitions
    and figures maps with them added (new dicts; the arguments are left as they are)."""
    metrics = registered_metrics()
    if not metrics:
        return definitions, figures
    definitions = {k: list(v) for k, v in definitions.items()}
    figures = dict(figures)
    for metric in metrics:
        headline = parts[metric.component]["headline"]
        values = metric.compute(backend, scope)
        clash = sorted(set(values) & set(headline))
        if clash:
            raise ValueError(f"metric {metric.name!r}: {', '.join(clash)} already in the "
                             f"{metric.component} headline; name its figures apart.")
        headline.update(values)
        definitions[metric.component].append(metric.name)
        figures.update({f"{metric.component}.{key}": metric.name for key in values})
    return definitions, figures
