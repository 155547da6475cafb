"""Moderation writes. Each runs in one transaction and records the moderator's action in the
audit log in that same transaction (a failing action leaves no entry).

Hooks for the posting services (``communities.services.thread_create/post_create``):

* :func:`moderation_check_post` before writing: refuses (mute, blocked words, rate limits) or
  decides whether the new post is published or held for review;
* :func:`moderation_post_created` after writing: hides a held thread and tells the author.

Queue items handled by two moderators at once: every handler locks the item's row
(``select_for_update``) and re-checks its state; the second one gets :class:`AlreadyHandled`
naming who handled it, and nothing is applied twice.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone

from communities.discussions.models import Post, PostEvent, PostEventKind, PostRevision, PostStatus, Thread
from communities.integrations import events
from communities.models import Community
from config.jobs import enqueue_on_commit
from members import access
from members.models import (
    Membership,
    User,
)
from members.notifications.models import Notification
from members.notifications.services import notification_create
from moderation.audit import audit
from moderation.models import (
    AuditAction,
    AuditLogEntry,
    CommunityLimits,
    Flag,
    WordFilter,
    WordFilterAction,
)
from moderation.selectors import latest_removal_actor_is_system

DELETED_BODY_HTML = "<p><em>This post was deleted by a moderator.</em></p>"


class AlreadyHandled(Exception):
    """Another moderator handled this queue item first; ``by`` is who (may be None)."""

    def __init__(self, by: User | None, what: str = "This item") -> None:
        self.by = by
        who = f"@{by.handle}" if by is not None else "another moderator"
        super().__init__(f"{what} was already handled by {who}.")


def _staff_or_403(actor: Membership) -> None:
    if not access.is_staff(actor):
        raise PermissionDenied("Only moderators can do this.")


def _author_membership(post: Post) -> Membership | None:
    if post.author_id is None:
        return None
    return Membership.objects.filter(user_id=post.author_id, community_id=post.community_id).first()


def _check_post_target(actor: Membership, post: Post) -> None:
    _staff_or_403(actor)
    if post.community_id != actor.community_id:
        raise PermissionDenied("That post belongs to another community.")
    if not access.can_moderate_post(actor, post, _author_membership(post)):
        raise PermissionDenied("Moderators can't act on posts by the owner or other moderators.")


def _post_link(post: Post) -> str:
    thread = (
        Thread.objects.select_related("community")
        .only("pk", "slug", "community__slug")
        .get(pk=post.thread_id)
    )
    return reverse("thread-detail", args=[thread.community.slug, thread.pk, thread.slug or "thread"]) + (
        f"#post-{post.pk}"
    )


# --- Post visibility -------------------------------------------------------------------------------


def _lock_post(post: Post | int) -> Post:
    pk = post if isinstance(post, int) else post.pk
    return Post.objects.select_for_update().get(pk=pk)


def _set_removed(post: Post, *, actor: User | None, by_moderator: bool, now: datetime) -> None:
    """Remove a locked, visible post: flags, counts, thread, history."""
    post.removed_at = now
    post.removed_by_moderator = by_moderator
    post.save(update_fields=["removed_at", "removed_by_moderator"])
    PostEvent.objects.create(post=post, kind=PostEventKind.REMOVED, at=now, actor=actor, by_moderator=True)
    if post.is_opening:
        Thread.objects.filter(pk=post.thread_id).update(removed_at=now)
    elif post.status == PostStatus.PUBLISHED:
        Thread.objects.filter(pk=post.thread_id).update(reply_count=Greatest(F("reply_count") - 1, 0))


def _set_restored(post: Post, *, actor: User | int | None, by_moderator: bool = True, now: datetime) -> None:
    post.removed_at = None
    post.removed_by_moderator = False
    post.save(update_fields=["removed_at", "removed_by_moderator"])
    PostEvent.objects.create(
        post=post,
        kind=PostEventKind.RESTORED,
        at=now,
        actor_id=actor.pk if isinstance(actor, User) else actor,
        by_moderator=by_moderator,
    )
    if post.is_opening:
        if post.status == PostStatus.PUBLISHED:
            Thread.objects.filter(pk=post.thread_id).update(removed_at=None)
    elif post.status == PostStatus.PUBLISHED:
        Thread.objects.filter(pk=post.thread_id).update(reply_count=F("reply_count") + 1)


def _resolve_flags(post: Post, *, actor: User, resolution: str, now: datetime) -> int:
    return Flag.objects.filter(post=post, resolved_at__isnull=True).update(
        resolved_at=now, resolved_by=actor, resolution=resolution
    )


def _notify_removed(post: Post, *, reason: str, deleted: bool = False) -> None:
    if post.author_id is None:
        return
    what = "deleted" if deleted else "hid"
    notification_create(
        recipient_id=post.author_id,
        kind=Notification.Kind.MODERATION,
        text=f"A moderator {what} your post." + (f" Reason: {reason}" if reason else ""),
        url="" if deleted else _post_link(post),
        community_id=post.community_id,
        thread_id=post.thread_id,
        post_id=post.pk,
    )


def _last_actor(post: Post) -> User | None:
    entry = (
        AuditLogEntry.objects.filter(target_post=post)
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    return entry.actor if entry else None


@transaction.atomic
def post_hide(*, actor: Membership, post: Post, reason: str = "") -> Post:
    """Hide a post (restorable). Resolves its open flags as "hidden"."""
    _check_post_target(actor, post)
    post = _lock_post(post)
    now = timezone.now()
    if post.removed_at is not None and not Flag.objects.filter(post=post, resolved_at__isnull=True).exists():
        raise AlreadyHandled(_last_actor(post), "This post")
    if post.removed_at is None:
        _set_removed(post, actor=actor.user, by_moderator=True, now=now)
        events.emit(events.POST_HIDDEN, community_id=post.community_id, post_id=post.pk)
    # else: auto-hidden by flags; the moderator now confirms the removal.
    _resolve_flags(post, actor=actor.user, resolution="hidden", now=now)
    audit(
        community_id=post.community_id,
        actor=actor.user,
        action=AuditAction.POST_HIDDEN,
        reason=reason,
        target_user_id=post.author_id,
        target_post=post,
    )
    _notify_removed(post, reason=reason)
    return post


def _audit_and_tell_author(*, actor: Membership, post: Post, action: str, reason: str, text: str) -> None:
    """Record a moderator's action on a post and tell its author, with a link to the post."""
    audit(
        community_id=post.community_id,
        actor=actor.user,
        action=action,
        reason=reason,
        target_user_id=post.author_id,
        target_post=post,
    )
    if post.author_id:
        notification_create(
            recipient_id=post.author_id,
            kind=Notification.Kind.MODERATION,
            text=text,
            url=_post_link(post),
            community_id=post.community_id,
            thread_id=post.thread_id,
            post_id=post.pk,
        )


@transaction.atomic
def post_restore(*, actor: Membership, post: Post, reason: str = "") -> Post:
    """Bring a removed post back: the one restore, for both kinds of removal.

    Who may is decided by ``access.can_restore_post``: the author undoes their own deletion (not
    audited, nobody is told); staff restore a post moderation hid (its open flags are resolved as
    kept, the action is audited and the author told). An erased post never comes back.
    """
    post = _lock_post(post)
    if post.removed_at is None:
        raise AlreadyHandled(_last_actor(post), "This post")
    if post.community_id != actor.community_id:
        raise PermissionDenied("That post belongs to another community.")
    if not access.can_restore_post(actor, post):
        if not post.removed_by_moderator:
            raise ValidationError("The author deleted this post; only they can restore it.")
        if not post.body_md:
            raise ValidationError("A deleted post can't be restored.")
        raise PermissionDenied("Moderators can't act on posts by the owner or other moderators.")
    by_moderator = post.removed_by_moderator
    now = timezone.now()
    _set_restored(post, actor=actor.user_id, by_moderator=by_moderator, now=now)
    if not by_moderator:
        return post
    _resolve_flags(post, actor=actor.user, resolution="kept", now=now)
    _audit_and_tell_author(
        actor=actor,
        post=post,
        action=AuditAction.POST_RESTORED,
        reason=reason,
        text="A moderator restored your post.",
    )
    return post


@transaction.atomic
def post_erase(*, actor: Membership, post: Post, reason: str = "") -> Post:
    """A moderator removes a post for good: its text and earlier versions are erased; the row
    stays so the thread's history and the metrics' PostEvent record hold. (An author deleting
    their own post is ``communities.discussions.services.post_delete``.)"""
    _check_post_target(actor, post)
    post = _lock_post(post)
    if not post.body_md:
        raise AlreadyHandled(_last_actor(post), "This post")
    now = timezone.now()
    if post.removed_at is None:
        _set_removed(post, actor=actor.user, by_moderator=True, now=now)
        events.emit(events.POST_HIDDEN, community_id=post.community_id, post_id=post.pk)
    post.body_md = ""
    post.body_html = DELETED_BODY_HTML
    post.removed_by_moderator = True
    post.save(update_fields=["body_md", "body_html", "removed_by_moderator"])
    PostRevision.objects.filter(post=post).delete()
    _resolve_flags(post, actor=actor.user, resolution="deleted", now=now)
    audit(
        community_id=post.community_id,
        actor=actor.user,
        action=AuditAction.POST_DELETED,
        reason=reason,
        target_user_id=post.author_id,
        target_post=post,
    )
    _notify_removed(post, reason=reason, deleted=True)
    return post


@transaction.atomic
def flags_dismiss(*, actor: Membership, post: Post, reason: str = "") -> Post:
    """Keep the post: resolve its open flags; if the flags had hidden it automatically, show it again."""
    _check_post_target(actor, post)
    post = _lock_post(post)
    open_flags = Flag.objects.filter(post=post, resolved_at__isnull=True)
    if not open_flags.exists():
        last = Flag.objects.filter(post=post).select_related("resolved_by").order_by("-resolved_at").first()
        raise AlreadyHandled(last.resolved_by if last else None, "These flags")
    now = timezone.now()
    restored = False
    if post.removed_at is not None and post.body_md and latest_removal_actor_is_system(post):
        _set_restored(post, actor=actor.user, now=now)
        restored = True
    count = _resolve_flags(post, actor=actor.user, resolution="kept", now=now)
    audit(
        community_id=post.community_id,
        actor=actor.user,
        action=AuditAction.FLAGS_DISMISSED,
        reason=reason,
        target_user_id=post.author_id,
        target_post=post,
        data={"flags": count, "restored": restored},
    )
    return post


def _enqueue_post_notify(post_id: int) -> None:
    enqueue_on_commit("communities.tasks.notify_post", post_id, False)


@transaction.atomic
def post_approve(*, actor: Membership, post: Post, reason: str = "") -> Post:
    """Publish a held post: published_at is now; an opening post publishes its thread."""
    _check_post_target(actor, post)
    post = _lock_post(post)
    if post.status != PostStatus.HELD:
        event = (
            post.events.filter(kind__in=[PostEventKind.APPROVED, PostEventKind.REJECTED])
            .select_related("actor")
            .last()
        )
        raise AlreadyHandled(event.actor if event else None, "This post")
    now = timezone.now()
    post.status = PostStatus.PUBLISHED
    post.published_at = now
    post.save(update_fields=["status", "published_at"])
    PostEvent.objects.create(
        post=post, kind=PostEventKind.APPROVED, at=now, actor=actor.user, by_moderator=True
    )
    if post.removed_at is None:
        if post.is_opening:
            Thread.objects.filter(pk=post.thread_id).update(removed_at=None, last_post_at=now)
        else:
            Thread.objects.filter(pk=post.thread_id).update(
                reply_count=F("reply_count") + 1, last_post_at=now
            )
        # The same notifications a post published at once sends (followers, quoted, mentioned),
        # after commit. Only the first approval gets here (a second one is AlreadyHandled).
        _enqueue_post_notify(post.pk)
        kind = events.THREAD_CREATED if post.is_opening else events.POST_CREATED
        events.emit(kind, community_id=post.community_id, thread_id=post.thread_id, post_id=post.pk)
    _audit_and_tell_author(
        actor=actor,
        post=post,
        action=AuditAction.POST_APPROVED,
        reason=reason,
        text="Your post was approved and is now visible to everyone.",
    )
    return post


@transaction.atomic
def post_reject(*, actor: Membership, post: Post, reason: str = "") -> Post:
    """Reject a held post: it never appears (the author is told, with the reason)."""
    _check_post_target(actor, post)
    post = _lock_post(post)
    if post.status != PostStatus.HELD:
        event = (
            post.events.filter(kind__in=[PostEventKind.APPROVED, PostEventKind.REJECTED])
            .select_related("actor")
            .last()
        )
        raise AlreadyHandled(event.actor if event else None, "This post")
    now = timezone.now()
    post.status = PostStatus.REJECTED
    post.save(update_fields=["status"])
    PostEvent.objects.create(
        post=post, kind=PostEventKind.REJECTED, at=now, actor=actor.user, by_moderator=True
    )
    audit(
        community_id=post.community_id,
        actor=actor.user,
        action=AuditAction.POST_REJECTED,
        reason=reason,
        target_user_id=post.author_id,
        target_post=post,
    )
    if post.author_id:
        notification_create(
            recipient_id=post.author_id,
            kind=Notification.Kind.MODERATION,
            text="A moderator didn't approve your post." + (f" Reason: {reason}" if reason else ""),
            community_id=post.community_id,
            post_id=post.pk,
        )
    return post


# --- Word filters ----------------------------------------------------------------------------------


@transaction.atomic
def word_filter_add(*, actor: Membership, phrase: str, action: str) -> WordFilter:
    _staff_or_403(actor)
    phrase = " ".join((phrase or "").split()).lower()
    if not phrase:
        raise ValidationError("Enter a word or phrase.")
    if len(phrase) > 100:
        raise ValidationError("Keep phrases under 100 characters.")
    if action not in WordFilterAction.values:
        raise ValidationError("Choose hold or block.")
    if WordFilter.objects.filter(community_id=actor.community_id, phrase=phrase).exists():
        raise ValidationError(f"“{phrase}” is already in the filter.")
    wf = WordFilter.objects.create(community_id=actor.community_id, phrase=phrase, action=action)
    audit(
        community_id=actor.community_id,
        actor=actor.user,
        action=AuditAction.SETTINGS_CHANGED,
        reason="",
        data={"word_filter": "added", "phrase": phrase, "filter_action": action},
    )
    return wf


@transaction.atomic
def word_filter_remove(*, actor: Membership, word_filter_id: int) -> None:
    _staff_or_403(actor)
    wf = WordFilter.objects.filter(pk=word_filter_id, community_id=actor.community_id).first()
    if wf is None:
        return
    wf.delete()
    audit(
        community_id=actor.community_id,
        actor=actor.user,
        action=AuditAction.SETTINGS_CHANGED,
        data={"word_filter": "removed", "phrase": wf.phrase},
    )


# --- Owner settings --------------------------------------------------------------------------------

MODERATION_SETTING_FIELDS = (
    "flag_threshold",
    "hold_first_posts",
    "transparency_log_enabled",
    "transparency_show_moderator",
)
LIMIT_FIELDS = (
    "post_interval_seconds",
    "thread_interval_seconds",
    "new_member_post_interval_seconds",
    "new_member_thread_interval_seconds",
    "threads_per_day",
    "threads_first_day",
    "new_member_days",
)


@transaction.atomic
def moderation_settings_update(*, actor: Membership, community_values: dict, limit_values: dict) -> None:
    """Owner-only: flag threshold, held first posts, transparency log, posting limits."""
    if not (access.is_staff(actor) and actor.role == "owner"):
        raise PermissionDenied("Only the owner changes these settings.")
    community = Community.objects.select_for_update().get(pk=actor.community_id)
    changed = {}
    for name in MODERATION_SETTING_FIELDS:
        if name in community_values and getattr(community, name) != community_values[name]:
            changed[name] = community_values[name]
            setattr(community, name, community_values[name])
    if changed:
        community.save(update_fields=list(changed))
    limits, _ = CommunityLimits.objects.get_or_create(community=community)
    limit_changes = {}
    for name in LIMIT_FIELDS:
        if name in limit_values and getattr(limits, name) != limit_values[name]:
            limit_changes[name] = limit_values[name]
            setattr(limits, name, limit_values[name])
    if limit_changes:
        limits.save(update_fields=list(limit_changes))
    if changed or limit_changes:
        audit(
            community_id=community.pk,
            actor=actor.user,
            action=AuditAction.SETTINGS_CHANGED,
            data={"moderation_settings": {k: str(v) for k, v in {**changed, **limit_changes}.items()}},
        )
