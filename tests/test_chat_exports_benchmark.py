"""The Telegram / Mattermost / Rocket.Chat benchmark still runs, reports its figures, and reads what
it generated: its counts are checked against the generated files, recounted here with ``json``."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _lines(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_chat_exports_benchmark_reports_and_reads_what_it_wrote(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "ingest_chat_exports.py"), "--messages", "3000",
         "--dir", str(tmp_path), "--keep"], capture_output=True, text=True, timeout=600, check=True).stdout
    line = re.compile(r"^(telegram|mattermost|rocketchat): [\d.]+ MB, [\d,]+ messages read in [\d.]+ s = "
                      r"[\d,]+ messages/s wall, [\d,]+ per CPU-second; peak RSS [\d,]+ MB .*"
                      r"\(ratio ours/json [\d.]+;", re.M)
    assert [m.group(1) for m in line.finditer(out)] == ["telegram", "mattermost", "rocketchat"], out
    counts = ast.literal_eval(out.rsplit("counts: ", 1)[1].strip())

    telegram = json.loads((tmp_path / "telegram" / "result.json").read_text(encoding="utf-8"))["messages"]
    assert counts["telegram"]["posts"] == sum(m["type"] == "message" for m in telegram)
    assert counts["telegram"]["events"] == sum(m["type"] == "service" for m in telegram)
    assert counts["telegram"]["places"] == 1 + sum(m.get("action") == "topic_created" for m in telegram)

    bulk = _lines(tmp_path / "mattermost" / "import.jsonl")
    posts = [x["post"] for x in bulk if x["type"] == "post"]
    assert counts["mattermost"]["posts"] == len(posts) + sum(len(p["replies"]) for p in posts) == 3000
    assert counts["mattermost"]["members"] == sum(x["type"] == "user" for x in bulk)

    rocket = _lines(tmp_path / "rocketchat" / "rocketchat_message.json")
    assert counts["rocketchat"]["posts"] == sum("t" not in m for m in rocket)
    assert counts["rocketchat"]["events"] == sum("t" in m for m in rocket)
    assert counts["rocketchat"]["reactions"] == sum(len(r["usernames"]) for m in rocket if "t" not in m
                                                    for r in (m.get("reactions") or {}).values())
