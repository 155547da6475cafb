"""Writes about people and their memberships. Each runs in one transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from communities.models import Community
from members.models import (
    Invite,
    JoinRequest,
    JoinRequestStatus,
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
    send_email: bool = True,
) -> Notification:
    """Create an in-app notification: the one place notifications are made.

    Email delivery hangs off the row: once the surrounding transaction commits, a task decides
    per the recipient's preference (immediately / in the digest / never) and re-checks access
    at send time. Pass ``send_email=False`` for notices that must stay in-app only.

    Mentions, replies and quotes by someone the recipient has muted are not stored at all; the
    returned instance is then unsaved (``pk`` is None).
    """
    from members.models import MutedMember

    notification = Notification(
        recipient_id=recipient_id,
        kind=kind,
        text=text[:300],
        url=url[:300],
        community_id=community_id,
        actor_id=actor_id,
        thread_id=thread_id,
        post_id=post_id,
    )

    if (
        actor_id is not None
        and kind in {Notification.Kind.REPLY, Notification.Kind.MENTION, Notification.Kind.QUOTE}
        and MutedMember.objects.filter(user_id=recipient_id, muted_user_id=actor_id).exists()
    ):
        return notification
    notification.save()
    if send_email:
        from members.tasks import send_notification_email

        # robust: once the event is committed, trouble queueing its email (broker down, or an
        # SMTP error when tasks run eagerly) is logged, never turned into an error page.
        transaction.on_commit(lambda: send_notification_email.delay(notification.pk), robust=True)
    return notification


# --- Join requests ---------------------------------------------------------------------------------
# (Written by the moderation engineer for the review queue; if the communities engineer's versions
# land on main, keep one pair with these keyword arguments and JoinRequestDecided.)


class JoinRequestDecided(MembershipError):
    """The request was already approved, rejected or withdrawn (``decided_by`` may be None)."""

    def __init__(self, join_request: JoinRequest) -> None:
        self.join_request = join_request
        self.decided_by = join_request.decided_by
        super().__init__("This request was already handled.")


def _lock_pending(join_request: JoinRequest) -> JoinRequest:
    locked = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if locked.status != JoinRequestStatus.PENDING:
        locked = JoinRequest.objects.select_related("decided_by").get(pk=locked.pk)
        raise JoinRequestDecided(locked)
    return locked


@transaction.atomic
def join_request_approve(*, join_request: JoinRequest, actor: User | None, reason: str = "") -> JoinRequest:
    """Approve a pending request: the applicant becomes a member and is told. Locks the request
    row, so of two moderators approving at once exactly one succeeds (the other gets
    JoinRequestDecided). Banned people can't be approved (MembershipError)."""
    from communities.models import Community

    join_request = _lock_pending(join_request)
    now = timezone.now()
    community = Community.objects.get(pk=join_request.community_id)
    membership_join(user=join_request.user, community=community, actor=actor, at=now)
    join_request.status = JoinRequestStatus.APPROVED
    join_request.decided_at = now
    join_request.decided_by = actor
    join_request.reason = (reason or "").strip()
    join_request.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    notification_create(
        recipient_id=join_request.user_id,
        kind=Notification.Kind.JOIN_APPROVED,
        text=f"Welcome! Your request to join {community.name} was approved."
        + (f" {join_request.reason}" if join_request.reason else ""),
        url=community.get_absolute_url(),
        community_id=community.pk,
        actor_id=actor.pk if actor else None,
    )
    return join_request


@transaction.atomic
def join_request_reject(*, join_request: JoinRequest, actor: User | None, reason: str = "") -> JoinRequest:
    """Reject a pending request with an optional reason the applicant sees."""
    from communities.models import Community

    join_request = _lock_pending(join_request)
    now = timezone.now()
    community = Community.objects.only("name").get(pk=join_request.community_id)
    join_request.status = JoinRequestStatus.REJECTED
    join_request.decided_at = now
    join_request.decided_by = actor
    join_request.reason = (reason or "").strip()
    join_request.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    notification_create(
        recipient_id=join_request.user_id,
        kind=Notification.Kind.JOIN_REJECTED,
        text=f"Your request to join {community.name} was not approved."
        + (f" Reason: {join_request.reason}" if join_request.reason else ""),
    )
    return join_request
