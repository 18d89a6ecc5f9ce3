"""Every source's detect() decides through one function, sources.base.recognises."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from communitas.errors import BrokenInput, InputNotFound, UnknownFormat, UnsafeInput
from communitas.sources.base import recognises
from communitas.sources.registry import SOURCES, find_source


def _raises(error: BaseException) -> bool:
    raise error


def test_recognises_turns_not_mine_into_false_and_refuses_unsafe_input() -> None:
    assert recognises(lambda: True) and not recognises(lambda: [])
    for error in (UnknownFormat("x"), InputNotFound("x"), BrokenInput("x"), PermissionError("x")):
        assert recognises(lambda e=error: _raises(e)) is False  # type: ignore[misc]
    with pytest.raises(UnsafeInput):
        recognises(lambda: _raises(UnsafeInput("bomb")))
    with pytest.raises(ValueError):  # a bug in a probe is not hidden as "not recognised"
        recognises(lambda: _raises(ValueError("bug")))


def test_every_builtin_source_says_no_to_what_is_not_its_input(tmp_path: Path) -> None:
    missing, empty_dir, text = tmp_path / "missing", tmp_path / "empty", tmp_path / "notes.txt"
    empty_dir.mkdir()
    text.write_text("nothing to see here\n")
    for name in SOURCES.names():
        for path in (missing, empty_dir, text):
            assert SOURCES[name].detect(path) is False, (name, path.name)


def test_an_unsafe_archive_is_refused_by_auto_detection(tmp_path: Path) -> None:
    evil = tmp_path / "export.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../etc/evil.json", b"[]")
    with pytest.raises(UnsafeInput, match=r"evil\.json"):
        find_source(evil)
