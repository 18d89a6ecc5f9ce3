"""Who really sent a message that a list server relayed: one rule set for every sender rewriting.

List servers rewrite ``From`` to their own address so that relayed mail passes DMARC checks. Taken
at face value, every rewritten message would come from one "member" — the list. :func:`real_sender`
undoes the documented rewritings (``docs/sources/mailing-lists.md``, "Who sent a message"):

=============================== ================================================================
server                          what arrives
=============================== ================================================================
Google Groups                   ``"'Alice' via grp" <grp@googlegroups.com>``; the author in
                                ``X-Original-Sender`` (sometimes ``X-Original-From``), Reply-To
                                often the group
Mailman 2.1 / 3 (DMARC          ``"Alice via List" <list@host>`` (munge_from, wrap_message,
mitigation, from_is_list)       from_is_list); the author in ``Reply-To`` — in ``Cc`` when the list
                                sets Reply-To itself — and Mailman's ``X-MailFrom``
Groups.io                       ``"Alice via groups.io" <alice=example.org@groups.io>``: the
                                author's address encoded in the local part
Sympa (dmarc_protection)        From the list (or ``other_email``), the name ``Alice``,
                                ``Alice (alice@x)``, ``Alice via List``, ``Alice (alice@x) via
                                List`` or ``List on behalf of Alice``
kernel.org lists, Sietima       ``X-Original-From`` / ``Original-From`` (RFC 5703)
Discourse mailing-list mode     ``"alice via Forum" <notifications@forum>``, Message-ID
                                ``<topic/N/M@forum>``, Reply-To a per-message reply address: the
                                author's address is never sent
=============================== ================================================================

When the author's address cannot be recovered but their display name can, the message gets a
member of its own per (relay address, display name) — :attr:`Sender.key` — instead of the relay
address's single member. The function is pure (it runs in parsing workers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from communitas.sources.email_text import sender

# the rules, in the order they are tried once the From is known to be a relay's
X_ORIGINAL_SENDER = "X-Original-Sender"
ORIGINAL_FROM = "X-Original-From / Original-From"
GROUPS_IO = "Groups.io encoded address"
NAME_ADDRESS = "address in the display name"
REPLY_TO = "Reply-To"
CC = "Cc with the same name"
X_MAILFROM = "X-MailFrom"
DISPLAY_NAME = "display name only (one member per relay address and name)"
UNRESOLVED = "unresolved (no name either: the relay address is the member)"
GOOGLE_GROUPS, GROUPS_IO_HOST = "googlegroups.com", "groups.io"
SENDER_HEADERS = frozenset((
    "from", "sender", "reply-to", "cc", "x-mailfrom", "x-original-sender", "x-original-from",
    "original-from", "list-post", "list-id", "mailing-list", "x-beenthere", "message-id"))

_VIA = re.compile(r"^(.*?)\s+via\s+(\S.*)$", re.I | re.S)
_ON_BEHALF = re.compile(r"^.*?\s+on behalf of\s+(\S.*)$", re.I | re.S)
_ADDR_IN_NAME = re.compile(r"[\s(<\[]*([^\s()<>\[\]@\"']+@[^\s()<>\[\]@\"']+\.[^\s()<>\[\]@\"']+)[\s)>\]]*")
_MAILTO = re.compile(r"mailto:([^>\s?,]+)", re.I)
_MAILING_LIST = re.compile(r"\blist\s+([^\s;]+@[^\s;]+)", re.I)
_LIST_ID = re.compile(r"<([^<>.\s]+)\.([^<>\s]+\.[^<>\s]+)>")
_DISCOURSE_ID = re.compile(r"^<?topic/\d+(/\d+)?@", re.I)
_QUOTES = "\"' \t"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Sender:
    """The real sender of one message."""

    name: str  # display name, with "via List" and the like removed
    address: str  # the author's address, lower-cased; "" when the relay hid it
    relay: str = ""  # the list / relay address the From was rewritten to; "" when not rewritten
    rule: str = ""  # which of the rules above found the author; "" when From was taken as it is

    @property
    def key(self) -> str:
        """What identifies the member: the address, else the relay address and the folded name.

        >>> Sender("Alice", "", "grp@example.org", DISPLAY_NAME).key
        'grp@example.org name:alice'
        """
        if self.address:
            return self.address
        return f"{self.relay} name:{fold_name(self.name)}"


def fold_name(name: str) -> str:
    """A display name compared loosely: quotes and case dropped, spaces collapsed.

    >>> fold_name(" 'Alice  EXAMPLE' ")
    'alice example'
    """
    return _SPACES.sub(" ", name.strip(_QUOTES)).casefold().strip()


def list_addresses(h: dict[str, str]) -> frozenset[str]:
    """The list's own addresses: ``List-Post`` mailto, Google's ``Mailing-list: list x@y`` and the
    address a ``List-Id`` ``<name.host>`` stands for.

    >>> sorted(list_addresses({"list-post": "<https://x>, <mailto:Grp@googlegroups.com>",
    ...                        "list-id": "<grp.googlegroups.com>"}))
    ['grp@googlegroups.com']
    """
    return _list_addresses(h.get("list-post", ""), h.get("mailing-list", ""), h.get("list-id", ""))


@lru_cache(maxsize=256)
def _list_addresses(post: str, mailing_list: str, list_id: str) -> frozenset[str]:
    """(Cached: a list's messages all carry the same three headers.)"""
    out = {m.lower() for m in _MAILTO.findall(post)}
    out.update(m.lower() for m in _MAILING_LIST.findall(mailing_list))
    lid = _LIST_ID.search(list_id)
    if lid:
        out.add(f"{lid.group(1)}@{lid.group(2)}".lower())
    return frozenset(out)


def real_sender(h: dict[str, str]) -> Sender:
    """The author of a message, from its (decoded, lower-cased-name) headers.

    >>> real_sender({"from": "'Ann Lee' via grp <grp@googlegroups.com>",
    ...              "x-original-sender": "ann@example.org", "list-id": "<grp.googlegroups.com>"})
    Sender(name='Ann Lee', address='ann@example.org', relay='grp@googlegroups.com', rule='X-Original-Sender')
    >>> real_sender({"from": "Bo <bo@example.org>", "x-original-sender": "other@example.org"}).address
    'bo@example.org'
    """
    name, address = sender(h.get("from") or h.get("sender"))
    lists = list_addresses(h)
    person = _relayed_name(h, name, address, lists)
    if person is None:
        return Sender(name, address)
    found = _original(h, person, address, lists)
    if found is not None:
        rule, found_name, found_address = found
        return Sender(person or found_name, found_address, address, rule)
    if fold_name(person):
        return Sender(person, "", address, DISPLAY_NAME)
    return Sender(name, address, address, UNRESOLVED)


def _relayed_name(h: dict[str, str], name: str, address: str, lists: frozenset[str]) -> str | None:
    """The author's display name when From is a relay's rewrite, else None."""
    if not address:
        return None
    via = _VIA.match(name)
    behalf = _ON_BEHALF.match(name)
    local, _, host = address.rpartition("@")
    # a Google group's address is <group>@googlegroups.com; Groups.io rewrites to <user>=<domain>@groups.io
    # or (with the original in X-Original-From) to its own address, always with "via" (its staff
    # write from <name>@corp.groups.io: not a relay)
    relay_host = host == GOOGLE_GROUPS or (host == GROUPS_IO_HOST and ("=" in local or via is not None))
    relayed = address in lists or relay_host or bool(_DISCOURSE_ID.match(h.get("message-id", "").lstrip()))
    if not relayed and (via or behalf) is not None:
        # "via" alone is no proof (a surname can be Via): the From must also be on a list's host
        # or the message carry the original sender
        relayed = (host in {a.rpartition("@")[2] for a in lists}
                   or any(k in h for k in ("x-original-sender", "x-original-from", "original-from")))
    if not relayed:
        return None
    person = behalf.group(1) if behalf else via.group(1) if via else name
    person = _ADDR_IN_NAME.sub(" ", person) if "@" in person else person
    return _SPACES.sub(" ", person).strip(_QUOTES)


def _groups_io(address: str) -> str | None:
    """``alice@example.org`` for Groups.io's rewritten ``alice=example.org@groups.io``, else None.

    >>> _groups_io("ann.lee=example.org@groups.io"), _groups_io("main@grp.groups.io")
    ('ann.lee@example.org', None)
    """
    local, _, domain = address.rpartition("@")
    if domain != "groups.io" or "=" not in local:
        return None
    user, _, host = local.rpartition("=")
    return f"{user}@{host}" if user and "." in host else None


def _original(h: dict[str, str], person: str, relay: str, lists: frozenset[str]
              ) -> tuple[str, str, str] | None:
    """``(rule, name, address)`` of the first rule that finds the author's address, else None."""
    relay_host = relay.rpartition("@")[2]

    def usable(addr: str, trusted: bool) -> bool:
        """A person's address: not the list's, and (for headers a relay also fills with its own
        addresses: Reply-To, Cc, X-MailFrom) not on the relay's host or a subdomain of it."""
        host = addr.rpartition("@")[2]
        own = host == relay_host or host.endswith("." + relay_host)
        return bool(addr) and addr != relay and addr not in lists and (trusted or not own)

    for rule, header in ((X_ORIGINAL_SENDER, "x-original-sender"), (ORIGINAL_FROM, "x-original-from"),
                         (ORIGINAL_FROM, "original-from")):
        n, a = sender(h.get(header))
        if usable(a, True):
            return rule, n, a
    decoded = _groups_io(relay)
    if decoded:
        return GROUPS_IO, "", decoded
    in_name = _ADDR_IN_NAME.search(sender(h.get("from") or h.get("sender"))[0])
    if in_name and usable(in_name.group(1).lower(), True):
        return NAME_ADDRESS, "", in_name.group(1).lower()
    n, a = sender(h.get("reply-to"))
    if usable(a, False):
        return REPLY_TO, n, a
    for part in _split_addresses(h.get("cc", "")):
        n, a = sender(part)
        if person and fold_name(n) == fold_name(person) and usable(a, False):
            return CC, n, a
    n, a = sender(h.get("x-mailfrom"))
    if usable(a, False):
        return X_MAILFROM, n, a
    return None


def _split_addresses(value: str) -> list[str]:
    """The addresses of a list header (commas inside quotes or angle brackets kept)."""
    out, depth, quoted, start = [], 0, False, 0
    for i, c in enumerate(value):
        if c == '"':
            quoted = not quoted
        elif not quoted and c in "<>":
            depth += 1 if c == "<" else -1
        elif c == "," and not quoted and depth <= 0:
            out.append(value[start:i])
            start = i + 1
    out.append(value[start:])
    return [p for p in (s.strip() for s in out) if p]
