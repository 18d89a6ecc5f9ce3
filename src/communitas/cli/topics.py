"""``communitas topics``: the common ties in what members write."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from communitas.cli.common import JsonOpt, StoreOpt, console, print_json
from communitas.errors import UsageError
from communitas.metrics.units import format_figure
from communitas.store import Workspace


def _parse_k(value: str) -> int | str:
    if value == "auto":
        return value
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise UsageError(f"--topics {value!r}: give a number of topics (e.g. 10) or auto.")


def topics(
    k: Annotated[str, typer.Option(
        "-k", "--topics", help="Number of topics, or auto (chosen by topic coherence).")] = "auto",
    period: Annotated[str, typer.Option(help="week, month, quarter or year (topics over time).")] = "month",
    source: Annotated[str | None, typer.Option(
        help="Only this source id (see `communitas sources`).")] = None,
    last: Annotated[int, typer.Option(help="Periods the rising/falling test looks at.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed of the model (same seed, same topics).")] = 0,
    method: Annotated[str, typer.Option(
        help="tfidf-nmf (default, no extra needed) or embeddings (needs communitas[embeddings]).")
    ] = "tfidf-nmf",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find the themes members write about, their trend, and themes with no place of their own.

    Example: communitas topics -k auto --period quarter --json
    """
    from communitas.topics import fit_topics, outputs, read_corpus

    n_topics = _parse_k(k)
    if period not in ("week", "month", "quarter", "year"):
        raise UsageError(f"--period {period}: choose week, month, quarter or year.")
    if method not in ("tfidf-nmf", "embeddings"):
        raise UsageError(f"--method {method}: choose tfidf-nmf or embeddings.")
    with Workspace(store, read_only=True) as ws:
        corpus = read_corpus(ws, source_id=source)
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
        home = ", ".join(t["places"][:3]) or "—"
        if t["demand_for_place"]:
            home = "[bold yellow]none: demand for a place[/]"
        table.add_row(str(t["topic"]), ", ".join(t["top_terms"]), f"{t['threads']:,}",
                      format_figure("share", t["share"]), t["trend"], home,
                      (t["representative"] or [""])[0][:60])
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(topics)
