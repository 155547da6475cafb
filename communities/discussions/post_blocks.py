"""The thread page's post blocks: the plain values each post's ``<section>`` is rendered from
(``communities/_post_block.html``), rendered and cached by ``config.fragments``.

``block_values`` must put into a block's values everything the template shows (the key is a
digest of them): the post's state and text, its author's name, the reactions with the viewer's
own, and the viewer's rights on it. See docs/architecture.md, "Speed".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.safestring import SafeString

from communities.discussions.models import Post
from communities.templatetags.hearth_ui import ago
from config.fragments import render_fragments
from members import access
from members.models import Membership

BLOCK_TEMPLATE = "communities/_post_block.html"


@dataclass(frozen=True)
class PageViewer:
    """What a page knows about its viewer that blocks depend on (computed once per page)."""

    membership: Membership | None
    is_staff: bool
    can_reply: bool
    community_slug: str
    p_base: str
    u_base: str


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
        "mod_post_url": f"{links['mod_post']}{post.pk}/" if viewer.is_staff else "",
        "mod_member_url": f"{links['mod_member']}{author.handle}/" if viewer.is_staff and author else "",
        "can_feature": viewer.is_staff and not removed and published,
        "reactions": reactions,
    }


def page_links(community_slug: str) -> dict[str, str]:
    """URL prefixes the blocks use, reversed once per page."""
    return {
        "highlights": reverse("highlights", args=[community_slug]),
        "messages_new": reverse("messages-new"),
        # Prefixes: the post id or the author's handle is appended per block.
        "mod_post": reverse("mod-post", args=[community_slug, 0])[: -len("0/")],
        "mod_member": reverse("mod-member", args=[community_slug, "x"])[: -len("x/")],
    }


def blocks_for_page(request: HttpRequest, all_values: list[dict], viewer: PageViewer) -> list[SafeString]:
    """The HTML of each post block of the page, from the cache where possible."""
    return render_fragments(
        request,
        BLOCK_TEMPLATE,
        all_values,
        {"p_base": viewer.p_base, "u_base": viewer.u_base},
        includes=("communities/_reactions.html",),
    )
