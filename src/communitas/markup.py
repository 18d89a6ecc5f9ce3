"""Member text out of its markup: the one place HTML becomes text, and e-mail quoting is removed.

* :func:`html_to_text` — HTML to plain text with lxml's HTML parser driven as a stream (a parser
  *target*: no tree is built, so memory stays flat and neither the nesting depth nor one huge
  text node is limited): ``<script>``/``<style>`` content and comments dropped, entities decoded,
  a line break at ``<br>`` and at the end of a paragraph, ``div``, table row, list item or
  heading. Used for e-mail HTML parts (ingest) and for the report's and dashboard's snippets.
* :func:`parse_html` — the same safe parser building a tree, for the topic layer, which needs
  the structure (code blocks apart, Discourse reply quotes dropped).
* :func:`strip_quotes` — the author's own words of an e-mail body: quoted ``>`` lines, their
  attribution ("On ... wrote:"), signatures (after ``-- ``), forwarded / Outlook "Original
  Message" tails, Outlook quoted header blocks ("From: ..." then "Sent: ...") and anything after
  a line of 20+ underscores (both Outlook's separator and Mailman's footer rule).

Safety: the parser fetches nothing (``no_network``) and reads no DTD; HTML's parser knows only
HTML's own named entities, so no entity can expand into anything large or external. Every
regular expression here is linear on any text (each part can match a given text one way only).
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

# A line ends here (as in a browser): after these elements, and at <br>.
_BLOCK_ENDS = frozenset(("p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6"))
_HIDDEN = frozenset(("script", "style"))  # content never shown
_FEED = 1 << 16  # bytes handed to the parser at a time
_TREE_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, huge_tree=False)

_ATTRIBUTION = re.compile(r"(wrote|writes|schrieb|a écrit|escribió|scrisse|napisał)\s*:\s*$", re.I)
_OUTLOOK_FROM = re.compile(r"\s*\*?(From|Von|De)\s?:\*?\s", re.I)
_OUTLOOK_NEXT = re.compile(r"\s*\*?(Sent|Date|Gesendet|Envoy[ée]|To|An|À)\s?:", re.I)
_SPECIAL_HEADS = frozenset("-_Ff*VD \t")  # first characters of the lines _ends_text may match
_FORWARD_TAIL = re.compile(
    r"^\s*(-{3,}\s*(original message|forwarded message)\s*-{3,}|_{20,}|from:\s.+\bsent:\s)", re.I
)


class _TextTarget:
    """lxml parser target collecting the visible text (see :func:`html_to_text`)."""

    def __init__(self, tag_gap: str) -> None:
        self.parts: list[str] = []
        self.hidden = 0  # depth inside <script>/<style>
        self.gap = tag_gap

    def start(self, tag: str, attrib: Any) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif self.gap:
            self.parts.append(self.gap)

    def end(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK_ENDS:
            self.parts.append("\n")
        elif self.gap:
            self.parts.append(self.gap)

    def data(self, text: str) -> None:
        if not self.hidden:
            self.parts.append(text)

    def close(self) -> str:
        return "".join(self.parts)


def html_to_text(markup: str, *, tag_gap: str = "") -> str:
    """HTML as the text a reader sees: line breaks at block ends, tags dropped (or, with
    ``tag_gap``, each replaced by it), script and style content and comments dropped, entities
    decoded. Any text is accepted (a stray ``<`` stays text); cost and memory are linear in it.

    >>> html_to_text("<p>a</p><script>x<y</script><b>b</b> &amp; " + "<" * 3)
    'a\\nb & <<<'
    >>> html_to_text("<td>one</td><td>two<!-- c --></td>", tag_gap=" ").split()
    ['one', 'two']
    """
    if "<" not in markup and "&" not in markup:
        return markup
    last = markup.rfind(">")
    if markup.find("<", last + 1) != -1:  # a "<" no ">" follows is text (a parser drops the rest)
        markup = markup[:last + 1] + markup[last + 1:].replace("<", "&lt;")
    target = _TextTarget(tag_gap)
    # bytes, the encoding given: a charset or XML encoding declaration in the text cannot change it
    parser = etree.HTMLParser(target=target, encoding="utf-8",  # type: ignore[arg-type]  # (stubs)
                              remove_comments=True, remove_pis=True, no_network=True)
    data = markup.encode("utf-8", "replace")
    try:
        for i in range(0, len(data), _FEED):
            parser.feed(data[i:i + _FEED])
        parser.close()
    except etree.LxmlError:  # only when there is no element at all (recovery handles the rest)
        pass
    return target.close()


def parse_html(markup: str) -> etree._Element | None:
    """The element tree of ``markup`` (lxml's HTML parser, comments and processing instructions
    dropped, nothing fetched), or None when it holds no element or cannot be parsed."""
    try:
        return etree.HTML(markup, _TREE_PARSER)
    except (etree.ParserError, ValueError):  # ValueError: a str with an XML encoding declaration
        return None


def strip_quotes(text: str) -> str:
    """The author's own words: quoted lines, attributions, forwarded tails, signatures and
    Mailman footers removed; blank-line runs collapsed.

    >>> strip_quotes("Yes.\\n\\nOn Mon, A <a@example.com> wrote:\\n> old\\n> text\\nThanks\\n-- \\nA")
    'Yes.\\n\\nThanks'
    >>> strip_quotes("Yes.\\nOn Mon, Jan 3, 2022 at 5:21 AM A <\\na@example.com> wrote:\\n\\n> old")
    'Yes.'
    >>> strip_quotes("Top post.\\n\\n  On Monday, A wrote:\\n  the old message, indented\\n  more")
    'Top post.'
    >>> strip_quotes("Outlook.\\n*From:* A <a@example.com>\\n*Sent:* Monday\\nold text")
    'Outlook.'
    """
    kept: list[str] = []
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    quoting = False
    for i, line in enumerate(lines):
        head, stripped = line[:1], line.rstrip()
        if head in _SPECIAL_HEADS:
            if _ends_text(line, lines, i):
                break
            if head in (" ", "\t") and line.lstrip()[:1] == ">":
                head = ">"
        if head == ">":
            if not quoting:
                _drop_attribution(kept)
            quoting = True
            continue
        if stripped[-1:] == ":" and _ATTRIBUTION.search(stripped) and not _quote_follows(lines, i):
            kept.append(stripped)  # an attribution over an unmarked (indented, HTML) quote: cut there
            _drop_attribution(kept)
            break
        quoting = False
        kept.append(stripped)
    out: list[str] = []
    for line in kept:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _ends_text(line: str, lines: list[str], i: int) -> bool:
    """True when ``line`` starts what is not the author's: a signature, a forwarded or Outlook
    quoted message, a footer."""
    if line in ("-- ", "--") or _FORWARD_TAIL.match(line):
        return True
    return bool(_OUTLOOK_FROM.match(line) and i + 1 < len(lines) and _OUTLOOK_NEXT.match(lines[i + 1]))


def _quote_follows(lines: list[str], i: int) -> bool:
    """True when the first non-blank line after line ``i`` is quoted with ``>``."""
    for line in lines[i + 1:i + 20]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False


def _drop_attribution(kept: list[str]) -> None:
    """Remove the "On <date>, <name> wrote:" line(s) just before a quote block."""
    end = len(kept)
    while end and not kept[end - 1].strip():
        end -= 1
    if not end or not kept[end - 1].endswith(":"):
        return
    if _ATTRIBUTION.search(kept[end - 1]):
        # "On <date>, <name> <address>" is often wrapped onto the line before "... wrote:"
        del kept[end - 2 if end >= 2 and kept[end - 2].startswith("On ") else end - 1:]
    elif end >= 2 and _ATTRIBUTION.search(kept[end - 2] + " " + kept[end - 1]):
        del kept[end - 2:]
