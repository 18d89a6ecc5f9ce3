"""Build hook: ship docs/metrics.md inside the package (the report's appendix reads it from there).

Everything else about the package is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithMetricsDoc(build_py):
    """Copy ``docs/metrics.md`` to ``communitas/report/metrics.md`` in the build tree."""

    def run(self) -> None:
        super().run()
        doc = Path(__file__).resolve().parent / "docs" / "metrics.md"
        if doc.is_file():
            target = Path(self.build_lib) / "communitas" / "report" / "metrics.md"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(doc.read_text(encoding="utf-8"), encoding="utf-8")


setup(cmdclass={"build_py": BuildPyWithMetricsDoc})
