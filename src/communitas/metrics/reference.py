"""Published reference bands, each with its citation, to show beside the figures they anchor.

The bands live in ``reference_bands.json`` (one place to read, cite and amend them). Each band
names the profile figure it anchors as ``<component>.<headline key>`` (e.g.
``social_interaction.answered_share``), its value, whether it is a target (``at_least``) or a
published observation to compare with (``reference``), the kind of community it was measured on
(``context``, in words), and its citation.

Each band also names, in ``applies_to``, the capability of the data it needs (:data:`CAPABILITIES`).
A band is judged, and shown, only where the data in scope has that capability: Area 51's
"15 questions per day" says nothing about a chat workspace. Capabilities are read from the
canonical tables (the kinds of posts), never from a platform's name.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import ibis.expr.types as ir

from communitas.metrics import scope as sc
from communitas.metrics.scope import ALL, Scope, scoped

BANDS_FILE = "reference_bands.json"

# What a band may require of the data in scope (``applies_to``), and what holds it true.
CAPABILITIES: dict[str, str] = {
    "any": "every community",
    "question_answer": "every source in scope has posts of kind `question` and posts of kind `answer` "
                       "(questions answered by posts marked as answers, not by any reply)",
    "threaded_discussion": "every source in scope has posts of a kind other than `message` (threads "
                           "opened by a post of their own, as in a forum, list or Q&A site, not "
                           "conversations that communitas cuts out of a chat channel's stream)",
    "reputation": "every source in scope has a member with a reputation (`members.score`)",
    "accepted_answers": "every source in scope has a thread with an accepted answer "
                        "(`threads.accepted_post_id`)",
}


@cache
def _load() -> tuple[dict[str, Any], ...]:
    text = resources.files("communitas.metrics").joinpath(BANDS_FILE).read_text(encoding="utf-8")
    return tuple(json.loads(text)["bands"])


def bands() -> list[dict[str, Any]]:
    """Every reference band (copies, safe to modify).

    >>> sorted({b["id"].split("_")[0] for b in bands()})
    ['area51', 'burke', 'joyce', 'van']
    """
    return [dict(b) for b in _load()]


def bands_for(metric: str) -> list[dict[str, Any]]:
    """The bands anchoring one figure, e.g. ``bands_for("people.top1_share")``."""
    return [b for b in bands() if b["metric"] == metric]


@scoped
def capabilities(backend: Any, scope: Scope = ALL) -> dict[str, bool]:
    """Which of :data:`CAPABILITIES` the contributions in scope have (each source must have it:
    a store mixing a Q&A site and a chat workspace is not judged as a Q&A site)."""
    p = sc.posts(backend, scope)
    per = p.group_by("source_id").aggregate(
        question=(p.kind == "question").any(), answer=(p.kind == "answer").any(),
        threaded=(p.kind != "message").any())
    rep = reputation_sources(backend).mutate(reputation=True)
    acc = accepted_answer_sources(backend).mutate(accepted=True)
    per = per.left_join(rep, "source_id").drop("source_id_right")
    per = per.left_join(acc, "source_id").drop("source_id_right").execute()
    present = len(per) > 0

    def every(col: str) -> bool:
        return present and bool(per[col].astype("boolean").fillna(False).all())

    return {
        "any": True,
        "question_answer": present and bool((per["question"].fillna(False)
                                             & per["answer"].fillna(False)).all()),
        "threaded_discussion": every("threaded"),
        "reputation": every("reputation"),
        "accepted_answers": every("accepted"),
    }


def reputation_sources(backend: Any) -> ir.Table:
    """``source_id`` of every source that **has reputation**: some member carries a ``score``."""
    members = backend.table("members")
    return members.filter(members.score.notnull()).select("source_id").distinct()


def accepted_answer_sources(backend: Any) -> ir.Table:
    """``source_id`` of every source that **has accepted answers**: some thread has one."""
    threads = backend.table("threads")
    return threads.filter(threads.accepted_post_id.notnull()).select("source_id").distinct()


def compare(headlines: dict[str, dict[str, Any]], capable: dict[str, bool] | None = None
            ) -> list[dict[str, Any]]:
    """Each band with the ``observed`` figure it anchors (from ``{component: {key: value}}``;
    None where the profile has no value), whether it ``applies`` (its ``applies_to`` is in
    ``capable``; every band applies when ``capable`` is None) and, for targets that apply,
    whether it is ``met`` (None otherwise)."""
    out = []
    for band in bands():
        component, key = band["metric"].split(".", 1)
        observed = headlines.get(component, {}).get(key)
        applies = True if capable is None else bool(capable.get(band["applies_to"], False))
        met = None
        if applies and band["direction"] == "at_least" and observed is not None:
            met = bool(observed >= band["value"])
        out.append({**band, "observed": observed, "applies": applies, "met": met})
    return out
