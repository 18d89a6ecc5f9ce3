"""Brief items for the dashboard: from ``communitas.brief`` when that layer exists, otherwise the
facilitator's simplest to-do list, threads that nobody has answered yet (newest first)."""

from __future__ import annotations

from typing import Any

from communitas.report.context import scrub
from communitas.web import brief_state


def brief_items(ws: Any, *, source_id: str | None = None, limit: int = 15) -> list[dict[str, Any]]:
    """Items with ``id``, ``title``, ``why``, ``kind``, ``kind_title``, ``track`` (the track record
    in words, :func:`communitas.brief.track.track_record`), ``situation`` (the figures a done or
    dismissed mark remembers) and optionally ``thread_id``."""
    try:
        from communitas import brief
    except ImportError:
        return unanswered_threads(ws, source_id=source_id, limit=limit)
    return [shown(i) for i in brief.items(ws, source_id=source_id, limit=limit)]


def shown(i: dict[str, Any]) -> dict[str, Any]:
    """One brief item (:meth:`BriefItem.to_dict`) as the Brief page shows it."""
    from communitas.brief import KINDS
    from communitas.brief.track import track_record

    kind = str(i.get("kind", ""))
    return {"id": str(i["id"]), "title": scrub(str(i.get("title", ""))), "why": scrub(str(i.get("why", ""))),
            "thread_id": i.get("thread_id"), "kind": kind,
            "kind_title": KINDS[kind].title if kind in KINDS else kind,
            "track": track_record(kind, i.get("track_record")),
            "situation": brief_state.situation(i)}


def unanswered_threads(ws: Any, *, source_id: str | None, limit: int) -> list[dict[str, Any]]:
    from communitas.metrics.interaction import thread_stats
    from communitas.metrics.scope import Scope

    backend = ws.ibis()
    stats = thread_stats(backend, Scope(source_id=source_id))
    stats = stats.filter(stats.responses == 0).order_by([stats.started_at.desc(), stats.thread_id])
    threads = backend.table("threads").select(tid="thread_id", title="title")
    df = stats.limit(limit).left_join(threads, stats.thread_id == threads.tid).execute()
    df = df.sort_values(["started_at", "thread_id"], ascending=[False, True])
    return [{"id": f"unanswered:{r['thread_id']}", "thread_id": r["thread_id"],
             "title": scrub(r["title"]) or "(untitled)",
             "why": f"no response since {str(r['started_at'])[:10]}"} for r in df.to_dict("records")]
