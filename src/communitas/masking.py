"""E-mail addresses never reach the store in clear: member text is masked while it is staged.

Members write addresses into what they post — signatures, "On Monday, Ann <ann@example.org>
wrote:", forwarded headers, Slack's ``<mailto:...>`` links. Every text column a source hands over
(:data:`TEXT_COLUMNS`) has each address replaced by a stable token, ``[address:1a2b3c4d]``: the
first 8 hex digits of the store's salted hash of the address (the same hash as
``members.email_hash``), so a thread still reads ("write to [address:1a2b3c4d]") and two mentions
of one address look alike, but the address cannot be read back. Slack's mention syntax
``<@U024BE7LH|ann>`` carries a handle in clear: it is cut to the member id, ``<@U024BE7LH>``.

Applied in :func:`communitas.staging.write_parquet`, the one path every source's batches take, so
no source can forget it; ``communitas export`` and every report therefore see masked text only.
The pattern is linear on any text (see :data:`ADDRESS`): one long word cannot stall an ingest.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

# A match may start only where a local part can start (not inside a run of local-part
# characters), and possessive runs never give back what they took: one long word is read once,
# not once per position (80 k characters of one word took 19 s with the plain pattern).
ADDRESS = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+")
SLACK_HANDLE = re.compile(r"<@([UW][A-Z0-9]{2,})\|[^>\n]{0,200}>")
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "posts": ("body",),
    "threads": ("title",),
    "events": ("detail",),
    "members": ("display_name",),
    "places": ("name", "description"),
}


def mask_text(text: str, hasher: Callable[[str], str]) -> str:
    """``text`` with every address replaced by its token and Slack handles cut.

    >>> mask_text("mail ann@example.org, <@U024BE7LH|ann>", lambda a: "0123456789abcdef")
    'mail [address:01234567], <@U024BE7LH>'
    """
    if "@" not in text:
        return text
    text = ADDRESS.sub(lambda m: f"[address:{hasher(m.group(0))[:8]}]", text)
    return SLACK_HANDLE.sub(r"<@\1>", text) if "<@" in text else text


def mask_column(values: pa.Array, hasher: Callable[[str], str]) -> pa.Array:
    """The string column with :func:`mask_text` applied to the values holding an ``@`` (the others,
    most of them, are left as they are, without a Python round trip)."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return values
    has_at = pc.fill_null(pc.match_substring(values, "@"), False)
    if not pc.any(has_at).as_py():
        return values
    texts = values.to_pylist()
    flags = has_at.to_pylist()
    return pa.array([mask_text(t, hasher) if f else t for t, f in zip(texts, flags, strict=True)],
                    values.type)
