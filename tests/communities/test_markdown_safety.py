"""The renderer never lets executable content through, and renders normal Markdown as expected."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from communities.markdown import ALLOWED_TAGS, MarkdownTooComplex, check_renderable, render_markdown

XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="https://ok.example/a.png" onerror="alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    "<a href=javascript:alert(1)>x</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](javascript&#58;alert(1))",
    "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](java%0ascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](data:text/html,<script>alert(1)</script>)",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![img](javascript:alert(1))",
    "![img](http://insecure.example/a.png)",
    '![img](https://ok.example/a.png" onerror="alert(1))',
    "[ref][1]\n\n[1]: javascript:alert(1)",
    "[ref][1]\n\n[1]: data:text/html,alert(1)",
    "[ref][x]\n\n[x]: &#106;avascript:alert(1)",
    "![r][i]\n\n[i]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<a href='x' onclick='alert(1)'>x</a>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{background:red}</style>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=https://evil.example/>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<input onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)//",
    '<img """><script>alert(1)</script>">',
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "> <script>alert(1)</script>",
    "- <img src=x onerror=alert(1)>",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |",
    "**<img src=x onerror=alert(1)>**",
    "[<img src=x onerror=alert(1)>](https://ok.example)",
    '[x](https://ok.example "title" onmouseover=alert(1))',
    '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")',
    "https://ok.example/<script>alert(1)</script>",
    "www.example.com/?q=<script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\u003cscript\u003ealert(1)\u003c/script\u003e",
    '<a href="&#x0001;javascript:alert(1)">x</a>',
    "[x](\x00javascript:alert(1))",
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<textarea><script>alert(1)</script></textarea>",
    "<h1 id=x class=evil onclick=alert(1)>t</h1>",
    "# Heading {: onclick=alert(1) }",
    "[x](#){: onclick=alert(1)}",
    "<span style=color:red>x</span>",
    '<code class="language-x onmouseover=alert(1)">x</code>',
]

DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_safe(html: str) -> None:
    parser = _Collector()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, f"tag {tag!r} in {html!r}"
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler {name} in {html!r}"
            assert name not in {"style", "id", "srcdoc", "formaction"}, html
            if name == "class":
                assert value == "mention" or (value or "").startswith("language-"), html
                assert " " not in (value or ""), html
            if name in {"href", "src"}:
                v = "".join(ch for ch in (value or "") if ch.isprintable() and not ch.isspace()).lower()
                assert not v.startswith(DANGEROUS_SCHEMES), f"{name}={value!r} in {html!r}"
                if name == "src":
                    assert v.startswith("https://"), html
                if tag == "a":
                    assert dict(attrs).get("rel") == "nofollow ugc noopener", html


def test_corpus_is_big_enough() -> None:
    assert len(XSS_CORPUS) >= 60


@pytest.mark.parametrize("source", XSS_CORPUS)
def test_no_executable_content(source: str) -> None:
    html = render_markdown(source)
    assert_safe(html)
    assert "<script" not in html.lower()
    with_mentions = render_markdown(source + " @someone", mention_url="/u/{handle}/")
    assert_safe(with_mentions)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**bold** and _italic_", "<p><strong>bold</strong> and <em>italic</em></p>"),
        ("line one\nline two", "<p>line one<br>\nline two</p>"),
        ("# Title", "<h1>Title</h1>"),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
        ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        ("3. c\n4. d", '<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>'),
        ("`x < y`", "<p><code>x &lt; y</code></p>"),
        ("~~gone~~", "<p>~~gone~~</p>"),
    ],
)
def test_normal_markdown(source: str, expected: str) -> None:
    assert render_markdown(source) == expected


def test_fenced_code_with_language() -> None:
    html = render_markdown("```python\nprint('<hi>')\n```")
    assert '<code class="language-python">' in html and "&lt;hi&gt;" in html


def test_links_get_rel_and_autolink() -> None:
    html = render_markdown("[site](https://example.com) and https://example.org")
    assert html.count('rel="nofollow ugc noopener"') == 2
    assert 'href="https://example.org"' in html


def test_https_images_only() -> None:
    assert 'src="https://img.example/a.png"' in render_markdown("![a](https://img.example/a.png)")
    assert "src=" not in render_markdown("![a](http://img.example/a.png)")


def test_tables() -> None:
    html = render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |")
    assert "<table>" in html and '<td align="left">1</td>' in html


def test_mentions_link_outside_code_only() -> None:
    html = render_markdown("hi @alice_1 and `@bob_2`", mention_url="/u/{handle}/")
    assert '<a class="mention" href="/u/alice_1/"' in html and "/u/bob_2/" not in html


@pytest.mark.parametrize(
    "source",
    ["[" * 401, "]" * 401, "> " * 60 + "x", "*" * 60, "_" * 60, "x" * 32_001],
)
def test_pathological_input_refused(source: str) -> None:
    with pytest.raises(MarkdownTooComplex):
        check_renderable(source)
