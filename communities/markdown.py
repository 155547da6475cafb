"""The one Markdown renderer. Every place that shows user Markdown stores this function's output.

Python-Markdown turns the source into HTML, then bleach keeps only an allowlist of tags and
attributes. Raw HTML in the source is escaped before rendering, so it never reaches the output.
"""

from __future__ import annotations

import re
import threading
from functools import partial

import bleach
import markdown
from bleach.linkifier import LinkifyFilter
from django.core.exceptions import ValidationError
from markdown.extensions import Extension

MAX_SOURCE_CHARS = 32_000
# Python-Markdown's inline patterns go quadratic on long runs of brackets; a human never needs this many.
MAX_BRACKETS = 400
MAX_NESTING_MARKERS = 50

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "img",
        "span",
    }
)
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_LANGUAGE_CLASS = re.compile(r"^language-[A-Za-z0-9_+-]{1,30}$")


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "a":
        return name in {"href", "title"} or (name == "class" and value == "mention")
    if tag == "img":
        if name == "src":
            # Images only over https: no tracking over plain http, no data: URLs.
            return value.lower().startswith("https://")
        return name in {"alt", "title"}
    if tag == "code":
        return name == "class" and bool(_LANGUAGE_CLASS.match(value))
    if tag in {"th", "td"}:
        return name == "align" and value in {"left", "right", "center"}
    if tag == "ol":
        return name == "start" and value.isdigit()
    return False


def _set_link_rel(attrs: dict, new: bool = False) -> dict:
    href_key = (None, "href")
    if href_key in attrs:
        attrs[(None, "rel")] = "nofollow ugc noopener"
    return attrs


# Linkify as a filter of the cleaner (bleach's standalone Linker double-escapes inside skip_tags).
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_allowed_attribute,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_link_rel], skip_tags={"pre", "code"}, parse_email=False)],
)


class NoRawHtml(Extension):
    """Treat raw HTML in the source as text: Markdown then escapes it instead of passing it on."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


_MENTION = re.compile(r"(?<![\w@/`])@([A-Za-z0-9_]{3,30})\b")


class MarkdownTooComplex(ValueError):
    """The source would take unreasonably long to render."""


_DEEP_QUOTES = re.compile(r"(?:^|\n)[ \t]*(?:>[ \t]*){" + str(MAX_NESTING_MARKERS) + ",}")
_MANY_MARKERS = re.compile(r"[*_]{" + str(MAX_NESTING_MARKERS) + ",}")


def check_renderable(source: str) -> None:
    """Raise MarkdownTooComplex for input that would make the renderer pathological."""
    if len(source) > MAX_SOURCE_CHARS:
        raise MarkdownTooComplex(f"Posts are limited to {MAX_SOURCE_CHARS:,} characters.")
    if source.count("[") > MAX_BRACKETS or source.count("]") > MAX_BRACKETS:
        raise MarkdownTooComplex("This post has too many square brackets to format safely.")
    if _DEEP_QUOTES.search(source):
        raise MarkdownTooComplex("This post nests quotes too deeply.")
    if _MANY_MARKERS.search(source):
        raise MarkdownTooComplex("This post has too many emphasis markers in a row.")


_local = threading.local()


def _markdown() -> markdown.Markdown:
    """This thread's Markdown instance: building one (loading the extensions) costs more than
    rendering a typical post, so each thread makes one and ``reset()``s it before every use.
    Instances aren't thread-safe, hence one per thread."""
    md = getattr(_local, "md", None)
    if md is None:
        md = markdown.Markdown(
            extensions=[NoRawHtml(), "fenced_code", "tables", "nl2br", "sane_lists"],
            # Column alignment as the align attribute (the default is a style attribute, which we strip).
            extension_configs={"tables": {"use_align_attribute": True}},
            output_format="html",
        )
        _local.md = md
    return md


def render_markdown(source: str, *, mention_url: str | None = None) -> str:
    """Render Markdown to sanitized HTML. Call it when content is written, never per view.

    ``mention_url`` is a format string with ``{handle}`` (e.g. "/u/{handle}/"); when given,
    ``@handle`` becomes a link with class "mention".
    """
    check_renderable(source)
    html = _markdown().reset().convert(source)
    if mention_url:
        html = _link_mentions(html, mention_url)
    return _cleaner.clean(html)


def _link_mentions(html: str, mention_url: str) -> str:
    # Only outside tags and outside code: split on tags and skip <code>/<pre>/<a> content.
    out: list[str] = []
    depth_skip = 0
    for part in re.split(r"(<[^>]+>)", html):
        if part.startswith("<"):
            tag = re.match(r"</?\s*([a-zA-Z0-9]+)", part)
            name = tag.group(1).lower() if tag else ""
            if name in {"code", "pre", "a"}:
                depth_skip += -1 if part.startswith("</") else 1
            out.append(part)
        elif depth_skip > 0:
            out.append(part)
        else:
            out.append(
                _MENTION.sub(
                    lambda m: (
                        f'<a class="mention" href="{mention_url.format(handle=m.group(1))}">@{m.group(1)}</a>'
                    ),
                    part,
                )
            )
    return "".join(out)


def mentioned_handles(source: str) -> set[str]:
    """Handles mentioned in Markdown source, outside code spans and blocks (lower-cased)."""
    without_fences = re.sub(r"```.*?```", "", source, flags=re.S)
    without_code = re.sub(r"`[^`]*`", "", without_fences)
    return {m.group(1).lower() for m in _MENTION.finditer(without_code)}


MENTION_URL = "/u/{handle}/"


def render_user_markdown(source: str) -> str:
    """Render member-written Markdown (posts, guidelines, welcome messages) with @mention links."""
    try:
        return render_markdown(source, mention_url=MENTION_URL)
    except MarkdownTooComplex as exc:
        raise ValidationError(str(exc)) from exc
