"""Every sample in ../shared/data is ingested, profiled and reported within 1 GiB of memory.

Each command runs in its own process and its peak resident memory (``ru_maxrss`` from ``wait4``:
the kernel's exact high-water mark, not a sample) must stay under the cap. ``setrlimit`` is not
used to enforce it: the report's chart renderer (vl-convert, a V8 engine) reserves gigabytes of
address space it never touches, so RLIMIT_AS or RLIMIT_DATA at 1 GiB kills it whatever the data.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import data_path

CAP = 1 << 30  # bytes
SAMPLES = [
    ("stackexchange-beer",), ("stackexchange-beer-7z", "beer.stackexchange.com.7z"),
    ("stackexchange-alcohol-meta",), ("stackexchange-french-meta",), ("stackexchange-conlang-meta",),
    ("stackexchange-quantumcomputing",), ("mbox-usrp-users-2022",), ("slack-houstondatavis",),
    ("discord-komodo",), ("discourse-askci",), ("discourse-delvingbitcoin",), ("zulip-brlcad",),
    ("github-discussions-payloadcms",), ("reddit-redditcom-2005",),
    # the format samples of the platforms communitas reads (its Slack and Stack Exchange folders
    # hold API responses, not exports: see test_every_sample_folder_is_covered)
    *[("format-samples-perceval", d) for d in ("discourse", "groupsio", "hyperkitty", "mattermost", "mbox",
                                               "pipermail", "rocketchat", "supybot", "telegram")],
]


def _peak(args: list[str]) -> int:
    """Run ``communitas ARGS`` in a child process; its peak RSS in bytes (it must succeed)."""
    code = "import sys; from communitas.cli.app import main; main(sys.argv[1:])"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "200"})
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, (args, err[-2000:])
    return int(usage.ru_maxrss) * 1024  # kilobytes on Linux


@pytest.mark.slow
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: "/".join(s))
def test_sample_within_the_memory_cap(sample: tuple[str, ...], tmp_path: Path) -> None:
    store = str(tmp_path / "s.duckdb")
    peaks = {
        "ingest": _peak(["ingest", str(data_path(*sample)), "--store", store]),
        "profile": _peak(["profile", "--json", "--store", store]),
        "report": _peak(["report", "-o", str(tmp_path / "r.html"), "--store", store]),
    }
    over = {step: f"{peak / 2**20:.0f} MiB" for step, peak in peaks.items() if peak > CAP}
    assert over == {}, over
    assert (tmp_path / "r.html").stat().st_size > 100_000


def test_every_sample_folder_is_covered() -> None:
    """A new folder in ../shared/data must be added above (or to the format samples' list)."""
    covered = {s[0] for s in SAMPLES}
    folders = {p.name for p in data_path().iterdir() if p.is_dir()}
    assert folders == covered
    formats = {p.name for p in data_path("format-samples-perceval").iterdir() if p.is_dir()}
    read = {s[1] for s in SAMPLES if s[0] == "format-samples-perceval"}
    # askbot and meetup are platforms communitas does not read; slack and stackexchange hold API
    # responses (the exports are the samples above)
    assert formats - read == {"askbot", "meetup", "slack", "stackexchange"}
