"""Sanctions on members: warn, mute for a time, ban, and undoing them. Each is audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from communities.discussions.models import Post
from communities.integrations import events
from communities.models import Community
from members import access
from members.models import (
    JoinRequest,
    Membership,
    MembershipEvent,
    MembershipEventKind,
    MembershipStatus,
    User,
)
from members.notifications.models import Notification
from members.notifications.services import notification_create
from moderation.audit import audit
from moderation.models import (
    AuditAction,
    Sanction,
    SanctionKind,
)
from moderation.services import AlreadyHandled, _staff_or_403

MAX_MUTE_DAYS = 365


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
    if was_active:
        events.emit(events.MEMBER_LEFT, community_id=target.community_id, membership_id=target.pk)
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
