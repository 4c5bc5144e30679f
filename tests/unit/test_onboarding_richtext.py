"""The offering description sanitiser: formatting stays, anything executable goes."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.onboarding.richtext import safe_url, sanitise_html

# Vectors in the spirit of the OWASP XSS filter evasion cheat sheet.
ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<p onclick='alert(1)'>hi</p>",
    "<a href='javascript:alert(1)'>x</a>",
    "<a href='JaVaScRiPt:alert(1)'>x</a>",
    "<a href='jav&#x09;ascript:alert(1)'>x</a>",
    "<a href='jav\tascript:alert(1)'>x</a>",
    "<a href='&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1)'>"
    "x</a>",
    "<a href=' javascript:alert(1)'>x</a>",
    "<a href='vbscript:msgbox(1)'>x</a>",
    "<a href='data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='>x</a>",
    "<a href='//evil.example'>x</a>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<body onload=alert(1)>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<div style='background:url(javascript:alert(1))'>x</div>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>alert(1)//<</script>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<input onfocus=alert(1) autofocus>",
    '<a href="x" onmouseover="alert(1)">x</a>',
    "<p title='\"><script>alert(1)</script>'>x</p>",
    "<textarea><script>alert(1)</script></textarea>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<a href="https://ok.example" title="&quot;onmouseover=alert(1)">x</a>',
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=javascript:alert(1)//>",
    "<a href='http://ok.example'\n onclick=alert(1)>x</a>",
    # Relative-looking links that browsers read as another host (//evil.example).
    "<a href='/\\evil.example/x'>x</a>",
    "<a href='\\\\evil.example'>x</a>",
    "<a href='\\/evil.example'>x</a>",
    "<a href='/&#x5c;evil.example'>x</a>",
    "<a href='/&#9;/evil.example'>x</a>",
    "<a href='https:\\\\evil.example'>x</a>",
]


class _Collect(HTMLParser):
    """Parses the output the way a lenient browser-like tokenizer would."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _assert_safe(output: str) -> None:
    parser = _Collect()
    parser.feed(output)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag not in {"script", "style", "iframe", "svg", "img", "object"}
        for name, value in attrs:
            assert not name.startswith("on"), output
            assert name in {"href", "title", "rel"}, output
            if name == "href":
                assert safe_url(value or "") is not None, output
    assert not re.search(r"<\s*script", output, re.IGNORECASE)


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_come_out_harmless(attack: str) -> None:
    _assert_safe(sanitise_html(attack))


def test_formatting_links_and_text_survive() -> None:
    markup = (
        "<h2>Resume clinic</h2><p>Bring your <strong>CV</strong> &amp; "
        "<em>questions</em>.</p><ul><li>One</li><li>Two</li></ul>"
        '<a href="https://npo.example/register" title="Sign up">Register</a>'
    )
    assert sanitise_html(markup) == (
        "<h2>Resume clinic</h2><p>Bring your <strong>CV</strong> &amp; "
        "<em>questions</em>.</p><ul><li>One</li><li>Two</li></ul>"
        '<a href="https://npo.example/register" title="Sign up" '
        'rel="nofollow noopener noreferrer">Register</a>'
    )


def test_script_content_is_dropped_not_shown_as_text() -> None:
    assert sanitise_html("<p>a<script>alert(1)</script>b</p>") == "<p>ab</p>"


def test_unclosed_tags_are_closed_and_stray_ends_ignored() -> None:
    assert sanitise_html("<p><strong>bold</p></em>") == "<p><strong>bold</strong></p>"


def test_text_that_looks_like_markup_is_escaped() -> None:
    assert sanitise_html("1 < 2 & 3 > 2") == "1 &lt; 2 &amp; 3 &gt; 2"


@pytest.mark.parametrize(
    "href",
    [
        "/\\evil.example/x",  # browsers read it as //evil.example/x
        "\\\\evil.example",
        "\\/evil.example",
        "/&#x5c;evil.example",
        "/&#92;evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        " //evil.example",
        "///evil.example",
        "https://ok.example\\@evil.example",
    ],
)
def test_links_that_look_relative_but_lead_elsewhere_lose_their_href(
    href: str,
) -> None:
    assert sanitise_html(f'<a href="{href}">x</a>') == (
        '<a rel="nofollow noopener noreferrer">x</a>'
    )


@pytest.mark.parametrize(
    "href", ["/docs", "docs/a", "?q=1", "#top", "https://ok.example/\u05e9?a=$b"]
)
def test_links_on_this_site_or_to_others_by_name_keep_their_href(href: str) -> None:
    assert sanitise_html(f'<a href="{href}">x</a>') == (
        f'<a href="{href}" rel="nofollow noopener noreferrer">x</a>'
    )


def test_characters_text_may_not_hold_are_removed_even_as_references() -> None:
    markup = '<a title="a&#x202e;b">a&#x202e;b&#xfeff;c&#x200b;d&#x2066;e</a>'
    assert sanitise_html(markup) == '<a title="ab">abcde</a>'
    # The NUL a reference spells is the replacement character, as browsers show it.
    assert sanitise_html("<p>a&#0;b</p>") == "<p>a\ufffdb</p>"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<",
                ">",
                "/",
                "=",
                '"',
                "'",
                " ",
                "script",
                "a",
                "p",
                "href",
                "onclick",
                "javascript:",
                "&#x6a;",
                "<!--",
                "-->",
                "svg",
                "img",
                "src",
                "alert(1)",
                "\t",
                "\n",
                "style",
                "http://x",
            ]
        ),
        max_size=40,
    ).map("".join)
)
def test_any_soup_comes_out_safe_and_stable(soup: str) -> None:
    once = sanitise_html(soup)
    _assert_safe(once)
    # Sanitising is idempotent: safe output is a fixed point.
    assert sanitise_html(once) == once
