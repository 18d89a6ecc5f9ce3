"""Bots on a mailing list: detected from names, addresses and automation headers, left out of
metrics, listed by `communitas members --bots`, and overridden by hand in both directions."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from communitas.cli.app import main
from communitas.metrics.base import contributions
from communitas.store import Workspace

SENDERS = {
    "github": "GitHub <notifications@github.com>",
    "deploy": "Deploy Bot <deploy-bot@example.com>",
    "ann": "Ann <ann@example.com>",
    "rob": "Rob <rob@example.com>",
    "abbott": "Bob Abbott <bob.abbott@example.com>",  # "bot" inside a name is not a bot
}


def _mail(who: str, n: int, extra: str = "") -> str:
    return (f"From x@example.com Mon Jan  3 10:30:36 2022\nFrom: {SENDERS[who]}\n"
            f"Date: Mon, 3 Jan 2022 1{n % 10}:00:00 +0000\nMessage-ID: <b{n}@example.com>\n"
            f"Subject: note {n}\n{extra}\nText {n}.\n\n")


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, Path]:
    archive = tmp_path / "dev-list.mbox.gz"
    archive.write_bytes(gzip.compress("".join([
        _mail("github", 1, "X-GitHub-Reason: subscribed\n"), _mail("github", 2),
        _mail("deploy", 3),
        _mail("ann", 4), _mail("ann", 5), _mail("ann", 6, "Auto-Submitted: auto-replied\n"),
        _mail("rob", 7, "Precedence: list\nList-Id: <dev.example.com>\n"),
        _mail("abbott", 8),
    ]).encode()))
    path = tmp_path / "bots.duckdb"
    with Workspace(path) as ws:
        ws.ingest(archive)
    return path, archive


def _ids(path: Path) -> dict[str, str]:
    with Workspace(path, read_only=True) as ws:
        rows = ws.con.execute("SELECT member_id, display_name FROM members").fetchall()
    return {n.split()[-1].lower() if n != "Deploy Bot" else "deploy": m for m, n in rows}


def _count(path: Path, include_bots: bool = False) -> int:
    with Workspace(path, read_only=True) as ws:
        return int(contributions(ws.ibis(), include_bots=include_bots).count().execute())


def _cli_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    main(argv)
    out: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return out


def test_detected_bots_and_auto_replies(store: tuple[Path, Path]) -> None:
    path, _ = store
    with Workspace(path, read_only=True) as ws:
        flags = dict(ws.con.execute("SELECT display_name, is_bot FROM members").fetchall())
        kinds = dict(ws.con.execute("SELECT kind, count(*) FROM posts GROUP BY kind").fetchall())
    assert flags == {"GitHub": True, "Deploy Bot": True, "Ann": False, "Rob": False, "Bob Abbott": False}
    assert kinds == {"email": 7, "auto_reply": 1}  # Ann's out-of-office is not a contribution
    assert _count(path) == 4  # Ann 2, Rob 1, Bob Abbott 1
    assert _count(path, include_bots=True) == 7


def test_members_bots_lists_them(store: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = store
    bots = _cli_json(["members", "--bots", "--json", "--store", str(path)], capsys)
    assert sorted(str(b["display_name"]) for b in bots) == ["Deploy Bot", "GitHub"]


def test_manual_overrides_both_ways_survive_reingest(store: tuple[Path, Path],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path, archive = store
    ids = _ids(path)
    main(["members", "bot", ids["github"], "--no", "--store", str(path)])
    main(["members", "bot", ids["rob"], "--yes", "--store", str(path)])
    capsys.readouterr()
    assert _count(path) == 4 + 2 - 1
    with Workspace(path) as ws:
        ws.ingest(archive, force=True)
    assert _count(path) == 5
    bots = _cli_json(["members", "--bots", "--json", "--store", str(path)], capsys)
    assert {str(b["display_name"]): b["overridden"] for b in bots} == {"Deploy Bot": False, "Rob": True}


def test_unknown_member_exits_2(store: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = store
    with pytest.raises(SystemExit) as e:
        main(["members", "bot", "mbox:nope:m:0", "--yes", "--store", str(path)])
    assert e.value.code == 2
    assert "no member 'mbox:nope:m:0'" in capsys.readouterr().err
