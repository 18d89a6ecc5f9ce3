"""The metric layer: pure functions of the store (read through Ibis) returning tables.

One module per component of community (people, ties, interaction, place) plus ``summary`` (the
first overview). Every metric takes an Ibis backend (``Workspace.ibis()`` or any backend holding
the canonical tables) and a :class:`~communitas.metrics.scope.Scope` (what the figure is about),
plus its own options; its docstring is its definition, mirrored in ``docs/metrics.md``. A metric
from another package plugs in through :mod:`communitas.metrics.registry`.
"""
