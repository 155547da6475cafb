"""The thread page's post blocks, rendered once and served from the cache.

Each post's ``<section>`` is rendered by ``communities/_post_block.html`` from a dict of plain
values (strings, numbers, booleans) built here, and cached under a digest of exactly that dict
plus the template sources. Whatever the block shows comes from those values, so a cached block
can never be stale or belong to another situation: an edit, a reaction, a new author name, a
different viewer's rights, another time zone or another minute of "5m ago" all give a different
key. Viewers in the same situation (most readers of most posts) share one block.

Forms inside a block carry a placeholder instead of the CSRF token; ``blocks_for_page`` swaps in
the viewer's token after the cache, so a cached block never holds anyone's token. Anonymous
blocks have no forms, so their pages never touch the CSRF token (and stay cacheable).

A page costs one ``get_many`` and, for the blocks not cached yet, one ``set_many``; a cache
outage costs rendering, never the page (``config.cache``). See docs/architecture.md, "Speed".
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from functools import cache as memoize

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template import Context
from django.template.defaultfilters import date as date_filter
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from communities.discussions.models import Post
from communities.templatetags.hearth_ui import ago
from members import access
from members.models import Membership

BLOCK_TEMPLATE = "communities/_post_block.html"
_SOURCES = (BLOCK_TEMPLATE, "communities/_reactions.html")
CSRF_MARK = "csrf-token-of-the-viewer"
_CSRF_INPUT = '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
KEY_PREFIX = "postblock:"


@memoize
def _template_digest() -> str:
    """A digest of the block's template sources: a deploy that changes them never reads old blocks."""
    h = hashlib.blake2b(digest_size=8)
    for name in _SOURCES:
        h.update(get_template(name).template.source.encode())
    return h.hexdigest()


@dataclass(frozen=True)
class PageViewer:
    """What a page knows about its viewer that blocks depend on (computed once per page)."""

    membership: Membership | None
    is_staff: bool
    can_reply: bool
    community_slug: str
    p_base: str
    u_base: str

    @property
    def user_id(self) -> int | None:
        return self.membership.user_id if self.membership is not None else None


def block_values(
    post: Post, *, viewer: PageViewer, reactions: list[dict], is_new: bool, links: dict[str, str]
) -> dict:
    """The plain values one post block is rendered from (and keyed by)."""
    membership = viewer.membership
    own = membership is not None and post.author_id == membership.user_id
    removed = post.removed_at is not None
    author = post.author
    reply_to = post.reply_to if post.reply_to_id else None
    published = post.status == "published"
    show_body = not removed or viewer.is_staff or own
    live_or_hidden = not removed or post.removed_by_moderator
    return {
        "pk": post.pk,
        "community_slug": viewer.community_slug,
        "status": post.status,
        "removed": removed,
        "removed_by_moderator": post.removed_by_moderator,
        "erased": removed and not post.body_md,
        "by_muted": bool(getattr(post, "by_muted", False)),
        "is_featured": bool(getattr(post, "is_featured", False)),
        "highlights_url": links["highlights"],
        "author_id": post.author_id,
        "author_name": author.name if author is not None else "",
        "author_handle": author.handle if author is not None else "",
        "viewer_is_member": membership is not None,
        "own": own,
        "is_opening": post.is_opening,
        "is_new": is_new,
        "created_iso": date_filter(post.created_at, "c"),
        "created_title": date_filter(post.created_at, "j M Y, H:i"),
        "ago": ago(post.created_at),
        "edited_title": date_filter(post.edited_at, "j M Y, H:i") if post.edited_at else "",
        "can_history": post.edited_at is not None and access.can_see_post_history(membership, post),
        "reply_to_id": post.reply_to_id if reply_to is not None else None,
        "reply_to_name": (reply_to.author.name if reply_to is not None and reply_to.author else ""),
        "show_body": show_body,
        "body_html": post.body_html if show_body else "",
        "can_reply": viewer.can_reply and not removed,
        "can_restore_own": access.can_restore_post(membership, post) and not post.removed_by_moderator,
        "menu": membership is not None and live_or_hidden,
        "message_url": links["messages_new"],
        "can_edit": access.can_edit_post(membership, post),
        "can_flag": membership is not None and not own and published and not removed,
        "moderate": viewer.is_staff and not own and live_or_hidden,
        "mod_post_url": links["mod_post"].replace("0/", f"{post.pk}/") if viewer.is_staff else "",
        "mod_member_url": (
            links["mod_member"].replace("x/", f"{author.handle}/") if viewer.is_staff and author else ""
        ),
        "can_feature": viewer.is_staff and not removed and published,
        "reactions": [(r["kind"], r["emoji"], r["count"], r["mine"]) for r in reactions],
    }


def page_links(community_slug: str) -> dict[str, str]:
    """URL prefixes the blocks use, reversed once per page."""
    return {
        "highlights": reverse("highlights", args=[community_slug]),
        "messages_new": reverse("messages-new"),
        "mod_post": reverse("mod-post", args=[community_slug, 0]),
        "mod_member": reverse("mod-member", args=[community_slug, "x"]),
    }


def _key(values: dict, viewer: PageViewer) -> str:
    raw = repr((_template_digest(), viewer.p_base, viewer.u_base, sorted(values.items())))
    return KEY_PREFIX + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def _render(values: dict, viewer: PageViewer) -> str:
    reactions = [{"kind": k, "emoji": e, "count": n, "mine": m} for k, e, n, m in values["reactions"]]
    context = Context(
        {
            "b": values,
            "p_base": viewer.p_base,
            "u_base": viewer.u_base,
            "reactions": reactions,
            "reactions_enabled": values["viewer_is_member"],
            "csrf_token": CSRF_MARK,
        }
    )
    return get_template(BLOCK_TEMPLATE).template.render(context)


def _get_many(keys: list[str]) -> dict:
    try:
        return cache.get_many(keys)
    except Exception:  # a broken cache is a miss (ResilientRedisCache already swallows its own)
        return {}


def _set_many(blocks: dict[str, str]) -> None:
    # The page is already rendered; a failed write means the next page renders again.
    with contextlib.suppress(Exception):
        cache.set_many(blocks, settings.HEARTH_POST_BLOCK_SECONDS)


def blocks_for_page(request: object, all_values: list[dict], viewer: PageViewer) -> list[SafeString]:
    """The HTML of each post block of the page, from the cache where possible."""
    keys = [_key(values, viewer) for values in all_values]
    found = _get_many(keys) if settings.HEARTH_POST_BLOCK_SECONDS else {}
    missing: dict[str, str] = {}
    out = []
    token_input = None
    marked = _CSRF_INPUT.format(CSRF_MARK)
    for key, values in zip(keys, all_values, strict=True):
        html = found.get(key)
        if html is None:
            html = missing.get(key) or _render(values, viewer)
            missing[key] = html
        if marked in html:
            if token_input is None:
                token_input = _CSRF_INPUT.format(get_token(request))  # type: ignore[arg-type]
            html = html.replace(marked, token_input)
        out.append(mark_safe(html))
    if missing and settings.HEARTH_POST_BLOCK_SECONDS:
        _set_many(missing)
    return out
