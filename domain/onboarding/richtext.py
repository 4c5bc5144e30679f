"""An allow-list HTML sanitiser for offering descriptions (#7: rich text, no scripts).

The input is parsed with the standard library's tolerant ``html.parser`` and the
output is *rebuilt* from the tokens that are allowed: known formatting tags, a few
attributes per tag, link targets with a safe scheme. Everything else is dropped; the
content of ``script``, ``style`` and other executable or embedding elements is dropped
with it. Text and attribute values are escaped again on output, so nothing the parser
saw can reach a browser as markup unless this module wrote it; characters that text
may not hold (``domain.text``), which character references can still spell, are
removed from them. Unclosed tags are closed, stray end tags ignored: the output is
always balanced.

A link that looks relative must stay on this site. Browsers read a backslash as a
slash and ignore tabs, newlines and surrounding spaces, so ``/\\evil.example`` and
``/<tab>/evil.example`` are protocol-relative (``//evil.example``): another origin.
Hrefs holding a backslash, or that start with two slashes once read that way, are
dropped.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from domain.text import without_refused

ALLOWED_TAGS = frozenset(
    {
        "a", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i",
        "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "u", "ul",
    }
)  # fmt: skip
VOID_TAGS = frozenset({"br", "hr"})
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {"a": frozenset({"href", "title"})}
# Dropped together with everything inside them.
DROP_CONTENT_TAGS = frozenset(
    {
        "script", "style", "iframe", "object", "embed", "noscript", "template",
        "svg", "math", "frame", "frameset", "applet", "xml", "title", "head",
        "textarea", "select", "noembed", "noframes", "plaintext", "xmp",
    }
)  # fmt: skip
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_DEPTH = 50

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
# Browsers ignore these inside a URL's scheme ("java\tscript:"), so strip first.
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f]+")


def safe_url(value: str) -> str | None:
    """The URL if its scheme is allowed, or it is relative to this site; else None.

    What a browser ignores is ignored before judging (spaces, tabs and newlines,
    control characters, character references); a backslash anywhere refuses it.
    """
    kept = without_refused(value, multiline=True).strip()
    cleaned = _IGNORED_IN_URL.sub("", html.unescape(kept))
    if not cleaned or "\\" in cleaned:
        return None
    match = _SCHEME.match(cleaned)
    if match is None:
        # No scheme: relative, unless it names another host ("//host").
        if cleaned.startswith("//"):
            return None
        return kept
    if match.group(1).lower() not in SAFE_SCHEMES:
        return None
    return kept


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping:
            if tag in DROP_CONTENT_TAGS:
                self.dropping.append(tag)
            return
        if tag in DROP_CONTENT_TAGS:
            self.dropping.append(tag)
            return
        if tag not in ALLOWED_TAGS:
            return
        if tag not in VOID_TAGS and len(self.open) >= MAX_DEPTH:
            return
        rendered = self._attributes(tag, attrs)
        self.out.append(f"<{tag}{rendered}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS:
            self.handle_starttag(tag, attrs)
        # Self-closing non-void tags (<a/>, <script/>) carry no content: drop them.

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.pop()
            return
        if tag not in self.open:
            return  # a stray end tag
        while self.open:
            closing = self.open.pop()
            self.out.append(f"</{closing}>")
            if closing == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            kept = without_refused(data, multiline=True)
            self.out.append(html.escape(kept, quote=False))

    def handle_comment(self, data: str) -> None:
        return None  # comments (and conditional comments) never survive

    def handle_decl(self, decl: str) -> None:
        return None

    def handle_pi(self, data: str) -> None:
        return None

    def unknown_decl(self, data: str) -> None:
        return None

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> str:
        allowed = ALLOWED_ATTRIBUTES.get(tag, frozenset())
        parts: list[str] = []
        seen: set[str] = set()
        for name, value in attrs:
            if name not in allowed or name in seen or value is None:
                continue
            seen.add(name)
            kept = without_refused(value, multiline=True)
            rendered = safe_url(kept) if name == "href" else kept
            if rendered is None:
                continue
            parts.append(f' {name}="{html.escape(rendered, quote=True)}"')
        if tag == "a" and "href" in seen:
            parts.append(' rel="nofollow noopener noreferrer"')
        return "".join(parts)

    def result(self) -> str:
        self.close()
        while self.open:
            self.out.append(f"</{self.open.pop()}>")
        return "".join(self.out)


def sanitise_html(markup: str) -> str:
    """Keep only allowed formatting; the result is safe to render as HTML."""
    parser = _Sanitiser()
    parser.feed(markup)
    return parser.result()
