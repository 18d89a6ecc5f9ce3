"""JWZ-style threading of e-mail messages that survives missing parents.

Rules (documented in ``docs/sources/mailing-lists.md``):

1. **Parent.** A message's ancestors are its ``References`` ids, oldest first, with
   ``In-Reply-To`` appended when it is not already last. Its *direct parent* is the last one.
   When that message is in the archive, the message replies to it (``reply_to_post_id``);
   a parent link that would make a loop is ignored.
2. **Thread.** Messages that share any id in their ancestor chains belong to one thread, even
   when the shared ancestors are themselves missing from the archive (JWZ's "dummy
   containers"): two replies to a message from before the archive starts still share a thread.
   A message whose direct parent is missing has no ``reply_to_post_id`` (we do not guess whom
   it answered), but it keeps its thread.
3. **Subject fallback.** A thread whose first message carries *no* ancestor ids but whose
   subject has a reply prefix (``Re:``, ``Aw:``, ``Sv:`` ...), or whose ancestors are all
   missing, joins the latest earlier thread with the same normalised subject (list tags and
   prefixes removed, case and spaces folded) that was active within ``SUBJECT_WINDOW_DAYS``.
   Such messages get no ``reply_to_post_id``: the subject says which conversation, not which
   message.
4. The thread's root is its earliest message without a parent in the archive; the thread id and
   title come from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SUBJECT_WINDOW_DAYS = 30


@dataclass(slots=True)
class Mail:
    """What threading needs to know about one message."""

    index: int
    msgid: str
    refs: list[str]
    subject_key: str
    is_reply_subject: bool
    at: float  # POSIX seconds
    parent: int | None = None  # index of the direct parent, when in the archive
    thread: int = -1  # index of the thread's root message


@dataclass
class _UnionFind:
    parent: dict[str, str] = field(default_factory=dict)

    def find(self, x: str) -> str:
        root = x
        while (p := self.parent.get(root, root)) != root:
            root = p
        while x != root:
            nxt = self.parent.get(x, x)
            self.parent[x] = root
            x = nxt
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def thread(mails: list[Mail]) -> list[Mail]:
    """Fill ``parent`` and ``thread`` of every message (ids must be unique)."""
    by_id = {m.msgid: m for m in mails}
    _link_parents(mails, by_id)
    groups = _components(mails)
    roots = _roots(groups, mails)
    _merge_by_subject(groups, roots, mails)
    return mails


def _link_parents(mails: list[Mail], by_id: dict[str, Mail]) -> None:
    for m in sorted(mails, key=lambda x: (x.at, x.index)):
        if not m.refs:
            continue
        p = by_id.get(m.refs[-1])
        if p is None or p is m or _is_ancestor(m, p, mails):
            continue
        m.parent = p.index


def _is_ancestor(m: Mail, p: Mail, mails: list[Mail]) -> bool:
    """True when ``m`` is already an ancestor of ``p`` (linking would make a loop)."""
    seen = 0
    cur: int | None = p.index
    while cur is not None and seen <= len(mails):
        if cur == m.index:
            return True
        cur = mails[cur].parent
        seen += 1
    return False


def _components(mails: list[Mail]) -> dict[str, list[Mail]]:
    uf = _UnionFind()
    for m in mails:
        for ref in m.refs:
            uf.union(ref, m.msgid)
    groups: dict[str, list[Mail]] = {}
    for m in mails:
        groups.setdefault(uf.find(m.msgid), []).append(m)
    return groups


def _roots(groups: dict[str, list[Mail]], mails: list[Mail]) -> dict[str, Mail]:
    """Each group's root: its earliest message without a parent in the archive."""
    roots = {}
    for key, members in groups.items():
        orphans = [m for m in members if m.parent is None] or members
        root = min(orphans, key=lambda x: (x.at, x.index))
        roots[key] = root
        for m in members:
            m.thread = root.index
    return roots


def _merge_by_subject(groups: dict[str, list[Mail]], roots: dict[str, Mail], mails: list[Mail]) -> None:
    window = SUBJECT_WINDOW_DAYS * 86400.0
    latest: dict[str, tuple[float, int]] = {}  # subject -> (last activity, root index)
    order = sorted(groups, key=lambda k: (roots[k].at, roots[k].index))
    for key in order:
        root, members = roots[key], groups[key]
        subject = root.subject_key
        orphan = not root.refs and root.is_reply_subject
        cut = bool(root.refs) and root.parent is None
        seen = latest.get(subject)
        if subject and (orphan or cut) and seen and root.at - seen[0] <= window:
            for m in members:
                m.thread = seen[1]
            target = seen[1]
        else:
            target = root.index
        last = max(m.at for m in members)
        if subject:
            prev = latest.get(subject)
            latest[subject] = (max(last, prev[0]) if prev and prev[1] == target else last, target)
