"""The local dashboard (FastAPI): explore the store by period, place and source, drill from a figure
to the threads and pseudonymised members behind it, and tick off the brief. See ``docs/report.md``.
"""

from communitas.web.app import create_app

__all__ = ["create_app"]
