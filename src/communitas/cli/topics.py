"""``communitas topics``: the common ties in what members write."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from communitas.cli.common import (
    JsonOpt,
    LastOpt,
    MethodOpt,
    PeriodOpt,
    PlaceOpt,
    SeedOpt,
    SinceOpt,
    SourceOpt,
    StoreOpt,
    TopicsOpt,
    UntilOpt,
    check_window,
    console,
    parse_topics,
    print_json,
)
from communitas.metrics.units import format_figure
from communitas.store import Workspace


def topics(
    k: TopicsOpt = "auto",
    period: PeriodOpt = "month",
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    place: PlaceOpt = None,
    last: LastOpt = 12,
    seed: SeedOpt = 0,
    method: MethodOpt = "tfidf-nmf",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find the themes members write about, their trend, and themes with no place of their own.

    Example: communitas topics -k auto --period quarter --json
    """
    from communitas.topics import fit_topics, outputs, read_corpus

    check_window(since, until)
    n_topics = parse_topics(k)
    with Workspace(store, read_only=True) as ws:
        corpus = read_corpus(ws, source_id=source, since=since, until=until, place=place)
    if method == "embeddings":
        from communitas.topics.embeddings import fit_embedding_topics

        model = fit_embedding_topics(corpus, k=n_topics, seed=seed)
    else:
        model = fit_topics(corpus, k=n_topics, seed=seed)
    data = outputs.summary(model, period=period, last=last)
    data["similar_member_pairs"] = len(outputs.member_similarity(model))
    if as_json:
        print_json(data)
        return
    _print(data)


def _print(data: dict[str, Any]) -> None:
    scores = ", ".join(f"{k}: {v:.3f}" for k, v in data["k_scores"].items())
    console.print(f"{data['threads']:,} threads ({data['modelled_threads']:,} long enough to model), "
                  f"{data['terms']:,} terms, languages "
                  f"{'+'.join(data['languages']) or '?'}; {data['k']} topics ({data['method']}, "
                  f"k by {data['k_criterion']} coherence: {scores})", highlight=False)
    table = Table(title=f"topics (trend: {data['trend_test']}, per {data['period']})")
    for col in ("#", "top terms", "threads", "share", "trend", "home places", "example thread"):
        table.add_column(col)
    for t in data["topics"]:
        home = Text(", ".join(t["places"][:3]) or "—")
        if t["demand_for_place"]:
            home = Text("none: demand for a place", style="bold yellow")
        table.add_row(str(t["topic"]), Text(", ".join(t["top_terms"])), f"{t['threads']:,}",
                      format_figure("share", t["share"]), t["trend"], home,
                      Text((t["representative"] or [""])[0][:60]))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(topics)
