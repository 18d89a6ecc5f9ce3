"""The IRC source: the real Supybot sample (counts recomputed here with ``re`` from the raw
lines), one generated three-day channel written in every supported layout (each must give the
same rows; the expected counts come from the generator, not from a parser), and bad input."""

from __future__ import annotations

import gzip
import json
import random
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import data_path, run_cli

from communitas.metrics.profile import build_profile
from communitas.network.analysis import analyse
from communitas.network.graph import GraphOptions
from communitas.sources.irc import IrcSource
from communitas.sources.registry import find_source
from communitas.store import Workspace

SAMPLE = ("format-samples-perceval", "supybot")


def _q(ws: Workspace, sql: str, *params: Any) -> Any:
    row = ws.con.execute(sql, list(params)).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


# -- the real sample -------------------------------------------------------------------------------

_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[+-]\d{4})?)  (.*)$")


def _expected(path: Path) -> dict[str, Any]:
    """Posts, joins, quits of one raw log, and who appears in order (("seen", nick) or ("rename",
    old, new)), with ``re`` alone."""
    posts = joins = quits = 0
    who: list[tuple[str, ...]] = []
    for raw in path.read_text("utf-8").splitlines():
        m = _LINE.match(raw)
        body = m[2] if m else ""
        if (msg := re.match(r"^<([^>\s]+)> ?(.*)$", body)) and msg[2].strip():
            posts += 1
            who.append(("seen", msg[1].lower()))
        elif act := re.match(r"^\* (\S+) \S", body):
            posts += 1
            who.append(("seen", act[1].lower()))
        elif ev := re.match(r"^\*\*\* (\S+) .*has (joined|quit)", body):
            joins += ev[2] == "joined"
            quits += ev[2] == "quit"
            who.append(("seen", ev[1].lower()))
        elif renamed := re.match(r"^\*\*\* (\S+) is now known as (\S+)$", body):
            who.append(("rename", renamed[1].lower(), renamed[2].lower()))
    return {"posts": posts, "join": joins, "quit": quits, "who": who}


def _members(logs: list[Path]) -> set[str]:
    """Each member's first nick: a renamed nick stays the member it was (unless already one)."""
    member: dict[str, str] = {}
    for log in logs:
        for op in _expected(log)["who"]:
            first = member.setdefault(op[1], op[1])
            if op[0] == "rename":
                member.setdefault(op[2], first)
    return set(member.values())


def test_real_supybot_sample_counts(tmp_path: Path) -> None:
    folder = data_path(*SAMPLE)
    assert find_source(folder).platform == "irc"
    with Workspace(tmp_path / "i.duckdb") as ws:
        sid = ws.ingest(folder).source_id
        for log in sorted(folder.glob("*.log")):
            channel = re.sub(r"[-_.]?\d{4}[-_.]?\d\d[-_.]?\d\d", "", log.stem)
            place = f"{sid}:c:{channel}"
            exp = _expected(log)
            got = _q(ws, "SELECT count(*) FROM posts p JOIN threads t USING (thread_id) "
                         "WHERE t.place_id = ? AND p.native_id LIKE ?", place, f"{log.name}:%")
            assert got == exp["posts"], log.name
            kinds = dict(ws.con.execute("SELECT kind, count(*) FROM events WHERE place_id = ? AND "
                                        "event_id LIKE ? GROUP BY 1", [place, f"%:{log.name}:%"]).fetchall())
            assert kinds.get("join", 0) == exp["join"] and kinds.get("quit", 0) == exp["quit"], log.name
        everyone = _members(sorted(folder.glob("*.log")))
        names = {r[0].lower() for r in ws.con.execute("SELECT display_name FROM members").fetchall()}
        assert names == everyone
        bots = {r[0] for r in ws.con.execute("SELECT display_name FROM members WHERE is_bot").fetchall()}
        assert bots == {"grimoire_bot", "xbot1313"}
        assert not any("benpol" in r[0] for r in ws.con.execute("SELECT member_id FROM members").fetchall())


# -- one generated channel, every layout ---------------------------------------------------------

@dataclass
class Act:
    at: datetime
    kind: str  # message, action, join, quit, nick, notice
    nick: str
    text: str = ""


PEOPLE = ["ann", "bob", "cid", "dee", "eve", "fay", "gus", "hal"]


def _script(seed: int = 3) -> list[Act]:
    """Three days of a channel: joins, talk in bursts separated by silences, addressing, actions,
    a nick change, a bot and service notices, quits. Times on whole minutes (every layout can
    write them)."""
    rng = random.Random(seed)
    acts: list[Act] = []
    for day in range(3):
        t = datetime(2024, 3, 1 + day, 8, 0, tzinfo=UTC)
        for nick in PEOPLE[: 5 + day]:
            acts.append(Act(t, "join", nick))
            t += timedelta(minutes=1)
        acts.append(Act(t, "notice", "ChanServ", "welcome to #proj"))
        for _burst in range(6):
            t += timedelta(minutes=rng.choice([35, 50, 90]))
            for _ in range(rng.randrange(4, 12)):
                t += timedelta(minutes=rng.choice([0, 1, 2, 3, 7]))
                who = rng.choice(PEOPLE[: 5 + day])
                r = rng.random()
                if r < 0.25:
                    other = rng.choice([p for p in PEOPLE[:5] if p != who])
                    text = f"{other}: did you see the build {rng.randrange(99)}?"
                    acts.append(Act(t, "message", who, text))
                elif r < 0.3:
                    acts.append(Act(t, "action", who, "waves"))
                elif r < 0.35:
                    acts.append(Act(t, "message", "projbot", f"build {rng.randrange(999)} passed"))
                else:
                    acts.append(Act(t, "message", who, f"talking about release {rng.randrange(9)}"))
        if day == 1:
            acts.append(Act(t + timedelta(minutes=1), "nick", "dee", "dee_away"))
            acts.append(Act(t + timedelta(minutes=2), "message", "dee_away", "back later"))
            acts.append(Act(t + timedelta(minutes=3), "nick", "dee_away", "dee"))
        acts.append(Act(t + timedelta(minutes=4), "quit", "bob"))
    return acts


def _fmt(a: Act, layout: str) -> str:
    hm, ymd = a.at.strftime("%H:%M"), a.at.strftime("%Y-%m-%d")
    if layout == "weechat":
        pre = f"{ymd} {hm}:00\t"
        return pre + {"message": f"{a.nick}\t{a.text}", "action": f" *\t{a.nick} {a.text}",
                      "join": f"-->\t{a.nick} (~{a.nick}@example.org) has joined #proj",
                      "quit": f"<--\t{a.nick} (~{a.nick}@example.org) has quit (bye)",
                      "nick": f"--\t{a.nick} is now known as {a.text}",
                      "notice": f"--\tNotice({a.nick}): {a.text}"}[a.kind]
    if layout == "irssi":
        pre = f"{hm} "
        return pre + {"message": f"< {a.nick}> {a.text}", "action": f" * {a.nick} {a.text}",
                      "join": f"-!- {a.nick} [~{a.nick}@example.org] has joined #proj",
                      "quit": f"-!- {a.nick} [~{a.nick}@example.org] has quit [bye]",
                      "nick": f"-!- {a.nick} is now known as {a.text}",
                      "notice": f"-{a.nick}(ChanServ@services.)- {a.text}"}[a.kind]
    pre = {"limnoria": f"{ymd}T{hm}:00+0000  ", "znc": f"[{hm}] ", "bracketed": f"[{ymd} {hm}:00] "}[layout]
    return pre + {"message": f"<{a.nick}> {a.text}", "action": f"* {a.nick} {a.text}",
                  "join": (f"*** {a.nick} <{a.nick}!~{a.nick}@example.org> has joined #proj"
                           if layout == "limnoria" else f"*** Joins: {a.nick} (~{a.nick}@example.org)"),
                  "quit": (f"*** {a.nick} has quit IRC" if layout == "limnoria"
                           else f"*** Quits: {a.nick} (~{a.nick}@example.org) (bye)"),
                  "nick": f"*** {a.nick} is now known as {a.text}",
                  "notice": f"-{a.nick}- {a.text}"}[a.kind]


def _write_layout(root: Path, layout: str, acts: list[Act]) -> Path:
    """The script as ``layout`` writes it: per-day files (limnoria, ZNC) or one file."""
    out = root / layout
    days = sorted({a.at.date() for a in acts})
    if layout in ("limnoria", "znc"):
        folder = out / "libera" / "#proj"
        folder.mkdir(parents=True)
        for d in days:
            name = f"#proj.{d}.log" if layout == "limnoria" else f"{d}.log"
            (folder / name).write_text("".join(_fmt(a, layout) + "\n" for a in acts if a.at.date() == d))
        return out
    out.mkdir(parents=True)
    lines = []
    for d in days:
        if layout == "irssi":
            stamp = datetime(d.year, d.month, d.day).strftime("%a %b %d %Y")
            lines.append(f"--- Log opened {stamp[:10]} 00:00:00 {stamp[11:]}" if d == days[0]
                         else f"--- Day changed {stamp}")
        lines.extend(_fmt(a, layout) for a in acts if a.at.date() == d)
    name = {"irssi": "#proj.log", "bracketed": "#proj.txt", "weechat": "irc.libera.#proj.weechatlog"}[layout]
    (out / name).write_text("\n".join(lines) + "\n")
    return out


LAYOUTS = ["limnoria", "znc", "irssi", "bracketed", "weechat"]


def _facts(ws: Workspace, sid: str) -> dict[str, Any]:
    names = dict(ws.con.execute("SELECT member_id, display_name FROM members WHERE source_id = ?",
                                [sid]).fetchall())
    edges = Counter((names.get(a), names.get(b)) for a, b in ws.con.execute(
        "SELECT author_id, reply_to_member_id FROM posts WHERE source_id = ? "
        "AND reply_to_member_id IS NOT NULL", [sid]).fetchall())
    return {
        "posts": _q(ws, "SELECT count(*) FROM posts WHERE source_id = ?", sid),
        "threads": _q(ws, "SELECT count(*) FROM threads WHERE source_id = ?", sid),
        "events": dict(ws.con.execute("SELECT kind, count(*) FROM events WHERE source_id = ? GROUP BY 1",
                                      [sid]).fetchall()),
        "members": sorted(names.values()),
        "bots": sorted(r[0] for r in ws.con.execute(
            "SELECT display_name FROM members WHERE source_id = ? AND is_bot", [sid]).fetchall()),
        "places": [r[0] for r in ws.con.execute("SELECT name FROM places WHERE source_id = ?",
                                                [sid]).fetchall()],
        "edges": edges,
        "times": ws.con.execute("SELECT min(created_at), max(created_at) FROM posts WHERE source_id = ?",
                                [sid]).fetchone(),
    }


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Act], dict[str, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("irc")
    acts = _script()
    facts = {}
    with Workspace(root / "l.duckdb") as ws:
        for layout in LAYOUTS:
            path = _write_layout(root, layout, acts)
            assert find_source(path).platform == "irc", layout
            facts[layout] = _facts(ws, ws.ingest(path).source_id)
    return acts, facts


def test_every_layout_gives_the_generated_rows(layouts: tuple[list[Act], dict[str, dict[str, Any]]]) -> None:
    acts, facts = layouts
    talk = [a for a in acts if a.kind in ("message", "action")]
    gaps = sum((b.at - a.at).total_seconds() > 30 * 60 for a, b in pairwise(talk))
    people = {a.nick for a in acts if a.kind != "notice"} - {"dee_away"}
    addressed = sum(bool(re.match(r"^\w+: ", a.text)) for a in talk if a.kind == "message")
    for layout, got in facts.items():
        assert got["posts"] == len(talk), layout
        assert got["threads"] == gaps + 1, layout
        events = Counter(a.kind for a in acts if a.kind in ("join", "quit", "nick"))
        assert got["events"] == dict(events), layout
        assert got["members"] == sorted(people), layout  # dee_away is dee: one member
        assert got["bots"] == ["projbot"], layout
        assert got["places"] == ["#proj"], layout
        assert got["times"][0] == talk[0].at and got["times"][1] == talk[-1].at, layout
        by_mention = sum(n for (a, b), n in got["edges"].items())
        assert by_mention >= addressed, layout
        assert got["edges"] == facts["limnoria"]["edges"], layout


def test_profile_and_network_run_on_a_generated_channel(tmp_path: Path) -> None:
    acts = _script()
    path = _write_layout(tmp_path, "limnoria", acts)
    with Workspace(tmp_path / "p.duckdb") as ws:
        sid = ws.ingest(path).source_id
        profile = build_profile(ws, source=sid)
        result = analyse(ws.ibis(), GraphOptions(source_id=sid), whole=True, roles=True)
    speakers = {a.nick for a in acts if a.kind in ("message", "action")} - {"projbot", "dee_away"}
    assert profile["overview"]["contributors"] == len(speakers)  # the bot is left out
    assert result.figures.iloc[0]["interactions"] > 0


# -- bad input -------------------------------------------------------------------------------------

def _fails_cleanly(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], pattern: str) -> None:
    store = tmp_path / "keep.duckdb"
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "#keep.2024-01-01.log").write_text("2024-01-01T10:00:00  <ann> hello\n")
    with Workspace(store) as ws:
        ws.ingest(keep)
        before = ws.con.execute("SELECT source_id, fingerprint FROM sources").fetchall(), ws.counts()
    code, _, err = run_cli(["ingest", str(path), "--store", str(store), "--platform", "irc"], capsys)
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2 and len(lines) == 1, err
    assert re.search(pattern, lines[0]), lines[0]
    with Workspace(store, read_only=True) as ws:
        after = ws.con.execute("SELECT source_id, fingerprint FROM sources").fetchall(), ws.counts()
    assert after == before


def test_truncated_gzip_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "".join(f"2024-01-01T10:{i % 60:02d}:00  <ann> line {i}\n" for i in range(3000)).encode()
    data = gzip.compress(text)
    path = tmp_path / "#proj.2024-01-01.log.gz"
    path.write_bytes(data[: len(data) // 2])
    _fails_cleanly(path, tmp_path, capsys, r"#proj\.2024-01-01\.log\.gz: cannot be decompressed.*truncated")


def test_zip_member_outside_the_archive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "logs.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("#proj/2024-01-01.log", "[10:00] <ann> hello\n")
        z.writestr("../#evil/2024-01-01.log", "[10:00] <bob> hi\n")
    _fails_cleanly(path, tmp_path, capsys, r"logs\.zip: member name .*outside the archive")


def test_wrong_encoding_file_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "#proj.2024-01-01.log"
    path.write_bytes("2024-01-01T10:00:00  <ann> hello\n2024-01-01T10:01:00  <bob> hi\n".encode("utf-16"))
    assert not IrcSource().detect(path)
    _fails_cleanly(path, tmp_path, capsys, r"no IRC message found.*docs/sources/irc\.md")


def test_bad_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    folder = tmp_path / "#proj"
    folder.mkdir()
    (folder / "2024-01-01.log").write_bytes(b"\n".join([
        b"[10:00] <ann> hello",
        b"[10:01] <bob> caf\xe9 ok",  # Latin-1: read, with a warning
        b"[10:02] <ann>",  # no text
        b"[10:03] ann says hi",  # no <nick>
        b"[10:04] *** ChanServ sets mode +o ann",
        b"[10:05] -NickServ- identify please",
        b"[10:0",  # a truncated last line
    ]))
    (folder / "undated.log").write_text("[10:00] <cid> when was this?\n")
    with Workspace(tmp_path / "s.duckdb") as ws:
        report = ws.ingest(folder)
        assert _q(ws, "SELECT count(*) FROM posts") == 2
        assert _q(ws, "SELECT body FROM posts WHERE body LIKE 'caf%'") == "café ok"
    assert {k.split(": ", 1)[1]: v for k, v in report.skipped.items()} == {
        "empty message": 1, "unrecognised line": 2, "status line (mode, topic, log opened/closed)": 1,
        "notice (services and bots speak so; not conversation)": 1,
        "time without a date (none in the line, a day marker or the file name)": 1}
    assert any("Latin-1" in w for w in report.warnings)
    assert json.dumps(report.to_dict())


def test_detects_logs_and_not_other_exports() -> None:
    src = IrcSource()
    assert src.detect(data_path(*SAMPLE, "supybot_valid.log"))
    for other in (("discourse-askci",), ("slack-houstondatavis",), ("reddit-redditcom-2005",),
                  ("mbox-usrp-users-2022",), ("format-samples-perceval", "mattermost")):
        assert not src.detect(data_path(*other)), other


def test_profile_network_topics_and_report_run_on_the_real_sample(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.duckdb"
    with Workspace(store) as ws:
        sid = ws.ingest(data_path(*SAMPLE)).source_id
        speakers = _q(ws, "SELECT count(DISTINCT author_id) FROM posts p JOIN members m "
                          "ON m.member_id = p.author_id WHERE NOT m.is_bot")
        assert build_profile(ws, source=sid)["overview"]["contributors"] == speakers > 0
        assert analyse(ws.ibis(), GraphOptions(source_id=sid), whole=True).figures.iloc[0]["interactions"] > 0
    code, out, err = run_cli(["topics", "--store", str(store), "-k", "2", "--json"], capsys)
    assert code == 0 and json.loads(out)["threads"] == 11, err
    code, _, err = run_cli(["report", "--store", str(store), "-o", str(tmp_path / "r.html")], capsys)
    assert code == 0 and (tmp_path / "r.html").stat().st_size > 0, err


def test_benchmark_runs_and_reads_every_generated_message(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, str(root / "benchmarks" / "ingest_irc.py"), "--mb", "1",
                          "--dir", str(tmp_path / "b"), "--keep"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    messages = sum(bool(re.match(r"^\S+  <[^>]+> ", line))
                   for p in (tmp_path / "b" / "whole" / "#bench").glob("*.log")
                   for line in p.read_text().splitlines())
    got = re.findall(r"^(?:communitas read|regex loop) \[whole\]: ([\d,]+) messages", out, re.M)
    assert [int(x.replace(",", "")) for x in got] == [messages, messages], out
