"""The errors communitas raises, and what to do about each.

Every error a user can cause derives from :class:`CommunitasError`; its message is one line that
names the file (or store) concerned and says what to do. The CLI prints that line and exits with
status 2; it never shows a traceback for these.

::

    CommunitasError                 anything the user can fix
    ├── InputError                  the input cannot be used as a whole
    │   ├── InputNotFound           the path does not exist
    │   ├── UnknownFormat           no source recognises the path (not a dump, wrong folder)
    │   ├── BrokenInput             a file is truncated, corrupt, not XML/JSON, or an archive is damaged
    │   └── UnsafeInput             a file asks for something we refuse (external entities,
    │                               entity expansion, path traversal, a decompression bomb)
    ├── StoreError                  the workspace store cannot be opened or used
    │   ├── StoreLocked             another process holds the store
    │   └── EmptyStore              nothing has been ingested yet
    └── UsageError                  options that do not fit together, an unknown name

Rows that are only partly bad are not errors: sources skip them and count them with a reason
(``ReadContext.skip``; reported in ``communitas.store.IngestReport.skipped``).
"""

from __future__ import annotations


class CommunitasError(Exception):
    """Base class: a problem the user can fix; the message says how."""


class InputError(CommunitasError):
    """The input as a whole cannot be used."""


class InputNotFound(InputError):
    """The given path does not exist."""


class UnknownFormat(InputError):
    """No source recognises the path."""


class BrokenInput(InputError):
    """A file is truncated, corrupt or not in the format its name claims."""


class UnsafeInput(InputError):
    """A file asks for something that is refused for safety."""


class StoreError(CommunitasError):
    """The workspace store cannot be opened or used."""


class StoreLocked(StoreError):
    """Another process holds the store open for writing."""


class EmptyStore(StoreError):
    """The store holds no data yet."""


class UsageError(CommunitasError):
    """Options or names that do not fit."""
