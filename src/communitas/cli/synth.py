"""``communitas synth``: a synthetic community for scale tests and benchmarks (docs/scale.md)."""

from __future__ import annotations

import typer

from communitas.cli.common import (
    SourceOpt,
    SynthFormatOpt,
    SynthLikeOpt,
    SynthOutOpt,
    SynthPostsOpt,
    SynthSeedOpt,
    console,
    err_console,
)
from communitas.errors import InputNotFound


def synth(
    out: SynthOutOpt,
    posts: SynthPostsOpt = 10_000,
    like: SynthLikeOpt = None,
    source: SourceOpt = None,
    seed: SynthSeedOpt = 0,
    fmt: SynthFormatOpt = "stackexchange",
) -> None:
    """Draw a synthetic community and write it as it is drawn (flat memory, any size).

    For scale and benchmarks only, never for correctness tests.

    Example: communitas synth --posts 1000000 --like beer.duckdb --out synth-1m
    """
    from communitas.synth import synthesize

    if like is not None and not like.exists():
        raise InputNotFound(f"{like}: no such store to fit to; give a store made by `communitas ingest`.")
    with err_console.status("drawing...") as status:
        report = synthesize(out, posts, fmt=fmt, like=like, source_id=source, seed=seed,
                            progress=lambda n: status.update(f"drawing... {n:,} posts"))
    console.print(f"wrote {report.posts:,} posts in {report.threads:,} threads by {report.members:,} members "
                  f"to {report.out} ({report.fmt}, fitted to {report.fitted_to}) in {report.seconds:.1f} s",
                  highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(synth)
