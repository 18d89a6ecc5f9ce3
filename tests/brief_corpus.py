"""A small community built in code for the brief's tests; every expected selection is worked out
by hand in ``tests/test_brief.py``. All times UTC; ``NOW`` (2024-06-30 12:00) is the last post.

Members: ``h`` (staff; the host), ``a`` and ``b`` (ask every other week), ``q`` (answered weekly
until 2023-12-31, then silent), ``r`` (asks every 40 days, last 100 days ago), ``c`` (asked five
times, 200 days ago), ``s`` (answered weekly from February to May 2024, then once after the
replay date), newcomers ``n1 n2 n3 n4 n6``. Tags: ``brew hops yeast old`` (created 2022-01-01),
``empty`` (2023-01-01, never used), ``late`` (2024-06-01, never used).

    O1        a, old, 2022-06-01 10:00; h answers +3 h
    W0..W51   a (even k) / b (odd k), brew, 2023-07-09 09:00 + 7k days
              k <= 25: q answers +3 h, h +4 h;  k >= 26: h answers +3 h (W51: at NOW)
              30 <= k <= 45: s answers +5 h;  k = 50: s answers on NOW - 1 day
    R0..R7    r, hops, NOW - 100 d - 40i d + 1 h; h answers +3 h
    C0..C4    c, yeast, NOW - 200 d - 7i d; h answers +3 h
    N1 n1 hops NOW-10h (no answer) · N2 n2 brew NOW-5d (h +3 h) · N3 n3 hops NOW-2h (no answer)
    N4 n4 hops NOW-40d (no answer) · N6 n6 hops NOW-6d (h answers at NOW-2d)
    U1 a brew NOW-3d, 2 upvotes · U2 b brew NOW-120d · U3 a brew NOW-1h
    U4 b hops NOW-10d, b's own comment NOW-9d
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

SID = "test:brief"
U = f"{SID}:u:"
T = f"{SID}:t:"
P = f"{SID}:p:"
TAG = f"{SID}:tag:"
NOW = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)
D, H = timedelta(days=1), timedelta(hours=1)

MEMBERS = ["h", "a", "b", "q", "r", "c", "s", "n1", "n2", "n3", "n4", "n6"]
PLACES = {"brew": "2022-01-01", "hops": "2022-01-01", "yeast": "2022-01-01", "old": "2022-01-01",
          "empty": "2023-01-01", "late": "2024-06-01"}


def corpus() -> tuple[list[tuple[str, str, str, datetime]], list[tuple[str, str, str, datetime, str]]]:
    """``threads``: (thread, starter, tag, started); ``posts``: (post, thread, author, at, kind)."""
    threads: list[tuple[str, str, str, datetime]] = []
    posts: list[tuple[str, str, str, datetime, str]] = []

    def thread(tid: str, starter: str, tag: str, at: datetime, answers: list[tuple[str, datetime]]) -> None:
        threads.append((tid, starter, tag, at))
        posts.append((tid + "q", tid, starter, at, "question"))
        for n, (who, when) in enumerate(answers):
            posts.append((f"{tid}a{n}", tid, who, when, "comment" if who == starter else "answer"))

    o1 = datetime(2022, 6, 1, 10, tzinfo=UTC)
    thread("O1", "a", "old", o1, [("h", o1 + 3 * H)])
    w0 = datetime(2023, 7, 9, 9, tzinfo=UTC)
    for k in range(52):
        at = w0 + 7 * k * D
        ans = [("q", at + 3 * H), ("h", at + 4 * H)] if k <= 25 else [("h", at + 3 * H)]
        if 30 <= k <= 45:
            ans.append(("s", at + 5 * H))
        if k == 50:
            ans.append(("s", NOW - D))
        thread(f"W{k}", "a" if k % 2 == 0 else "b", "brew", at, ans)
    for i in range(8):
        at = NOW - (100 + 40 * i) * D + H
        thread(f"R{i}", "r", "hops", at, [("h", at + 3 * H)])
    for i in range(5):
        at = NOW - (200 + 7 * i) * D
        thread(f"C{i}", "c", "yeast", at, [("h", at + 3 * H)])
    thread("N1", "n1", "hops", NOW - 10 * H, [])
    thread("N2", "n2", "brew", NOW - 5 * D, [("h", NOW - 5 * D + 3 * H)])
    thread("N3", "n3", "hops", NOW - 2 * H, [])
    thread("N4", "n4", "hops", NOW - 40 * D, [])
    thread("N6", "n6", "hops", NOW - 6 * D, [("h", NOW - 2 * D)])
    thread("U1", "a", "brew", NOW - 3 * D, [])
    thread("U2", "b", "brew", NOW - 120 * D, [])
    thread("U3", "a", "brew", NOW - H, [])
    thread("U4", "b", "hops", NOW - 10 * D, [("b", NOW - 9 * D)])
    return threads, posts


def reactions() -> list[tuple[str, str, str, datetime]]:
    """(reaction, post, kind, at): two upvotes on U1's question an hour after it."""
    at = NOW - 3 * D + H
    return [("x1", "U1q", "upvote", at), ("x2", "U1q", "upvote", at)]


Threads = list[tuple[str, str, str, datetime]]
Posts = list[tuple[str, str, str, datetime, str]]


def build(ws: Any, before: datetime | None = None, data: tuple[Threads, Posts] | None = None,
          bodies: dict[str, str] | None = None) -> None:
    """Insert the corpus (or ``data``: threads and posts as :func:`corpus` gives them) into
    ``ws``; with ``before``, only what happened before it (a store as ingested then). ``bodies``
    (post → text) gives posts a body; the others have none."""
    def keep(at: datetime) -> bool:
        return before is None or at < before

    threads, posts = data or corpus()
    posts = [p for p in posts if keep(p[3])]
    active = {p[2] for p in posts}
    con = ws.con
    con.execute("INSERT INTO sources (source_id, platform, name) VALUES (?, 'test', 'brief')", [SID])
    con.executemany("INSERT INTO members (member_id, source_id, is_staff, display_name) VALUES (?, ?, ?, ?)",
                    [(U + m, SID, m == "h", f"[b]{m.upper()}[/b] {m}@example.org") for m in sorted(active)])
    con.executemany("INSERT INTO places (place_id, source_id, kind, name, created_at) "
                    "VALUES (?, ?, 'tag', ?, ?)",
                    [(TAG + n, SID, n, f"{d} 00:00+00") for n, d in PLACES.items()
                     if keep(datetime.fromisoformat(d).replace(tzinfo=UTC))])
    kept = [t for t in threads if keep(t[3])]
    con.executemany("INSERT INTO threads (thread_id, source_id, place_id, author_id, created_at) "
                    "VALUES (?, ?, ?, ?, ?)", [(T + t, SID, TAG + tag, U + s, at) for t, s, tag, at in kept])
    con.executemany("INSERT INTO thread_places VALUES (?, ?, ?, 0)",
                    [(T + t, TAG + tag, SID) for t, _, tag, _ in kept])
    author = {p[0]: p[2] for p in posts}
    to = {p[0]: (p[5] if len(p) > 5 else p[1] + "q") for p in posts if p[4] != "question"}  # type: ignore[misc]
    con.executemany(
        "INSERT INTO posts (post_id, source_id, thread_id, author_id, created_at, reply_to_post_id, "
        "reply_to_member_id, kind, is_contribution, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, true, ?)",
        [(P + pid, SID, T + tid, U + who, at, P + to[pid] if pid in to else None,
          U + author[to[pid]] if pid in to else None, kind, (bodies or {}).get(pid))
         for pid, tid, who, at, kind, *_ in posts])
    votes = [(SID + ":r:" + r, SID, P + p, k, at) for r, p, k, at in reactions() if keep(at) and data is None]
    if votes:
        con.executemany("INSERT INTO reactions (reaction_id, source_id, post_id, kind, created_at) "
                        "VALUES (?, ?, ?, ?, ?)", votes)
