"""Every metric function has its definition in docs/metrics.md (a ``### <name>`` section with a
paragraph), which the report shows beside the figure and turns into its appendix."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import ModuleType

import pytest

from communitas.metrics import interaction, people, place, summary, ties
from communitas.metrics.profile import DEFINITIONS

DOC = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"
MODULES = {"people": people, "common_ties": ties, "social_interaction": interaction, "place": place}


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^###\s+(\S+)\s*$", text, flags=re.MULTILINE)
    return {name: body.split("\n## ")[0].strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def _metric_functions(module: ModuleType) -> list[str]:
    """Public functions defined in ``module`` whose first parameter is the backend."""
    out = []
    for name, fn in inspect.getmembers(module, inspect.isfunction):
        if name.startswith("_") or fn.__module__ != module.__name__:
            continue
        params = list(inspect.signature(fn).parameters)
        if params and params[0] == "backend":
            out.append(name)
    return out


@pytest.mark.parametrize("module", [people, ties, interaction, place, summary], ids=lambda m: m.__name__)
def test_every_metric_function_has_a_section(module: ModuleType) -> None:
    sections = _sections()
    functions = _metric_functions(module)
    assert len(functions) >= (1 if module is summary else 3)  # summary: the overview alone
    missing = [f for f in functions if f not in sections]
    assert not missing, f"add a '### <name>' section to docs/metrics.md for {missing}"
    short = [f for f in functions if len(sections[f].split()) < 25]
    assert not short, f"sections too short to define anything: {short}"


def test_profile_definitions_name_documented_functions() -> None:
    sections = _sections()
    for component, names in DEFINITIONS.items():
        for name in names:
            assert callable(getattr(MODULES[component], name)), name
            assert name in sections, name


def test_section_parser_sees_a_missing_function() -> None:
    assert "no_such_metric" not in _sections()
    assert "first_response" in _sections() and "Time to first response" in _sections()["first_response"]


def test_every_reference_band_is_listed_with_its_citation() -> None:
    from communitas.metrics.reference import bands

    text = DOC.read_text(encoding="utf-8")
    for band in bands():
        row = next((line for line in text.splitlines() if f"`{band['id']}`" in line), None)
        assert row is not None, band["id"]
        assert band["citation"].split(" — ")[0] in row
