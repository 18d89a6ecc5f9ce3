"""Platform readers, one module each, all behind :class:`communitas.sources.base.Source`.

The registry that ``communitas ingest`` consults to auto-detect a path's platform is
:mod:`communitas.sources.registry`. This package imports nothing itself, so a worker process
that reads one platform's files imports only that platform's modules.
"""
