"""The one HTML-to-text pass (communitas.markup): safe, bounded, and faithful to what a reader sees."""

from __future__ import annotations

import resource
from pathlib import Path

from communitas.markup import html_to_text, parse_html, strip_quotes


def test_no_entity_or_file_is_ever_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doc = (f'<!DOCTYPE html [<!ENTITY x SYSTEM "file://{secret}">]><p>a &x; b</p>'
           f'<img src="file://{secret}"><p>&lt;c&gt; &amp; &eacute;</p>')
    text = html_to_text(doc)
    assert "TOP-SECRET" not in text and "<c> & é" in text
    root = parse_html(doc)
    assert root is not None and "TOP-SECRET" not in "".join(root.itertext())


def test_depth_and_size_do_not_lose_text_nor_memory() -> None:
    """The streamed parser builds no tree: 100,000 unclosed elements and a 20 MB text node (over
    libxml2's tree limits: depth 256, 10 MB per node) are read whole, in flat memory."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert html_to_text("<div>" * 100_000 + "deep").startswith("deep")
    assert html_to_text("<font>x" * 300 + "END").endswith("END")
    big = html_to_text("<p>" + "y" * 20_000_000 + "</p>end")
    assert len(big) == 20_000_004 and big.endswith("\nend")
    del big
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 400  # the text itself (str and UTF-8 copies), not a tree


def test_what_a_reader_sees() -> None:
    assert html_to_text("<p>a</p><style>p{}</style>b<br>c<!-- hidden -->") == "a\nb\nc"
    assert html_to_text("<meta charset='latin-1'><p>é</p>") == "é\n"  # the text's own decoding wins
    # a "<" that no ">" follows opens no tag (a parser would drop everything after it)
    assert html_to_text("$0=k_0<k_1<\\dots < k_t = N$") == "$0=k_0<k_1<\\dots < k_t = N$"
    assert html_to_text("plain text, no markup") == "plain text, no markup"


def test_one_quote_stripper() -> None:
    mail = "Thanks.\n\nOn Tue, Bob wrote:\n> try --rate\n-- \nAlice"
    assert strip_quotes(mail) == "Thanks."
