"""communitas: read an online community's traces into one model, and help its animators.

The public API::

    from communitas import Workspace
    with Workspace("communitas.duckdb") as ws:
        report = ws.ingest("path/to/export")     # one transaction
        backend = ws.ibis()                       # what metrics read
"""

from communitas.errors import CommunitasError
from communitas.store import IngestReport, Workspace

__all__ = ["CommunitasError", "IngestReport", "Workspace"]
__version__ = "0.1.0"
