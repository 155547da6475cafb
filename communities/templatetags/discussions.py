"""Template helpers for the discussions pages."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from communities.search.selectors import HL_START, HL_STOP

register = template.Library()


@register.filter
def highlight(snippet: str | None) -> SafeString:
    """Escape a search snippet, then turn the highlight sentinels into <mark> elements."""
    text = escape(snippet or "")
    # Unbalanced sentinels (a snippet cut mid-match) would leave an open <mark>: balance them.
    opened = 0
    out = []
    for ch in text:
        if ch == HL_START and not opened:
            out.append("<mark>")
            opened = 1
        elif ch == HL_STOP and opened:
            out.append("</mark>")
            opened = 0
        elif ch not in (HL_START, HL_STOP):
            out.append(ch)
    if opened:
        out.append("</mark>")
    return mark_safe("".join(out))
