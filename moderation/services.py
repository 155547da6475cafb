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

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone

from communities.models import Community, Post, PostEvent, PostEventKind, PostRevision, PostStatus, Thread
from members import access
from members.models import (
    JoinRequest,
    Membership,
    MembershipEvent,
    MembershipEventKind,
    MembershipStatus,
    Notification,
    User,
)
from members.services import notification_create
from moderation import ratelimit
from moderation.models import (
    AuditAction,
    AuditLogEntry,
    CommunityLimits,
    Flag,
    FlagReason,
    Sanction,
    SanctionKind,
    WordFilter,
    WordFilterAction,
)
from moderation.selectors import community_limits, latest_removal_actor_is_system

FLAGS_PER_DAY = 20
IDENTICAL_POST_WINDOW = 5 * 60
MAX_MUTE_DAYS = 365
DELETED_BODY_HTML = "<p><em>This post was deleted by a moderator.</em></p>"


class PostingRefused(ValidationError):
    """The member may not post this now (muted, a blocked word). The message is for the person."""


class AlreadyHandled(Exception):
    """Another moderator handled this queue item first; ``by`` is who (may be None)."""

    def __init__(self, by: User | None, what: str = "This item") -> None:
        self.by = by
        who = f"@{by.handle}" if by is not None else "another moderator"
        super().__init__(f"{what} was already handled by {who}.")


class FlagError(ValidationError):
    """A flag that can't be accepted (own post, already flagged...)."""


# --- Audit -----------------------------------------------------------------------------------------


def audit(
    *,
    community_id: int,
    actor: User | None,
    action: str,
    reason: str = "",
    target_user_id: int | None = None,
    target_post: Post | None = None,
    target_thread_id: int | None = None,
    data: dict | None = None,
) -> AuditLogEntry:
    """Record a moderator action. Call inside the action's transaction."""
    return AuditLogEntry.objects.create(
        community_id=community_id,
        actor=actor,
        action=action,
        reason=(reason or "").strip()[:2000],
        target_user_id=target_user_id,
        target_post=target_post,
        target_thread_id=target_thread_id
        if target_thread_id
        else (target_post.thread_id if target_post else None),
        data=data or {},
    )


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


# --- Posting hooks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostDecision:
    status: str = PostStatus.PUBLISHED
    hold_reason: str = ""  # "first_posts" / "word_filter"

    @property
    def published(self) -> bool:
        return self.status == PostStatus.PUBLISHED


PUBLISH = PostDecision()


def _phrase_matches(phrase: str, text: str) -> bool:
    pattern = r"(?<!\w)" + re.escape(phrase.strip()) + r"(?!\w)"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


def _check_rate_limits(
    membership: Membership, *, community: Community, body_md: str, is_thread: bool
) -> None:
    """Order matters: a refused attempt must not use up a later limit. An identical repeat is
    looked for first (a double submit says so), then the interval is counted (refused: nothing
    else is recorded, so sending the same text after the wait works), then the text is recorded
    and the daily thread cap counted."""
    limits = community_limits(community)
    now = timezone.now()
    age = now - membership.joined_at
    is_new = age < timedelta(days=limits.new_member_days)
    ident = f"{community.pk}:{membership.user_id}"
    same_message = "You posted exactly this a moment ago. You can post the same text again {when}."
    ratelimit.check_once(
        "same-post", f"{ident}:{ratelimit.digest(body_md)}", IDENTICAL_POST_WINDOW, message=same_message
    )
    if is_thread:
        interval = limits.new_member_thread_interval_seconds if is_new else limits.thread_interval_seconds
        name = "thread"
    else:
        interval = limits.new_member_post_interval_seconds if is_new else limits.post_interval_seconds
        name = "post"
    if interval > 0:
        ratelimit.hit(
            ratelimit.Limit(name, 1, interval),
            ident,
            message="You're posting faster than this community allows"
            + (" for new members" if is_new else "")
            + ". You can post again {when}.",
        )
    ratelimit.once(
        "same-post", f"{ident}:{ratelimit.digest(body_md)}", IDENTICAL_POST_WINDOW, message=same_message
    )
    if is_thread:
        first_day = age < timedelta(days=1)
        per_day = limits.threads_first_day if first_day else limits.threads_per_day
        ratelimit.hit(
            ratelimit.Limit("thread-day", per_day, 24 * 3600),
            ident,
            message=f"You can start {per_day} thread{'s' if per_day != 1 else ''} a day here"
            + (" on your first day" if first_day else "")
            + ". You can start another {when}.",
        )


def moderation_check_post(
    *,
    author: Membership | User,
    community_id: int,
    body_md: str,
    title: str = "",
    is_thread: bool = False,
    at: datetime | None = None,
) -> PostDecision:
    """Decide whether a new post may be written, and whether it is published or held.

    Raises :class:`PostingRefused` (muted, a blocked word) or ``ratelimit.RateLimited`` (too
    fast), both ValidationErrors whose message is for the person; the view keeps their text.
    System accounts (a ``User``) and writes back-dated with ``at`` (imports, seeding) skip the
    checks. Staff are never held, filtered or rate-limited except for an identical repeat.
    """
    if not isinstance(author, Membership) or at is not None:
        return PUBLISH
    now = timezone.now()
    if author.muted_until and author.muted_until > now:
        raise PostingRefused(_muted_message(author.muted_until, "post"), code="muted")
    community = Community.objects.only("pk", "hold_first_posts").get(pk=community_id)
    if access.is_staff(author):
        ratelimit.once(
            "same-post",
            f"{community.pk}:{author.user_id}:{ratelimit.digest(body_md)}",
            IDENTICAL_POST_WINDOW,
            message="You posted exactly this a moment ago. You can post the same text again {when}.",
        )
        return PUBLISH
    text = f"{title}\n{body_md}"
    hold = ""
    for wf in WordFilter.objects.filter(community_id=community_id).order_by("action", "pk")[:500]:
        if _phrase_matches(wf.phrase, text):
            if wf.action == WordFilterAction.BLOCK:
                raise PostingRefused(
                    f"Your post contains “{wf.phrase}”, which this community doesn't allow. "
                    "Edit it and try again — your text is kept below.",
                    code="blocked_word",
                )
            hold = "word_filter"
    _check_rate_limits(author, community=community, body_md=body_md, is_thread=is_thread)
    if not hold and community.hold_first_posts:
        approved = Post.objects.filter(
            community_id=community_id, author_id=author.user_id, status=PostStatus.PUBLISHED
        ).count()
        if approved < community.hold_first_posts:
            hold = "first_posts"
    if hold:
        return PostDecision(status=PostStatus.HELD, hold_reason=hold)
    return PUBLISH


def _muted_message(until: datetime, doing: str) -> str:
    when = timezone.localtime(until).strftime("%-d %b %Y, %H:%M %Z")
    return f"You are muted in this community until {when}, so you can't {doing}. You can still read."


def moderation_check_react(membership: Membership) -> None:
    """Call before adding a reaction: muted members can't react (raises PostingRefused)."""
    if membership.muted_until and membership.muted_until > timezone.now():
        raise PostingRefused(_muted_message(membership.muted_until, "react"), code="muted")


def moderation_post_created(post: Post, decision: PostDecision) -> None:
    """After a post is written: a held opening post keeps its thread hidden until approval
    (``Thread.removed_at``, which every listing already filters), and the author is told."""
    if decision.published:
        return
    if post.is_opening:
        Thread.objects.filter(pk=post.thread_id).update(removed_at=post.created_at)
    notification_create(
        recipient_id=post.author_id,
        kind=Notification.Kind.MODERATION,
        text="Your post is awaiting review by a moderator. Others will see it once it's approved.",
        url=_post_link(post),
        community_id=post.community_id,
        thread_id=post.thread_id,
        post_id=post.pk,
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


def _set_restored(post: Post, *, actor: User | None, now: datetime) -> None:
    post.removed_at = None
    post.removed_by_moderator = False
    post.save(update_fields=["removed_at", "removed_by_moderator"])
    PostEvent.objects.create(post=post, kind=PostEventKind.RESTORED, at=now, actor=actor, by_moderator=True)
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
    """Show a hidden post again (not one a moderator deleted, nor one its author deleted)."""
    _check_post_target(actor, post)
    post = _lock_post(post)
    if post.removed_at is None:
        raise AlreadyHandled(_last_actor(post), "This post")
    if not post.body_md:
        raise ValidationError("A deleted post can't be restored.")
    last_removal = post.events.filter(kind=PostEventKind.REMOVED).order_by("-at", "-pk").first()
    if last_removal is not None and last_removal.actor_id == post.author_id and not last_removal.by_moderator:
        raise ValidationError("The author deleted this post; it can't be restored by a moderator.")
    now = timezone.now()
    _set_restored(post, actor=actor.user, now=now)
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
def post_delete(*, actor: Membership, post: Post, reason: str = "") -> Post:
    """Remove a post for good: its text and earlier versions are erased; the row stays so the
    thread's history and the metrics' PostEvent record hold."""
    _check_post_target(actor, post)
    post = _lock_post(post)
    if not post.body_md:
        raise AlreadyHandled(_last_actor(post), "This post")
    now = timezone.now()
    if post.removed_at is None:
        _set_removed(post, actor=actor.user, by_moderator=True, now=now)
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
    from communities.tasks import notify_post

    notify_post.delay_on_commit(post_id)


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


# --- Flags -----------------------------------------------------------------------------------------


@transaction.atomic
def flag_create(*, membership: Membership, post: Post, reason: str, note: str = "") -> Flag:
    """A member flags a post they can see (not their own, once). Reaching the community's
    threshold of distinct flaggers hides the post pending review (a system removal)."""
    if not membership.is_active or post.community_id != membership.community_id:
        raise PermissionDenied("Only members can flag posts here.")
    if reason not in FlagReason.values:
        raise FlagError("Choose a reason.")
    note = (note or "").strip()
    if reason == FlagReason.OTHER and not note:
        raise FlagError("Tell the moderators what is wrong (a short note) when the reason is “Other”.")
    if len(note) > 500:
        raise FlagError("Keep the note under 500 characters.")
    if post.author_id == membership.user_id:
        raise FlagError("You can't flag your own post.")
    if not post.is_visible:
        raise FlagError("This post is already waiting for a moderator.")
    if Flag.objects.filter(post=post, flagger_id=membership.user_id).exists():
        raise FlagError("You already flagged this post. Thank you — a moderator will look at it.")
    ratelimit.hit(
        ratelimit.Limit("flag-day", FLAGS_PER_DAY, 24 * 3600),
        str(membership.user_id),
        message=f"You can flag {FLAGS_PER_DAY} posts a day. You can flag again {{when}}.",
    )
    post = _lock_post(post)  # serialises flaggers of one post, so the threshold hides once
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                community_id=post.community_id,
                post=post,
                flagger_id=membership.user_id,
                reason=reason,
                note=note,
            )
    except IntegrityError:
        raise FlagError("You already flagged this post. Thank you — a moderator will look at it.") from None
    threshold = Community.objects.values_list("flag_threshold", flat=True).get(pk=post.community_id)
    flaggers = (
        Flag.objects.filter(post=post, resolved_at__isnull=True).values("flagger_id").distinct().count()
    )
    if post.removed_at is None and post.status == PostStatus.PUBLISHED and flaggers >= threshold:
        # A moderation removal (not the author's), by the system: PostEvent.actor stays empty.
        _set_removed(post, actor=None, by_moderator=True, now=timezone.now())
        if post.author_id:
            notification_create(
                recipient_id=post.author_id,
                kind=Notification.Kind.MODERATION,
                text="Several members flagged your post, so it is hidden until a moderator reviews it.",
                url=_post_link(post),
                community_id=post.community_id,
                thread_id=post.thread_id,
                post_id=post.pk,
            )
    return flag


# --- Sanctions -------------------------------------------------------------------------------------


def _lock_target(actor: Membership, target: Membership) -> Membership:
    _staff_or_403(actor)
    if target.community_id != actor.community_id:
        raise PermissionDenied("That person belongs to another community.")
    target = Membership.objects.select_for_update().select_related("user").get(pk=target.pk)
    if not access.can_moderate_member(actor, target):
        raise PermissionDenied("Moderators can't sanction the owner or other moderators.")
    return target


def _notify_member(target: Membership, text: str) -> None:
    community = Community.objects.only("slug").get(pk=target.community_id)
    notification_create(
        recipient_id=target.user_id,
        kind=Notification.Kind.MODERATION,
        text=text,
        url=reverse("community-home", args=[community.slug]),
        community_id=target.community_id,
    )


@transaction.atomic
def member_warn(*, actor: Membership, target: Membership, reason: str) -> Sanction:
    """A private warning: a banner on the community's pages until acknowledged, and a notification."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Write the warning the member will read.")
    target = _lock_target(actor, target)
    if not target.is_active:
        raise ValidationError("Only current members can be warned.")
    sanction = Sanction.objects.create(
        community_id=target.community_id,
        user_id=target.user_id,
        kind=SanctionKind.WARN,
        reason=reason,
        created_by=actor.user,
    )
    audit(
        community_id=target.community_id,
        actor=actor.user,
        action=AuditAction.WARNED,
        reason=reason,
        target_user_id=target.user_id,
    )
    _notify_member(target, f"A moderator sent you a warning: {reason}")
    return sanction


@transaction.atomic
def member_mute(
    *,
    actor: Membership,
    target: Membership,
    days: int | None = None,
    until: datetime | None = None,
    reason: str = "",
) -> Sanction:
    """Mute until a time: the member reads but can't post or react. Replaces a running mute."""
    now = timezone.now()
    if until is None:
        if not days or days < 1 or days > MAX_MUTE_DAYS:
            raise ValidationError(f"Mute for 1 to {MAX_MUTE_DAYS} days.")
        until = now + timedelta(days=days)
    if until <= now:
        raise ValidationError("The mute must end in the future.")
    target = _lock_target(actor, target)
    if not target.is_active:
        raise ValidationError("Only current members can be muted.")
    Sanction.objects.filter(
        community_id=target.community_id,
        user_id=target.user_id,
        kind=SanctionKind.MUTE,
        lifted_at__isnull=True,
    ).update(lifted_at=now, lifted_by=actor.user)
    target.muted_until = until
    target.save(update_fields=["muted_until"])
    sanction = Sanction.objects.create(
        community_id=target.community_id,
        user_id=target.user_id,
        kind=SanctionKind.MUTE,
        reason=reason.strip(),
        created_by=actor.user,
        expires_at=until,
    )
    audit(
        community_id=target.community_id,
        actor=actor.user,
        action=AuditAction.MUTED,
        reason=reason,
        target_user_id=target.user_id,
        data={"until": until.isoformat()},
    )
    when = timezone.localtime(until).strftime("%-d %b %Y, %H:%M %Z")
    _notify_member(
        target,
        f"A moderator muted you until {when}: you can read but not post or react."
        + (f" Reason: {reason.strip()}" if reason.strip() else ""),
    )
    return sanction


@transaction.atomic
def member_unmute(*, actor: Membership, target: Membership, reason: str = "") -> Membership:
    target = _lock_target(actor, target)
    now = timezone.now()
    if not (target.muted_until and target.muted_until > now):
        raise ValidationError("This member is not muted.")
    target.muted_until = None
    target.save(update_fields=["muted_until"])
    Sanction.objects.filter(
        community_id=target.community_id,
        user_id=target.user_id,
        kind=SanctionKind.MUTE,
        lifted_at__isnull=True,
    ).update(lifted_at=now, lifted_by=actor.user)
    audit(
        community_id=target.community_id,
        actor=actor.user,
        action=AuditAction.UNMUTED,
        reason=reason,
        target_user_id=target.user_id,
    )
    _notify_member(target, "A moderator lifted your mute: you can post again.")
    return target


@transaction.atomic
def member_ban(*, actor: Membership, target: Membership, reason: str = "") -> Membership:
    """End the membership (status banned, MembershipEvent BANNED). Invites and join requests
    can't bring them back (``members.services.membership_join`` refuses banned people)."""
    target = _lock_target(actor, target)
    if target.status == MembershipStatus.BANNED:
        raise AlreadyHandled(None, f"@{target.user.handle}")
    now = timezone.now()
    was_active = target.is_active
    target.status = MembershipStatus.BANNED
    if was_active:
        target.left_at = now
    target.muted_until = None
    target.save(update_fields=["status", "left_at", "muted_until"])
    MembershipEvent.objects.create(
        membership=target,
        user_id=target.user_id,
        community_id=target.community_id,
        kind=MembershipEventKind.BANNED,
        role=target.role,
        at=now,
        actor=actor.user,
        reason=reason.strip(),
    )
    Sanction.objects.create(
        community_id=target.community_id,
        user_id=target.user_id,
        kind=SanctionKind.BAN,
        reason=reason.strip(),
        created_by=actor.user,
    )
    JoinRequest.objects.filter(
        community_id=target.community_id, user_id=target.user_id, status="pending"
    ).update(status="rejected", decided_at=now, decided_by=actor.user, reason="Banned")
    audit(
        community_id=target.community_id,
        actor=actor.user,
        action=AuditAction.BANNED,
        reason=reason,
        target_user_id=target.user_id,
    )
    notification_create(
        recipient_id=target.user_id,
        kind=Notification.Kind.MODERATION,
        text="You were removed from a community by its moderators."
        + (f" Reason: {reason.strip()}" if reason.strip() else ""),
    )
    return target


@transaction.atomic
def member_unban(*, actor: Membership, target: Membership, reason: str = "") -> Membership:
    """Lift a ban. The person is not a member again; they may rejoin through the usual ways."""
    target = _lock_target(actor, target)
    if target.status != MembershipStatus.BANNED:
        raise AlreadyHandled(None, f"@{target.user.handle}'s ban")
    now = timezone.now()
    target.status = MembershipStatus.LEFT
    target.save(update_fields=["status"])
    MembershipEvent.objects.create(
        membership=target,
        user_id=target.user_id,
        community_id=target.community_id,
        kind=MembershipEventKind.UNBANNED,
        role=target.role,
        at=now,
        actor=actor.user,
        reason=reason.strip(),
    )
    Sanction.objects.filter(
        community_id=target.community_id,
        user_id=target.user_id,
        kind=SanctionKind.BAN,
        lifted_at__isnull=True,
    ).update(lifted_at=now, lifted_by=actor.user)
    audit(
        community_id=target.community_id,
        actor=actor.user,
        action=AuditAction.UNBANNED,
        reason=reason,
        target_user_id=target.user_id,
    )
    return target


@transaction.atomic
def warning_acknowledge(*, user: User, sanction_id: int) -> None:
    Sanction.objects.filter(pk=sanction_id, user=user, kind=SanctionKind.WARN, seen_at__isnull=True).update(
        seen_at=timezone.now()
    )


SANCTIONS = ("", "warn", "mute", "ban")


def sanction_author(
    *, actor: Membership, post: Post, sanction: str, reason: str, mute_days: int | None = None
) -> None:
    """Sanction a post's author (from the queue, in the caller's transaction)."""
    if not sanction:
        return
    if post.author_id is None:
        raise ValidationError("The author's account no longer exists.")
    target = Membership.objects.filter(community_id=post.community_id, user_id=post.author_id).first()
    if target is None:
        raise ValidationError("The author is not a member of this community.")
    if sanction == "warn":
        member_warn(actor=actor, target=target, reason=reason or "Please follow the community's guidelines.")
    elif sanction == "mute":
        member_mute(actor=actor, target=target, days=mute_days or 1, reason=reason)
    elif sanction == "ban":
        member_ban(actor=actor, target=target, reason=reason)
    else:
        raise ValidationError("Unknown sanction.")


# --- Queue handlers (one click each) ---------------------------------------------------------------


@transaction.atomic
def queue_resolve_flags(
    *,
    actor: Membership,
    post: Post,
    action: str,
    reason: str = "",
    sanction: str = "",
    mute_days: int | None = None,
) -> Post:
    """keep / hide / delete a flagged post, and optionally sanction its author, in one step.

    The post row is locked first and its open flags re-checked, so of two moderators acting
    on the same item the second gets AlreadyHandled whatever each chose."""
    if action not in ("keep", "hide", "delete"):
        raise ValidationError("Choose keep, hide or delete.")
    _check_post_target(actor, post)
    post = _lock_post(post)
    if not Flag.objects.filter(post=post, resolved_at__isnull=True).exists():
        last = Flag.objects.filter(post=post).select_related("resolved_by").order_by("-resolved_at").first()
        raise AlreadyHandled(last.resolved_by if last else None, "These flags")
    if action == "keep":
        post = flags_dismiss(actor=actor, post=post, reason=reason)
    elif action == "hide":
        post = post_hide(actor=actor, post=post, reason=reason)
    elif action == "delete":
        post = post_delete(actor=actor, post=post, reason=reason)
    sanction_author(actor=actor, post=post, sanction=sanction, reason=reason, mute_days=mute_days)
    return post


@transaction.atomic
def queue_decide_held(
    *,
    actor: Membership,
    post: Post,
    approve: bool,
    reason: str = "",
    sanction: str = "",
    mute_days: int | None = None,
) -> Post:
    if approve:
        post = post_approve(actor=actor, post=post, reason=reason)
    else:
        post = post_reject(actor=actor, post=post, reason=reason)
    sanction_author(actor=actor, post=post, sanction=sanction, reason=reason, mute_days=mute_days)
    return post


@transaction.atomic
def queue_decide_join(
    *, actor: Membership, join_request: JoinRequest, approve: bool, reason: str = ""
) -> JoinRequest:
    """Approve or reject a join request and record it in the audit log."""
    from members.services import JoinRequestDecided, join_request_approve, join_request_reject

    _staff_or_403(actor)
    if join_request.community_id != actor.community_id:
        raise PermissionDenied("That request belongs to another community.")
    try:
        if approve:
            decided = join_request_approve(join_request=join_request, actor=actor.user, reason=reason)
        else:
            decided = join_request_reject(join_request=join_request, actor=actor.user, reason=reason)
    except JoinRequestDecided as exc:
        raise AlreadyHandled(exc.decided_by, "This request") from None
    audit(
        community_id=decided.community_id,
        actor=actor.user,
        action=AuditAction.JOIN_APPROVED if approve else AuditAction.JOIN_REJECTED,
        reason=reason,
        target_user_id=decided.user_id,
        data={"join_request": decided.pk},
    )
    return decided


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
