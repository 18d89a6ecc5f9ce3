"""Sections backed by optional layers: the network picture and stage timeline, topics, the brief.

Each imports its layer inside its build function, so a build without that layer leaves the section
out with a note (``ImportError``) instead of failing.
"""

from __future__ import annotations

from typing import Any

from communitas.errors import CommunitasError
from communitas.metrics.units import format_figure
from communitas.report.charts import Chart
from communitas.report.context import ReportContext, scrub
from communitas.report.sections import SectionEmpty, SectionHidden, section


@section("network", "The interaction network", order=60)
def build_network(ctx: ReportContext) -> dict[str, Any] | None:
    from communitas.network import GraphOptions, analyse
    from communitas.network.picture import picture_spec
    from communitas.network.stages import timeline
    from communitas.network.summary import records, stage_chart_spec

    result = analyse(ctx.backend, GraphOptions(scope=ctx.scope), roles=False, graphs="last")
    if result.figures.empty or not result.graphs:
        raise SectionEmpty("too few replies between members to draw a network")
    key = sorted(result.graphs)[-1]
    row = result.figures.set_index("window").loc[key]
    labels = _labels(ctx, result.graphs[key])
    title = f"Last window: {str(row['start'])[:10]} → {str(row['end'])[:10]} · {row['stage']}"
    picture = picture_spec(result.graphs[key], names=labels, title=title)
    stages = [{"stage": r["stage"], "from": str(r["first_start"])[:10], "to": str(r["last_end"])[:10],
               "windows": r.get("windows", "")} for r in records(timeline(result.figures))]
    return {"charts": [
        Chart("network-picture", "Who replies to whom", picture,
              "Members of the last 90-day window; colour = cluster, size = contacts, diamond = staff."),
        Chart("network-stages", "Network stage over time", stage_chart_spec(result.figures),
              "One bar per 90-day window, height = reply ties, colour = stage."),
    ], "reading": scrub(str(row.get("reading", ""))), "stages": stages}


def _labels(ctx: ReportContext, graph: Any) -> dict[str, str] | None:
    """Picture labels: pseudonyms by default, (scrubbed) display names with ``--names``."""
    ids = [str(v) for v in graph.vs["name"]] if "name" in graph.vs.attributes() else []
    if not ids:
        return None
    if not ctx.pseudonyms.show_names:
        return {m: ctx.pseudonyms.pseudonym(m) for m in ids}
    from communitas.network.graph import display_names

    names = display_names(ctx.backend)
    return {m: ctx.pseudonyms.name(m, names.get(m)) for m in ids}


REPORT_TOPIC_THREADS = 5_000
"""Most threads the report's topics read (every n-th in time beyond it): their text and
document-term matrix are what the report holds in memory, so a larger store stays under
``$COMMUNITAS_MEMORY`` (``communitas topics`` reads every thread). At 20,000 the 1 M-post report
peaked at 1,381 MB; at 5,000, 957 MB (``docs/scale.md``)."""


@section("topics", "Topics", order=70, component="common_ties")
def build_topics(ctx: ReportContext) -> dict[str, Any] | None:
    from communitas.topics import fit_topics, read_corpus
    from communitas.topics.outputs import summary

    try:
        sc = ctx.scope
        corpus = read_corpus(ctx.ws, source_id=sc.source_id, since=sc.since, until=sc.until, place=sc.place,
                             max_threads=REPORT_TOPIC_THREADS)
        model = fit_topics(corpus, k="auto", seed=0)
    except (CommunitasError, ValueError, IndexError) as e:  # no text, or too little to fit a model
        raise SectionEmpty(f"too little text for topics ({e})") from None
    data = summary(model, period=ctx.period)
    if not data["topics"]:
        raise SectionEmpty("no topics found")
    rows = [{"topic": scrub(t["label"]), "terms": ", ".join(scrub(x) for x in t["top_terms"]),
             "threads": f"{t['threads']:,}", "share": format_figure("share", t["share"]), "trend": t["trend"],
             "places": ", ".join(scrub(x) for x in t["places"])} for t in data["topics"]]
    return {"intro": f"{data['k']} topics from {data['threads']:,} threads ({data['method']}); "
                     f"trend: {data['trend_test']}.",
            "tables": [{"title": "Topics", "rows": rows, "numeric": ["threads", "share"],
                        "columns": ["topic", "terms", "threads", "share", "trend", "places"]}]}


BRIEF_ITEMS = 15  # the report's brief is the ranked list's head (`communitas brief` shows more)


# First: what to do this week comes before the diagnosis behind it.
@section("brief", "The animator's brief", order=1, hidden_without_module=True)
def build_brief(ctx: ReportContext) -> dict[str, Any] | None:
    from communitas import brief

    sc = ctx.scope
    items = brief.items(ctx.ws, source_id=sc.source_id, since=sc.since, until=sc.until, place=sc.place,
                        limit=BRIEF_ITEMS, names=ctx.pseudonyms.show_names)
    if not items:
        raise SectionEmpty("nothing to suggest for this selection")
    from communitas.brief.track import track_record

    return {"items": [{"kind": str(i.get("kind", "")), "title": scrub(str(i.get("title", ""))),
                       "kind_title": brief.KINDS[str(i["kind"])].title if i.get("kind") in brief.KINDS
                       else str(i.get("kind", "")),
                       "why": scrub(str(i.get("why", ""))),
                       "track": track_record(str(i.get("kind", "")), i.get("track_record"))} for i in items]}


@section("compare", "Communities compared", order=85)
def build_compare(ctx: ReportContext) -> dict[str, Any] | None:
    from communitas.report.compare import MONTHS, table_rows

    communities = ctx.extras.get("compare")
    if not communities:
        raise SectionHidden("no comparison asked for")
    ids = [c["source_id"] for c in communities]
    return {"intro": f"Each community over its first {MONTHS} months, counts per 100 active members.",
            "tables": [{"title": "Four-component figures, normalised", "numeric": ids,
                        "columns": ["component", "figure", *ids], "rows": table_rows(communities)}]}
