"""What every section build function receives: the store, the options, and shared helpers."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from communitas.markup import html_to_text
from communitas.masking import ADDRESS

if TYPE_CHECKING:
    from communitas.metrics.scope import Scope
    from communitas.store import Workspace

# A snippet reads at most this much of a body: its cost does not depend on the message's length.
SNIPPET_READ = 16_384
_EMAIL = ADDRESS  # one pattern for addresses, linear on any text (communitas.masking)
_SPACE = re.compile(r"\s+")
_ADJECTIVES = ("amber", "brisk", "calm", "deft", "eager", "fair", "gentle", "hardy", "keen", "lively",
               "mellow", "nimble", "plucky", "quiet", "rapid", "steady", "tidy", "vivid", "warm", "witty")
_NOUNS = ("otter", "heron", "lynx", "finch", "badger", "marten", "puffin", "wren", "ibex", "koala",
          "lemur", "newt", "osprey", "panda", "quail", "raven", "stoat", "tapir", "vole", "yak")


def scrub(text: object) -> str:
    """Member text made safe to show: e-mail addresses replaced (escaping is the template's job).
    Anything that is not a string (None, a missing value) shows as empty.

    >>> scrub("write to ann@example.com"), scrub(float("nan"))
    ('write to [address removed]', '')
    """
    return _EMAIL.sub("[address removed]", text) if isinstance(text, str) else ""


def snippet(body: object, limit: int = 160) -> str:
    """A plain-text excerpt of a post body: tags dropped, entities decoded, addresses removed."""
    raw = body[:SNIPPET_READ] if isinstance(body, str) else ""
    text = _SPACE.sub(" ", html_to_text(raw, tag_gap=" ")).strip()
    text = scrub(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class Pseudonyms:
    """Stable pseudonyms for members (salted hash of the member id), or their names if asked.

    >>> p = Pseudonyms(b"salt", show_names=False)
    >>> p.name("se:x:u:1", "Alice") == p.name("se:x:u:1", "Bob")
    True
    >>> "Alice" in p.name("se:x:u:1", "Alice")
    False
    """

    def __init__(self, salt: bytes, *, show_names: bool = False) -> None:
        self.salt = salt
        self.show_names = show_names

    def pseudonym(self, member_id: str) -> str:
        digest = hashlib.sha256(self.salt + member_id.encode()).digest()
        adj, noun = _ADJECTIVES[digest[0] % len(_ADJECTIVES)], _NOUNS[digest[1] % len(_NOUNS)]
        return f"{adj} {noun} {digest[2:4].hex()}"

    def name(self, member_id: str | None, display_name: str | None = None) -> str:
        """What to show for a member: a pseudonym, or (``show_names``) the scrubbed name."""
        if member_id is None:
            return "(deleted account)"
        if self.show_names and display_name:
            return scrub(display_name)
        return self.pseudonym(member_id)


@dataclass
class ReportContext:
    """The store and options a section builds from; ``profile`` is computed once, on demand."""

    ws: Workspace
    source_id: str | None = None
    period: str = "month"
    include_bots: bool = False
    place: str | None = None
    since: str | None = None
    until: str | None = None
    pseudonyms: Pseudonyms = field(default_factory=lambda: Pseudonyms(b""))
    extras: dict[str, Any] = field(default_factory=dict)
    _profile: dict[str, Any] | None = None

    @property
    def backend(self) -> Any:
        return self.ws.ibis()

    @property
    def scope(self) -> Scope:
        """What the report is about, as every metric (and the drill-down, the network, the topics
        and the brief) takes it: the window ``[since, until)``, the place, the source, bots."""
        from communitas.metrics.scope import Scope

        return Scope.of(since=self.since, until=self.until, place=self.place, source_id=self.source_id,
                        include_bots=self.include_bots)

    @property
    def profile(self) -> dict[str, Any]:
        """The whole profile dict (``communitas.metrics.profile.build_profile``)."""
        if self._profile is None:
            from communitas.metrics.profile import build_profile

            self._profile = build_profile(self.ws, self.scope, period=self.period)
        return self._profile


def store_salt(ws: Workspace) -> bytes:
    """The store's salt (also used for e-mail hashes), so pseudonyms are stable per store."""
    rows = ws.con.execute("SELECT value FROM meta WHERE key = 'salt'").fetchall()
    return bytes.fromhex(rows[0][0]) if rows else b""
