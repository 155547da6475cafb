"""Reads about people and memberships, shaped for each page and job (fixed query counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Count, IntegerField, Prefetch, QuerySet, Sum, Value, When

from communities.models import Community, JoinPolicy
from members.access import CommunityAccess, can_see_all_invites
from members.models import (
    Invite,
    InviteRedemption,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    MembershipStatus,
    Role,
    User,
)
from members.services import reapply_allowed_at

# How many "joined through this invite" names the invites list shows per invite.
REDEMPTIONS_SHOWN = 10


@dataclass(frozen=True)
class JoinState:
    """What the community header offers the viewer.

    kind: member, anonymous, banned, pending, rejected (cooldown running), open, approval,
    invite_only.
    """

    kind: str
    request: JoinRequest | None = None
    retry_at: datetime | None = None


def join_state(user: object, access: CommunityAccess) -> JoinState:
    """At most three small queries, whatever the community's size."""
    if access.membership is not None:
        return JoinState("member")
    if not getattr(user, "is_authenticated", False):
        return JoinState("anonymous")
    community = access.community
    if Membership.objects.filter(user=user, community=community, status=MembershipStatus.BANNED).exists():
        return JoinState("banned")
    latest = JoinRequest.objects.filter(user=user, community=community).order_by("-created_at", "-id").first()
    if latest is not None and latest.status == JoinRequestStatus.PENDING:
        return JoinState("pending", latest)
    if community.join_policy == JoinPolicy.OPEN:
        return JoinState("open")
    if community.join_policy == JoinPolicy.INVITE_ONLY:
        return JoinState("invite_only")
    if latest is not None and latest.status == JoinRequestStatus.REJECTED:
        retry_at = reapply_allowed_at(user=user, community=community)  # type: ignore[arg-type]
        if retry_at is not None:
            return JoinState("rejected", latest, retry_at)
    return JoinState("approval", latest)


def latest_join_request(user: User, community: Community) -> JoinRequest | None:
    return JoinRequest.objects.filter(user=user, community=community).order_by("-created_at", "-id").first()


def community_page_context(user: object, access: CommunityAccess, **extra: object) -> dict:
    """What every community page's header needs: the community, the viewer's access, the member
    count (free when the access check annotated it) and the join button's state."""
    return {
        "community": access.community,
        "access": access,
        "member_count": member_count(access.community),
        "join": join_state(user, access),
        **extra,
    }


def member_count(community: Community) -> int:
    """Active members; free when the community came from an access function (annotated)."""
    annotated = getattr(community, "active_members", None)
    if annotated is not None:
        return annotated
    return Membership.objects.filter(community=community, status=MembershipStatus.ACTIVE).count()


_ROLE_ORDER = Case(
    When(role=Role.OWNER, then=Value(0)),
    When(role=Role.MODERATOR, then=Value(1)),
    When(role=Role.WELCOMER, then=Value(2)),
    When(role=Role.TOPIC_LEAD, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def member_list(community: Community) -> QuerySet[Membership]:
    """Active members, staff first, then by join date. Paginate it."""
    return (
        Membership.objects.filter(community=community, status=MembershipStatus.ACTIVE)
        .select_related("user")
        .annotate(role_order=_ROLE_ORDER)
        .order_by("role_order", "joined_at", "id")
    )


def invite_list(access: CommunityAccess) -> QuerySet[Invite]:
    """Invites the viewer may see (owners: all; others: their own), newest first, each with the
    first few people who joined through it. Paginate it; the prefetch is per page."""
    qs = Invite.objects.filter(community=access.community)
    if not can_see_all_invites(access.membership):
        qs = qs.filter(created_by_id=access.membership.user_id if access.membership else None)
    return (
        qs.select_related("created_by")
        .prefetch_related(
            Prefetch(
                "redemptions",
                queryset=InviteRedemption.objects.select_related("user").order_by("at", "id")[
                    :REDEMPTIONS_SHOWN
                ],
                to_attr="recent_redemptions",
            )
        )
        .order_by("-created_at", "-id")
    )


def invite_redemptions(invite: Invite) -> QuerySet[InviteRedemption]:
    return InviteRedemption.objects.filter(invite=invite).select_related("user").order_by("at", "id")


def inviter_totals(community: Community) -> QuerySet[Invite]:
    """Per inviter: invites created and people who joined through them, most joins first."""
    return (
        Invite.objects.filter(community=community)
        .values("created_by", "created_by__handle", "created_by__display_name")
        .annotate(invites=Count("id"), joins=Sum("uses"))
        .order_by("-joins", "created_by__handle")
    )


def pending_requests(community: Community) -> QuerySet[JoinRequest]:
    return (
        JoinRequest.objects.filter(community=community, status=JoinRequestStatus.PENDING)
        .select_related("user")
        .order_by("created_at", "id")
    )


def active_member_by_handle(community: Community, handle: str) -> Membership | None:
    return (
        Membership.objects.select_related("user")
        .filter(community=community, status=MembershipStatus.ACTIVE, user__handle__iexact=handle.lstrip("@"))
        .first()
    )


def membership_of(user: User, community: Community) -> Membership | None:
    """The user's membership row of any status (active, left, banned), or None."""
    return Membership.objects.filter(user=user, community=community).first()
