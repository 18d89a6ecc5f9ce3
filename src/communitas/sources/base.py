"""The seam every platform plugs into.

A source is one module under ``communitas.sources`` with one class that satisfies
:class:`Source`: it says whether it recognises a path (``detect``), who the dataset is
(``describe``: platform, name, fingerprint) and then yields :class:`Batch` es of canonical rows
(``read``). It never touches the store: the store turns batches into rows inside one
transaction. Rows that are bad are counted through :meth:`ReadContext.skip`, never silently
dropped; an input that is unusable as a whole raises a :class:`communitas.errors.InputError`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Union

import xxhash

from communitas.errors import InputError, UnsafeInput
from communitas.model import BODY_FORMATS, DEFAULT_BODY_FORMAT, SourceInfo

if TYPE_CHECKING:
    import pyarrow as pa

Columns = dict[str, list[Any]]
# What a batch carries: columns of equal length (lists, tuples straight from zip, Arrow arrays).
BatchColumns = Mapping[str, Union[Sequence[Any], "pa.Array"]]


@dataclass
class Batch:
    """Rows for one canonical table, column by column (lists of equal length)."""

    table: str
    columns: BatchColumns
    origin: str = ""  # the file the rows came from, for skip counts
    # Rows already written as a Parquet file in ``ReadContext.scratch`` (by a worker process,
    # see ``communitas.sources.parallel``); ``columns`` is then empty.
    staged: Path | None = None

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))



def recognises(probe: Callable[[], object]) -> bool:
    """What every source's ``detect`` makes of its probe (a cheap look at the path: names, a peek).

    True when the probe returns a true value. False when it raises an
    :class:`~communitas.errors.InputError` or ``OSError``: the path is not this platform's input
    (not found, another format, unreadable as this platform's). :class:`~communitas.errors.UnsafeInput`
    is raised on: a file unsafe to open (a decompression bomb, a member pointing outside its
    archive) is refused by whichever source looks at it first. A probe that recognises its
    platform's input and finds it damaged returns True, so ``describe`` says what is wrong.
    """
    try:
        return bool(probe())
    except UnsafeInput:
        raise
    except (InputError, OSError):
        return False

# progress(label, done, total, rows): `done`/`total` in bytes of input, `total` may be 0.
ProgressFn = Callable[[str, int, int, int], None]


@dataclass
class ReadContext:
    """What a source gets while reading: where to count skips and warnings, how to hash."""

    info: SourceInfo
    salt: bytes
    keep_bodies: bool = True
    progress: ProgressFn | None = None
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    # A folder where a source may write staged Parquet files itself (None: it may not).
    scratch: Path | None = None
    # Times outside (earliest, latest) are skipped and counted when loaded (:func:`time_bounds`).
    time_bounds: tuple[datetime, datetime] | None = None

    @property
    def source_id(self) -> str:
        return self.info.source_id

    def skip(self, where: str, reason: str, n: int = 1) -> None:
        """Count ``n`` rows of ``where`` (a file name) skipped for ``reason``."""
        self.skipped[(where, reason)] += n

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def hash_identifier(self, value: str) -> str:
        """A salted hash of a personal identifier (an e-mail address), stable in this store."""
        norm = value.strip().lower().encode("utf-8")
        return hmac.new(self.salt, norm, hashlib.sha256).hexdigest()[:32]

    def report_progress(self, label: str, done: int, total: int, rows: int) -> None:
        if self.progress is not None:
            self.progress(label, done, total, rows)


class Source(Protocol):
    """A platform reader. See the module docstring.

    A source may also say ``body_format`` (a class attribute: ``"html"``, ``"markdown"`` or
    ``"email"``, :data:`communitas.model.BODY_FORMATS`): how its post bodies are written. The
    store records it with the source (``sources.body_format``, read by :func:`body_format`);
    the topic layer reads text by it. Without one, bodies are read as Markdown (HTML is
    recognised whatever a source says)."""

    platform: str

    def detect(self, path: Path) -> bool:
        """True when ``path`` looks like this platform's export (cheap: names, a peek), decided
        by :func:`recognises`."""
        ...

    def describe(self, path: Path, name: str | None = None) -> SourceInfo:
        """Platform, dataset name (``name`` overrides the derived one) and input fingerprint."""
        ...

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        """Yield canonical rows; count bad rows with ``ctx.skip``; raise InputError if unusable."""
        ...


def body_format(source: object) -> str:
    """How ``source``'s post bodies are written: its ``body_format``, else Markdown.

    >>> body_format(object())
    'markdown'
    """
    fmt = getattr(source, "body_format", None)
    return fmt if fmt in BODY_FORMATS else DEFAULT_BODY_FORMAT


# Before any online community could have written it: also catches a zero Unix time (1970-01-01).
EARLIEST = datetime(1971, 1, 1, tzinfo=UTC)


def time_bounds(source: object, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The plausible times of a source's records: from its platform's start (a source class may
    say ``earliest``, a UTC datetime; else :data:`EARLIEST`) to a day after now (an export cannot
    hold the future; a day covers clocks and time zones).

    >>> lo, hi = time_bounds(object(), now=datetime(2026, 1, 1, tzinfo=UTC))
    >>> lo.year, hi.isoformat()
    (1971, '2026-01-02T00:00:00+00:00')
    """
    earliest = getattr(source, "earliest", None) or EARLIEST
    return earliest, (now or datetime.now(UTC)) + timedelta(days=1)


def fingerprint_files(paths: Iterable[Path]) -> str:
    """XXH3-128 over the names and bytes of ``paths`` (sorted), read in 1 MiB chunks.

    A fast non-cryptographic hash (~10x SHA-256's speed): the fingerprint only tells whether an
    input is the one already ingested; it is not a defence against a crafted collision.
    """
    h = xxhash.xxh3_128()
    for p in sorted(paths, key=lambda q: q.name):
        h.update(p.name.encode("utf-8") + b"\0")
        with p.open("rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    return "xxh3-128:" + h.hexdigest()


class BatchBuilder:
    """Accumulates rows per table and hands out full batches: a table's batch is full at
    ``batch_rows`` rows or at ``batch_bytes`` characters of text, whichever comes first, so a
    batch of long e-mail bodies stays small enough for the staging engine's memory cap.

    >>> b = BatchBuilder(batch_rows=2)
    >>> b.add("posts", post_id="a", created_at="2020-01-01")
    >>> b.add("posts", post_id="b", created_at="2020-01-02")
    >>> [len(x) for x in b.full()]
    [2]
    >>> b.add("posts", post_id="c", created_at="2020-01-03")
    >>> [(x.table, x.columns["post_id"]) for x in b.drain()]
    [('posts', ['c'])]
    >>> b = BatchBuilder(batch_rows=100, batch_bytes=10)
    >>> b.add("posts", post_id="d", body="x" * 12)
    >>> [x.columns["post_id"] for x in b.full()]
    [['d']]
    """

    def __init__(self, batch_rows: int = 20_000, batch_bytes: int = 16 << 20) -> None:
        self.batch_rows = batch_rows
        self.batch_bytes = batch_bytes
        self._cols: dict[str, Columns] = {}
        self._n: Counter[str] = Counter()
        self._chars: Counter[str] = Counter()

    def add(self, table: str, **row: Any) -> None:
        cols = self._cols.get(table)
        if cols is None:
            cols = self._cols[table] = {k: [] for k in row}
        n = self._n[table]
        for k, v in row.items():
            col = cols.get(k)
            if col is None:
                col = cols[k] = [None] * n
            col.append(v)
        self._n[table] = n + 1
        self._chars[table] += sum(len(v) for v in row.values() if type(v) is str)
        for col in cols.values():
            if len(col) < n + 1:
                col.append(None)

    def full(self) -> Iterator[Batch]:
        """Batches that reached ``batch_rows`` or ``batch_bytes``; the rest stay buffered."""
        for table in [t for t, n in self._n.items()
                      if n >= self.batch_rows or (n and self._chars[t] >= self.batch_bytes)]:
            yield self._take(table)

    def drain(self) -> Iterator[Batch]:
        """Every buffered batch."""
        for table in [t for t, n in self._n.items() if n]:
            yield self._take(table)

    def _take(self, table: str) -> Batch:
        cols = self._cols.pop(table)
        self._n[table] = 0
        self._chars[table] = 0
        return Batch(table, cols)
