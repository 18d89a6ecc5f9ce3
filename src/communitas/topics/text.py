"""Text preparation per body format: markup out, code apart, quotes out, URLs reduced to hosts.

Every post body becomes a :class:`Prepared` text with three streams:

* ``text`` — the prose a person wrote, without markup;
* ``code`` — what was inside code blocks and inline code (kept as its own stream: the topic model
  sees its identifiers as separate ``code:`` features, so a code-heavy community still has
  topics, and code does not pollute the prose vocabulary);
* ``hosts`` — the host of every URL (``https://www.github.com/x/y`` -> ``github.com``), so that
  links count as "talks about GitHub" instead of as noise tokens.

Formats (the one each source declares when it ingests, ``sources.body_format``,
``docs/data-model.md``): ``html`` (parsed with :func:`communitas.markup.parse_html`, no regexes),
``markdown`` (chat and forum sources, and any source that declares nothing), ``email`` (quotes,
attributions and signatures are removed again, defensively, by
:func:`communitas.markup.strip_quotes`, before the Markdown rules apply). A body that is HTML
(a Discourse "cooked" post) is read as HTML whatever its source declares.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

from lxml import etree

from communitas.markup import parse_html, strip_quotes
from communitas.model import DEFAULT_BODY_FORMAT

_URL = re.compile(r"(?:https?|ftp)://[^\s<>\"')\]|]+|www\.[^\s<>\"')\]|]+", re.IGNORECASE)
_FENCE = re.compile(r"(```|~~~)[^\n]*\n?(.*?)(?:\1|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
# Bounded runs that cannot cross their own opening character: linear on any text (40,000 "[" took
# 10 s with unbounded ones).
# mentions, emoji
_CHAT_MARKUP = re.compile(r"<[@#!][^<>]{0,200}>|<a?:\w{1,100}:\d{1,30}>|:[a-z0-9_+-]{1,100}:")
_MD_LINK = re.compile(r"!?\[([^\[\]]{0,1000})\]\(([^()\s]{1,2000})[^()]{0,500}\)")
_CODE_BLOCK_TAGS = ("pre", "code", "kbd", "samp")
# a body with none of these has no fence, inline code, link, URL, chat markup or quote: the Markdown
# rules change nothing (the pattern is also run by Arrow over a whole column, so RE2 syntax only)
MARKUP_HINT = r"[`\[<>:~]|(?i:www\.)"
_MARKUP_HINT = re.compile(MARKUP_HINT)
_WORD = re.compile(r"[^\W\d_]{2,30}")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,40}")


@dataclass
class Prepared:
    """One body split into prose, code, and link hosts."""

    text: str = ""
    code: str = ""
    hosts: list[str] = field(default_factory=list)


def url_host(url: str) -> str:
    """The host of a URL, lower-cased, without ``www.`` and port.

    >>> url_host("https://www.GitHub.com/a/b?c=1"), url_host("www.example.org/x"), url_host("nope")
    ('github.com', 'example.org', '')
    """
    if url.lower().startswith("www."):
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _take_urls(text: str, hosts: list[str]) -> str:
    def repl(m: re.Match[str]) -> str:
        host = url_host(m.group(0))
        if host:
            hosts.append(host)
        return " "

    return _URL.sub(repl, text)


def format_for(declared: str | None, body: str) -> str:
    """The format of ``body``: the one its source declared (Markdown when none), with HTML
    recognised whatever was declared.

    >>> format_for("markdown", "hi *there*"), format_for("markdown", "<p>hi</p>"), format_for(None, "x")
    ('markdown', 'html', 'markdown')
    """
    start = body.lstrip()[:1]
    if start == "<" and "</" in body and not body.lstrip().startswith(("<@", "<#", "<!", "<http")):
        return "html"
    return declared or DEFAULT_BODY_FORMAT


def prepare(body: str | None, fmt: str = "markdown") -> Prepared:
    """Split ``body`` into prose, code and hosts according to its format.

    >>> p = prepare("<p>Try <a href='https://www.ba.org/x'>this</a></p><pre><code>x = hops()</code></pre>",
    ...             "html")
    >>> (p.text.split(), p.code.strip(), p.hosts)
    (['Try', 'this'], 'x = hops()', ['ba.org'])
    >>> p = prepare("> old text\\nNew *idea* `run()` see https://example.com/a\\n-- \\nBob", "email")
    >>> (p.text.split(), p.code, p.hosts)
    (['New', '*idea*', 'see'], 'run()', ['example.com'])
    """
    if not body:
        return Prepared()
    if fmt == "html":
        return _prepare_html(body)
    if fmt == "email":
        body = strip_quotes(body)
    return _prepare_markdown(body)


def _prepare_markdown(body: str) -> Prepared:
    if not _MARKUP_HINT.search(body):  # plain prose (most chat lines): no fence, code, link, URL, quote
        return Prepared("\n".join(body.splitlines()))
    hosts: list[str] = []
    code: list[str] = []

    def fence(m: re.Match[str]) -> str:
        code.append(m.group(2))
        return "\n"

    def inline(m: re.Match[str]) -> str:
        code.append(m.group(1))
        return " "

    def link(m: re.Match[str]) -> str:
        host = url_host(m.group(2))
        if host:
            hosts.append(host)
        return m.group(1)

    text = _FENCE.sub(fence, body)
    text = _INLINE_CODE.sub(inline, text)
    text = _MD_LINK.sub(link, text)
    text = _take_urls(text, hosts)  # Slack's <https://url|label> leaves "label>"
    text = _CHAT_MARKUP.sub(" ", text)
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith(">")]
    return Prepared("\n".join(lines), "\n".join(code), hosts)


def _prepare_html(body: str) -> Prepared:
    if "<" not in body:
        return _prepare_markdown(body)
    root = parse_html(body)
    if root is None:
        return _prepare_markdown(body)
    hosts: list[str] = []
    code: list[str] = []
    for el in root.iter("a", "img"):
        host = url_host(el.get("href") or el.get("src") or "")
        if host:
            hosts.append(host)
    for el in list(root.iter(*_CODE_BLOCK_TAGS)):
        if el.getparent() is None or any(a.tag in _CODE_BLOCK_TAGS for a in el.iterancestors()):
            continue
        code.append("".join(cast("Iterator[str]", el.itertext())))
        _drop_keep_tail(el)
    for el in list(root.iter("aside", "script", "style")):
        if el.tag != "aside" or "quote" in (el.get("class") or ""):
            _drop_keep_tail(el)  # a Discourse reply quote: someone else's words, already counted
    text = " ".join(cast("Iterator[str]", root.itertext()))
    if "://" in text or "www." in text:
        text = _take_urls(text, hosts)
    return Prepared(text, "\n".join(code), hosts)


def _drop_keep_tail(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = " " + (el.tail or "")
    prev = el.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(el)


def words(text: str) -> list[str]:
    """Lower-cased words of 2-30 letters, in any script; anything else splits words.

    The text is NFKC-normalised first: ligatures and full-width forms become plain letters, and
    superscript digits (a footnote's ``reviewed⁴``), fractions and circled numbers become digits,
    which split words. Any other number that ``\\w`` matches but is not a letter (numerals of
    other scripts) splits words too: only characters for which :meth:`str.isalpha` holds are kept.

    >>> words("L'eau, c'est 2x meilleure: IPA-style!")
    ['eau', 'est', 'meilleure', 'ipa', 'style']
    >>> words("reviewed⁴ by x² · ﬁnal ¾ ①")
    ['reviewed', 'by', 'final']
    """
    out = []
    for token in _WORD.findall(unicodedata.normalize("NFKC", text).lower()):
        if token.isalpha():
            out.append(token)
        else:
            out.extend(p for p in "".join(c if c.isalpha() else " " for c in token).split() if len(p) > 1)
    return out


def code_tokens(code: str) -> list[str]:
    """Identifiers (3+ characters) in code, lower-cased.

    >>> code_tokens("uhd::usrp x = make_usrp(args); ls -la")
    ['uhd', 'usrp', 'make_usrp', 'args']
    """
    return [t.lower() for t in _IDENT.findall(code)]
