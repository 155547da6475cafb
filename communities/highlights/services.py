"""Featuring posts: a moderator features (or unfeatures) a post; both are in the audit log, and
featuring tells the author (a ``featured`` notification, emailed per their preference)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from communities.discussions.models import Post
from communities.highlights.models import Highlight
from members.models import Membership
from members.notifications.models import Notification
from moderation.audit import audit
from moderation.models import AuditAction

MAX_NOTE_CHARS = 200


def _short(title: str, n: int = 80) -> str:
    return title if len(title) <= n else title[: n - 1] + "…"


@transaction.atomic
def post_feature(*, actor: Membership, post: Post, note: str = "", at: datetime | None = None) -> Highlight:
    """Feature a published, visible post (callers check ``access.post_for_featurer``). Featuring
    it again only updates the note."""
    from members.notifications.services import notification_create

    now = at or timezone.now()
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE_CHARS:
        raise ValidationError(f"Notes are limited to {MAX_NOTE_CHARS} characters.")
    post = Post.objects.select_for_update().select_related("thread").get(pk=post.pk)
    if not post.is_visible or post.thread.removed_at is not None:
        raise ValidationError("Only published, visible posts can be featured.")
    existing = Highlight.objects.filter(post=post).first()
    if existing is not None:
        if existing.note != note:
            existing.note = note
            existing.save(update_fields=["note"])
        return existing
    highlight = Highlight.objects.create(
        community_id=post.community_id, post=post, featured_by_id=actor.user_id, featured_at=now, note=note
    )
    audit(
        community_id=post.community_id,
        actor=actor.user,
        action=AuditAction.POST_FEATURED,
        target_post=post,
        target_thread_id=post.thread_id,
        target_user_id=post.author_id,
        reason=note,
    )
    if post.author_id and post.author_id != actor.user_id:
        notification_create(
            recipient_id=post.author_id,
            kind=Notification.Kind.FEATURED,
            text=f"A moderator featured your post in “{_short(post.thread.title)}”",
            url=reverse("post-permalink", args=[actor.community.slug, post.pk]),
            community_id=post.community_id,
            actor_id=actor.user_id,
            thread_id=post.thread_id,
            post_id=post.pk,
        )
    return highlight


@transaction.atomic
def post_unfeature(*, actor: Membership, post: Post) -> bool:
    """Take a post off the Highlights page. Returns whether it was featured."""
    deleted, _ = Highlight.objects.filter(post=post).delete()
    if deleted:
        audit(
            community_id=post.community_id,
            actor=actor.user,
            action=AuditAction.POST_UNFEATURED,
            target_post=post,
            target_thread_id=post.thread_id,
            target_user_id=post.author_id,
        )
    return bool(deleted)
