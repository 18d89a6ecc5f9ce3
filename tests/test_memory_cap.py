"""Every sample in ../shared/data is ingested, profiled and reported within 1 GiB of memory.

Each command runs in its own process and its peak resident memory (``VmHWM`` of
``/proc/self/status`` read as it exits: the kernel's exact high-water mark of its own memory, not a
sample) must stay under the cap. (Not ``ru_maxrss`` from ``wait4``: Linux carries the parent's
high-water mark into a child at fork and exec, so a child of a pytest process that once held a
gigabyte would read as a gigabyte whatever it did.) The processes are forked
from one that has only imported ``communitas.cli.app``, as ``communitas`` itself does on start-up (so
the 69 commands pay for that import once): a forked child starts with its parent's resident pages,
which count towards its own peak just as a fresh process's import would. ``setrlimit`` is not
used to enforce it: the report's chart renderer (vl-convert, a V8 engine) reserves gigabytes of
address space it never touches, so RLIMIT_AS or RLIMIT_DATA at 1 GiB kills it whatever the data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
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


# Reads one command a line (JSON: arguments, file for its stderr), forks a child that runs it with
# stdout discarded, and answers one line: [exit status, the child's VmHWM in kilobytes, which it
# writes to ERR.hwm as it exits]. A null command forks a child that exits at once: its peak is what
# a forked child starts with.
_FORKER = """
import json, os, sys, traceback
from communitas.cli.app import main


def hwm(path):
    with open("/proc/self/status") as f:
        kb = next(line for line in f if line.startswith("VmHWM:")).split()[1]
    with open(path, "w") as out:
        out.write(kb)


for line in sys.stdin:
    args, err = json.loads(line)
    pid = os.fork()
    if pid == 0 and args is None:
        hwm(err + ".hwm")
        os._exit(0)
    if pid == 0:
        null, log = os.open(os.devnull, os.O_WRONLY), os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(null, 1)
        os.dup2(log, 2)
        try:
            main(args)
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        hwm(err + ".hwm")
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    with open(err + ".hwm") as f:
        kb = int(f.read())
    print(json.dumps([os.waitstatus_to_exitcode(status), kb]), flush=True)
"""

# a fresh process's own peak after importing the CLI (what every fresh ``communitas`` pays)
_FRESH = """
import communitas.cli.app
with open("/proc/self/status") as f:
    print(next(line for line in f if line.startswith("VmHWM:")).split()[1])
"""


class Forker:
    """The forking process, and how much less a forked child's peak counts than a fresh process's."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        env = {**os.environ, "COLUMNS": "200"}
        self.proc = subprocess.Popen([sys.executable, "-c", _FORKER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        # a fresh process's peak from the same import, less a forked child's that does nothing: added
        # to every forked peak, so the cap is checked as strictly as on fresh processes (the forked
        # child misses the import's transient peak and the libraries' pages not yet touched again)
        fresh_kb = int(subprocess.run([sys.executable, "-c", _FRESH], env=env, check=True,
                                      capture_output=True, text=True).stdout)
        self.gap = 0
        self.gap = max(0, fresh_kb * 1024 - self.peak(None, self.scratch / "null.txt"))

    def peak(self, args: list[str] | None, err: Path) -> int:
        """Run ``communitas ARGS`` in a forked child; its peak RSS in bytes (it must succeed)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps([args, str(err)]) + "\n")
        self.proc.stdin.flush()
        code, hwm_kb = json.loads(self.proc.stdout.readline())
        assert code == 0, (args, err.read_text()[-2000:])
        return int(hwm_kb) * 1024 + self.gap


@pytest.fixture(scope="module")
def forker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forker]:
    f = Forker(tmp_path_factory.mktemp("forker"))
    yield f
    assert f.proc.stdin is not None
    f.proc.stdin.close()
    f.proc.wait(timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: "/".join(s))
def test_sample_within_the_memory_cap(sample: tuple[str, ...], tmp_path: Path,
                                      forker: Forker) -> None:
    store, err = str(tmp_path / "s.duckdb"), tmp_path / "err.txt"
    peaks = {
        "ingest": forker.peak(["ingest", str(data_path(*sample)), "--store", store], err),
        "profile": forker.peak(["profile", "--json", "--store", store], err),
        "report": forker.peak(["report", "-o", str(tmp_path / "r.html"), "--store", store], err),
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
