"""Writes about people and their memberships. Each runs in one transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from communities.models import Community
from members.models import (
    Invite,
    Membership,
    MembershipEvent,
    MembershipEventKind,
    MembershipStatus,
    Notification,
    Role,
    User,
)


class MembershipError(Exception):
    """A membership change that is not allowed (message is shown to the person)."""


@transaction.atomic
def membership_join(
    *,
    user: User,
    community: Community,
    role: str = Role.MEMBER,
    invite: Invite | None = None,
    actor: User | None = None,
    at: object = None,
) -> Membership:
    """Make ``user`` an active member (new, or rejoining after leaving) and record the event.

    Banned people cannot join. Joining twice is a no-op that returns the active membership.
    """
    now = at or timezone.now()
    membership = Membership.objects.select_for_update().filter(user=user, community=community).first()
    if membership is not None:
        if membership.status == MembershipStatus.ACTIVE:
            return membership
        if membership.status == MembershipStatus.BANNED:
            raise MembershipError("You can't join this community.")
        membership.status = MembershipStatus.ACTIVE
        membership.role = role
        membership.joined_at = now
        membership.left_at = None
        membership.save(update_fields=["status", "role", "joined_at", "left_at"])
    else:
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    user=user,
                    community=community,
                    role=role,
                    joined_at=now,
                    first_joined_at=now,
                    invite=invite,
                    invited_by=invite.created_by if invite else None,
                )
        except IntegrityError:
            # A concurrent request created it first: use that one.
            return Membership.objects.get(user=user, community=community)
    MembershipEvent.objects.create(
        membership=membership,
        user=user,
        community=community,
        kind=MembershipEventKind.JOINED,
        role=role,
        at=now,
        actor=actor,
        invite=invite,
    )
    _welcome_on_commit(membership)
    return membership


def _welcome_on_commit(membership: Membership) -> None:
    """Onboarding (welcome + welcomers notified) runs after the join commits, as a task."""
    if membership.role in (Role.OWNER, Role.MODERATOR):
        return
    from communities.ritual_tasks import enqueue_welcome  # communities imports this module

    membership_id = membership.pk
    transaction.on_commit(lambda: enqueue_welcome(membership_id))


@transaction.atomic
def membership_leave(*, membership: Membership, at: object = None) -> Membership:
    """End an active membership by the member's choice. The last owner cannot leave."""
    now = at or timezone.now()
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.status != MembershipStatus.ACTIVE:
        return membership
    if (
        membership.role == Role.OWNER
        and not Membership.objects.filter(
            community_id=membership.community_id, role=Role.OWNER, status=MembershipStatus.ACTIVE
        )
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise MembershipError("Hand over ownership to someone else before you leave.")
    membership.status = MembershipStatus.LEFT
    membership.left_at = now
    membership.save(update_fields=["status", "left_at"])
    MembershipEvent.objects.create(
        membership=membership,
        user_id=membership.user_id,
        community_id=membership.community_id,
        kind=MembershipEventKind.LEFT,
        role=membership.role,
        at=now,
        actor_id=membership.user_id,
    )
    return membership


@transaction.atomic
def membership_set_role(
    *, membership: Membership, role: str, actor: User | None, at: object = None
) -> Membership:
    """Change a member's role and record who did it. An owner cannot remove the last owner."""
    now = at or timezone.now()
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.status != MembershipStatus.ACTIVE:
        raise MembershipError("Only current members can be given a role.")
    if membership.role == role:
        return membership
    if (
        membership.role == Role.OWNER
        and not Membership.objects.filter(
            community_id=membership.community_id, role=Role.OWNER, status=MembershipStatus.ACTIVE
        )
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise MembershipError("A community needs at least one owner.")
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    MembershipEvent.objects.create(
        membership=membership,
        user_id=membership.user_id,
        community_id=membership.community_id,
        kind=MembershipEventKind.ROLE_CHANGED,
        role=role,
        previous_role=previous,
        at=now,
        actor=actor,
    )
    return membership


def notification_create(
    *,
    recipient_id: int,
    kind: str,
    text: str,
    url: str = "",
    community_id: int | None = None,
    actor_id: int | None = None,
    thread_id: int | None = None,
    post_id: int | None = None,
) -> Notification:
    """Create an in-app notification. The one place notifications are made; email delivery
    (a later concern) hangs off the rows this writes."""
    return Notification.objects.create(
        recipient_id=recipient_id,
        kind=kind,
        text=text[:300],
        url=url[:300],
        community_id=community_id,
        actor_id=actor_id,
        thread_id=thread_id,
        post_id=post_id,
    )
