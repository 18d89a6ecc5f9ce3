"""Synthetic communities for scale tests and benchmarks (``communitas synth``), never for
correctness tests: a seeded generative model (:mod:`communitas.synth.model`) drawing from
distributions fitted to a real store or built in (:mod:`communitas.synth.fit`), written as it is
drawn, as a Stack Exchange dump folder or as canonical Parquet. See docs/scale.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from communitas.synth.fit import Fit, default_fit, fit_store
from communitas.synth.model import Community, Member, Thread

FORMATS = ("stackexchange", "parquet")


class Sink(Protocol):
    def thread(self, th: Thread, tag_names: list[str]) -> None: ...
    def members(self, members: list[Member]) -> None: ...
    def close(self, tag_names: list[str], tag_counts: list[int]) -> dict[str, int]: ...


@dataclass(frozen=True)
class SynthReport:
    out: Path
    fmt: str
    posts: int
    threads: int
    members: int
    counts: dict[str, int]
    fitted_to: str
    seconds: float


def _sink(out: Path, fmt: str) -> Sink:
    if fmt == "parquet":
        from communitas.synth.parquet import ParquetWriter

        return ParquetWriter(out, out.name or "synthetic")
    from communitas.synth.stackexchange import StackExchangeWriter

    return StackExchangeWriter(out)


def synthesize(out: Path, posts: int, *, fmt: str = "stackexchange", like: Path | None = None,
               source_id: str | None = None, seed: int = 0,
               progress: Callable[[int], None] | None = None) -> SynthReport:
    """Draw a community of exactly ``posts`` contributions into the folder ``out``."""
    started = time.perf_counter()
    fit: Fit = fit_store(like, source_id) if like is not None else default_fit()
    community = Community(fit, posts, seed)
    names = community.tag_names()
    sink = _sink(out, fmt)
    threads = members = 0
    for th in community.threads():
        sink.thread(th, names)
        threads += 1
        if community.left:
            sink.members(community.left)
            members += len(community.left)
            community.left.clear()
        if progress is not None and threads % 1000 == 0:
            progress(community.written)
    sink.members(community.left)
    members += len(community.left)
    community.left.clear()
    counts = sink.close(names, community.tag_count.tolist())
    return SynthReport(out, fmt, community.written, threads, members, counts, fit.origin,
                       time.perf_counter() - started)
