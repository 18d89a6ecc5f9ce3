"""``make lint`` fails on dead code: vulture, with the project's settings (``[tool.vulture]`` in
pyproject.toml), fails on an unused function. (That the repository passes is ``make lint``'s own
run, before the tests.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _vulture(*paths: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vulture", *paths], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)


def test_vulture_fails_on_an_unused_function(tmp_path: Path) -> None:
    module = tmp_path / "figures.py"
    module.write_text("LIMIT = 3\n\n\ndef used(n: int) -> int:\n    return n * LIMIT\n\n\n"
                      "def never_called() -> int:\n    return 2\n\n\nprint(used(1))\n")
    done = _vulture(str(module))
    assert done.returncode == 3, done.stdout + done.stderr
    assert done.stdout.splitlines() == [f"{module}:8: unused function 'never_called' (60% confidence)"]
