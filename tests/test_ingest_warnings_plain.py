"""Ingest warnings are printed as plain text: bracketed words in them (a member's name, Reddit's
"[deleted]", something that looks like terminal markup) are shown as written, not eaten."""

from __future__ import annotations

import pytest

from communitas.cli.ingest import _print_report
from communitas.store import IngestReport


def test_bracketed_text_in_a_warning_is_shown(capsys: pytest.CaptureFixture[str]) -> None:
    report = IngestReport("reddit:x", "reddit", "x", "x", "xxh3-128:0")
    report.warnings = ["12 posts by [deleted] authors kept without a member; [bold]ann[/bold] named"]
    _print_report(report)
    err = " ".join(capsys.readouterr().err.split())
    assert "warning: 12 posts by [deleted] authors kept without a member; [bold]ann[/bold] named" in err
