"""Writes about people and their memberships. Each runs in one transaction."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from communities.integrations import events
from communities.models import Community, JoinPolicy
from config.jobs import enqueue_on_commit
from members.models import (
    STAFF_ROLES,
    Invite,
    InviteRedemption,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    MembershipEvent,
    MembershipEventKind,
    MembershipStatus,
    Role,
    User,
)
from members.notifications.models import Notification
from members.notifications.services import notification_create
from moderation.audit import audit
from moderation.models import AuditAction
from moderation.ratelimit import describe_wait


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
    events.emit(events.MEMBER_JOINED, community_id=community.pk, membership_id=membership.pk)
    return membership


def _welcome_on_commit(membership: Membership) -> None:
    """Onboarding (welcome + welcomers notified) runs after the join commits, as a task."""
    if membership.role in (Role.OWNER, Role.MODERATOR):
        return
    enqueue_on_commit("communities.welcome_newcomer", membership.pk)


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
    events.emit(events.MEMBER_LEFT, community_id=membership.community_id, membership_id=membership.pk)
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

    join_request = _lock_pending(join_request)
    now = timezone.now()
    community = Community.objects.only("name", "slug").get(pk=join_request.community_id)
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
        url=reverse("join-pending", args=[community.slug]),
        community_id=community.pk,
        actor_id=actor.pk if actor else None,
    )
    return join_request


# --- Roles --------------------------------------------------------------------------------------


@transaction.atomic
def membership_change_role(*, actor: Membership, target: Membership, role: str) -> Membership:
    """An owner gives or takes a role. Recorded in the membership history and the audit log.

    The caller has checked that ``actor`` is an owner (``members.access.membership_for_owner``).
    """

    if role not in Role.values:
        raise MembershipError("Choose one of the roles.")
    previous = target.role
    if previous == role:
        return target
    updated = membership_set_role(membership=target, role=role, actor=actor.user)
    audit(
        community_id=target.community_id,
        actor=actor.user,
        action=AuditAction.ROLE_CHANGED,
        target_user_id=target.user_id,
        data={"from": previous, "to": role},
    )
    return updated


@transaction.atomic
def membership_hand_over(
    *, actor: Membership, successor: Membership, keep_role: str = Role.MODERATOR
) -> None:
    """Make ``successor`` an owner and step ``actor`` down to ``keep_role`` in one transaction."""
    if successor.pk == actor.pk:
        raise MembershipError("Choose someone else to hand over to.")
    if keep_role not in (Role.MODERATOR, Role.MEMBER):
        raise MembershipError("After handing over you can stay a moderator or a member.")
    if successor.status != MembershipStatus.ACTIVE:
        raise MembershipError("Only a current member can take over.")
    membership_change_role(actor=actor, target=successor, role=Role.OWNER)
    membership_change_role(actor=actor, target=actor, role=keep_role)


# --- Invites ------------------------------------------------------------------------------------

INVITE_DEFAULT_DAYS = 7
INVITES_PER_DAY = 10


class InviteError(Exception):
    """An invite can't be created or used (message is shown to the person)."""


class InviteLimitReached(InviteError):
    """Over the daily invite limit; ``retry_after`` is seconds until the next invite is allowed."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


@transaction.atomic
def invite_create(
    *,
    membership: Membership,
    max_uses: int | None = 1,
    expires_at: datetime | None = None,
    note: str = "",
    at: object = None,
) -> Invite:
    """Create an invite link for ``membership``'s community.

    The caller has checked ``members.access.can_create_invite``. The token is 256 random bits.
    ``created_by_staff`` freezes the creator's role for referral attribution.
    """
    now = at or timezone.now()
    if max_uses is not None and max_uses < 1:
        raise InviteError("An invite needs at least one use (leave it empty for unlimited).")
    if expires_at is not None and expires_at <= now:
        raise InviteError("The expiry must be in the future.")
    # Counted in the database (shared by every process): the last 24 hours, a sliding window.
    recent = list(
        Invite.objects.filter(
            community_id=membership.community_id,
            created_by_id=membership.user_id,
            created_at__gt=now - timedelta(days=1),
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:INVITES_PER_DAY]
    )
    if len(recent) >= INVITES_PER_DAY:
        retry_after = math.ceil((recent[-1] + timedelta(days=1) - now).total_seconds())
        raise InviteLimitReached(
            f"You can create {INVITES_PER_DAY} invites a day here. "
            f"You can create another {describe_wait(max(1, retry_after))}.",
            retry_after=retry_after,
        )
    return Invite.objects.create(
        community_id=membership.community_id,
        created_by_id=membership.user_id,
        created_by_staff=membership.role in STAFF_ROLES,
        token=secrets.token_urlsafe(32),
        note=note.strip()[:200],
        created_at=now,
        expires_at=expires_at,
        max_uses=max_uses,
    )


@transaction.atomic
def invite_revoke(*, invite: Invite, actor: User, at: object = None) -> Invite:
    """Revoke an invite (idempotent) and record it in the audit log."""

    now = at or timezone.now()
    changed = Invite.objects.filter(pk=invite.pk, revoked_at__isnull=True).update(revoked_at=now)
    invite.refresh_from_db()
    if changed:
        audit(
            community_id=invite.community_id,
            actor=actor,
            action=AuditAction.INVITE_REVOKED,
            target_user_id=invite.created_by_id,
            data={"invite_id": invite.pk, "note": invite.note, "uses": invite.uses},
        )
    return invite


@dataclass(frozen=True)
class Redemption:
    membership: Membership
    already_member: bool


def _usable_invite_q(now: datetime) -> Q:
    return (
        Q(revoked_at__isnull=True)
        & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        & (Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
    )


@transaction.atomic
def invite_redeem(*, token: str, user: User, at: object = None) -> Redemption:
    """Use an invite: ``user`` becomes an active member attributed to the invite.

    Atomic: the use is claimed with a conditional UPDATE (``uses < max_uses``), so N uses make
    exactly N members however many people race for them. An existing member consumes nothing.
    A banned person can't get in with any invite. Raises InviteError for any unusable link.
    """
    now = at or timezone.now()
    # Lock the invite row: redemptions of one link run one after another (on PostgreSQL), so a
    # double-clicked accept sees the membership the first click made. The conditional UPDATE
    # below is what guarantees the use count either way.
    invite = Invite.objects.select_for_update().filter(token=token).first()
    if invite is None:
        raise InviteError("This invite link can't be used.")
    community = Community.objects.get(pk=invite.community_id)
    existing = Membership.objects.filter(user=user, community=community).first()
    if existing is not None and existing.status == MembershipStatus.ACTIVE:
        return Redemption(existing, already_member=True)
    if existing is not None and existing.status == MembershipStatus.BANNED:
        raise InviteError("This invite link can't be used.")
    if InviteRedemption.objects.filter(invite=invite, user=user).exists():
        # A former member coming back through the same link: no second use is counted.
        if not (invite.revoked_at is None and (invite.expires_at is None or invite.expires_at > now)):
            raise InviteError("This invite link can't be used.")
    else:
        claimed = Invite.objects.filter(_usable_invite_q(now), pk=invite.pk).update(uses=F("uses") + 1)
        if claimed != 1:
            raise InviteError("This invite link can't be used.")
        InviteRedemption.objects.create(invite=invite, user=user, at=now)
    try:
        membership = membership_join(user=user, community=community, invite=invite, actor=user, at=now)
    except MembershipError as exc:
        raise InviteError(str(exc)) from exc
    JoinRequest.objects.filter(user=user, community=community, status=JoinRequestStatus.PENDING).update(
        status=JoinRequestStatus.WITHDRAWN, decided_at=now, reason="Joined through an invite."
    )
    return Redemption(membership, already_member=False)


# --- Joining and join requests ------------------------------------------------------------------


class JoinError(Exception):
    """A join or a join request that is not allowed (message is shown to the person)."""


def reapply_allowed_at(*, user: User, community: Community) -> datetime | None:
    """When a rejected applicant may apply again, or None if they may now."""
    last_rejection = (
        JoinRequest.objects.filter(user=user, community=community, status=JoinRequestStatus.REJECTED)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    if last_rejection is None:
        return None
    allowed = last_rejection + timedelta(days=community.rejoin_cooldown_days)
    return allowed if allowed > timezone.now() else None


@transaction.atomic
def community_join_open(*, user: User, community: Community) -> Membership:
    """One-click join of an open community."""
    if community.join_policy != JoinPolicy.OPEN:
        raise JoinError("This community doesn't take one-click joins.")
    try:
        return membership_join(user=user, community=community, actor=user)
    except MembershipError as exc:
        raise JoinError(str(exc)) from exc


def _staff_user_ids(community_id: int) -> list[int]:
    return list(
        Membership.objects.filter(
            community_id=community_id, status=MembershipStatus.ACTIVE, role__in=STAFF_ROLES
        ).values_list("user_id", flat=True)[:50]
    )


@transaction.atomic
def join_request_create(*, user: User, community: Community, answers: list[str]) -> JoinRequest:
    """Apply to an approval community with answers to its screening questions."""
    if community.join_policy != JoinPolicy.APPROVAL:
        raise JoinError("This community doesn't take applications.")
    membership = Membership.objects.filter(user=user, community=community).first()
    if membership is not None and membership.status == MembershipStatus.ACTIVE:
        raise JoinError("You're already a member.")
    if membership is not None and membership.status == MembershipStatus.BANNED:
        raise JoinError("You can't join this community.")
    retry_at = reapply_allowed_at(user=user, community=community)
    if retry_at is not None:
        raise JoinError(f"You can apply again from {retry_at:%d %b %Y, %H:%M} UTC.")
    questions = list(community.screening_questions or [])
    if len(answers) != len(questions) or any(not (a or "").strip() for a in answers):
        raise JoinError("Please answer every question.")
    try:
        with transaction.atomic():
            join_request = JoinRequest.objects.create(
                community=community,
                user=user,
                answers=[
                    {"question": q, "answer": a.strip()[:2000]}
                    for q, a in zip(questions, answers, strict=True)
                ],
            )
    except IntegrityError:
        raise JoinError("You already have a pending request here.") from None
    events.emit(events.JOIN_REQUEST_CREATED, community_id=community.pk, join_request_id=join_request.pk)
    url = reverse("join-requests", args=[community.slug])
    for staff_id in _staff_user_ids(community.pk):
        notification_create(
            recipient_id=staff_id,
            kind=Notification.Kind.JOIN_REQUEST,
            text=f"{user.name} asked to join {community.name}.",
            url=url,
            community_id=community.pk,
            actor_id=user.pk,
        )
    return join_request


@transaction.atomic
def join_request_withdraw(*, user: User, community: Community) -> bool:
    """The applicant withdraws their pending request (no-op if there is none)."""
    return (
        JoinRequest.objects.filter(user=user, community=community, status=JoinRequestStatus.PENDING).update(
            status=JoinRequestStatus.WITHDRAWN, decided_at=timezone.now()
        )
        > 0
    )
