"""Member text shown in the report and the dashboard: the address scrubber and snippets cost time in
proportion to the text (one long word used to take quadratic time: 80 k characters, 19 s), and a
snippet reads a bounded prefix of the body whatever its length."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from communitas.report.context import SNIPPET_READ, scrub, snippet


@contextmanager
def at_most(seconds: int) -> Iterator[None]:
    """Fail (not hang) if the block runs longer than ``seconds`` — a guard against a regex that
    backtracks; the quadratic scrubber needed ~8 minutes for the 200 k characters below."""

    def stop(*_: object) -> None:
        raise TimeoutError(f"took more than {seconds} s: quadratic text handling is back")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_addresses_are_still_removed() -> None:
    text = "mail x.ann+tag@mail.example.co.uk, or <bob@example.org>; not a@b nor ann@@x.org; c@d.e"
    assert scrub(text) == ("mail [address removed], or <[address removed]>; not a@b nor ann@@x.org; "
                           "[address removed]")
    assert scrub("prefix-" + "a" * 50 + "@example.org") == "[address removed]"


def test_one_long_word_is_read_once() -> None:
    word = "a" * 200_000
    with at_most(20):
        assert scrub(word) == word
        assert scrub("a@" + "b" * 200_000) == "a@" + "b" * 200_000
        assert scrub("a." * 100_000) == "a." * 100_000
        assert snippet(word).endswith("…") and len(snippet(word)) == 160


def test_snippet_reads_a_bounded_prefix() -> None:
    """An address past the part a snippet reads cannot reach it; one inside is removed."""
    body = "<p>" + "word " * 10 + "ann@example.org " + "x " * SNIPPET_READ + "</p>"
    shown = snippet(body, limit=10_000)
    assert "[address removed]" in shown and "@" not in shown
    assert len(shown) <= SNIPPET_READ
    with at_most(20):
        assert snippet("y" * 50_000_000) == "y" * 159 + "…"


ADVERSARIAL = {"brackets": "[" * 200_000, "angles": "<" * 200_000, "mentions": "<@" * 100_000,
               "script": "<script>" * 30_000, "colons": ":a" * 100_000}


def test_every_text_pass_over_member_text_is_linear() -> None:
    """The markup-to-text passes of ingest (e-mail HTML parts, Discord reaction lists) and of the
    topics layer, on 200 k characters of their worst inputs (40 k "[" took 10 s in the Markdown
    link pattern, 40 k "<" 1.2 s in the HTML tag pattern: both grew with the square)."""
    from communitas.markup import html_to_text
    from communitas.sources.discord_csv import _reactions
    from communitas.topics.text import prepare

    class Sink:
        def reaction(self, **_: object) -> None:
            pass

    with at_most(30):
        for text in ADVERSARIAL.values():
            html_to_text(text)
            for fmt in ("markdown", "html", "email"):
                prepare(text, fmt)
        _reactions("x" * 200_000 + " (3)", "n", "p", "a", Sink())  # type: ignore[arg-type]
        _reactions("(1) " * 50_000, "n", "p", "a", Sink())  # type: ignore[arg-type]
    assert html_to_text("<p>a</p><style>p{}</style>b<br>c") == "a\nb\nc"
