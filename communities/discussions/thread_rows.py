"""The community home's thread rows: the plain values each row is rendered from
(``communities/_thread_row.html``), rendered and cached by ``config.fragments``.

``row_values`` must put into a row's values everything the template shows (the key is a digest
of them). See docs/architecture.md, "Speed".
"""

from __future__ import annotations

from django.http import HttpRequest
from django.template.defaultfilters import date as date_filter

from communities.discussions.models import Thread
from communities.tags.selectors import tag_list
from communities.templatetags.hearth_ui import ago
from config.fragments import render_fragments

ROW_TEMPLATE = "communities/_thread_row.html"


def row_values(thread: Thread, *, is_member: bool) -> dict:
    author = thread.author
    unread = int(getattr(thread, "unread", 0) or 0) if is_member else 0
    return {
        "pk": thread.pk,
        "slug": thread.slug,
        "title": thread.title,
        "pinned": thread.pinned,
        "locked": thread.locked,
        "space_name": thread.space.name,
        "author_id": thread.author_id,
        "author_name": author.name if author is not None else "",
        "last_poster_id": getattr(thread, "last_poster_id", None),
        "last_poster_name": getattr(thread, "last_poster_name", None) or "",
        "reply_count": thread.reply_count,
        "tags": [(tag.slug, tag.name) for tag in tag_list(thread)],
        "last_iso": date_filter(thread.last_post_at, "c"),
        "last_title": date_filter(thread.last_post_at, "j M Y, H:i"),
        "ago": ago(thread.last_post_at),
        "unread": unread,
        "has_read": bool(getattr(thread, "has_read", False)) if is_member else False,
    }


def attach_rows(request: HttpRequest, threads: list[Thread], *, base: str, is_member: bool) -> None:
    """Give each thread of the page its rendered row (``row_html``), from the cache where possible."""
    html = render_fragments(
        request, ROW_TEMPLATE, [row_values(t, is_member=is_member) for t in threads], {"base": base}
    )
    for thread, row in zip(threads, html, strict=True):
        thread.row_html = row  # type: ignore[attr-defined]
