"""Reads about people and memberships, shaped for each page and job (fixed query counts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from communities.models import Community, JoinPolicy, Post, PostStatus
from members import access
from members.access import CommunityAccess, can_see_all_invites
from members.models import (
    DEFAULT_EMAIL_DELIVERY,
    EmailDelivery,
    FieldVisibility,
    Invite,
    InviteRedemption,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    MembershipStatus,
    MutedMember,
    NotificationPreference,
    Profile,
    Role,
    User,
)
from members.services import reapply_allowed_at


def muted_user_ids(user: object) -> set[int]:
    """Ids of the members whose posts ``user`` chose to hide (empty for anonymous visitors).

    Discussion pages exclude posts whose ``author_id`` is in this set; notifications about their
    mentions, replies and quotes are never created or emailed.
    """
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(MutedMember.objects.filter(user=user).values_list("muted_user_id", flat=True))


def is_muted_by(user_id: int, actor_id: int | None) -> bool:
    if actor_id is None:
        return False
    return MutedMember.objects.filter(user_id=user_id, muted_user_id=actor_id).exists()


def muted_members(user: User) -> QuerySet[MutedMember]:
    return (
        MutedMember.objects.filter(user=user)
        .select_related("muted_user", "muted_user__profile")
        .order_by("muted_user__handle")
    )


def email_delivery_for(user_id: int, kind: str) -> str:
    """What ``user`` chose for this kind: immediately, digest or never (default per kind)."""
    chosen = (
        NotificationPreference.objects.filter(user_id=user_id, kind=kind)
        .values_list("delivery", flat=True)
        .first()
    )
    return chosen or DEFAULT_EMAIL_DELIVERY.get(kind, EmailDelivery.NEVER)


def email_deliveries(user: User) -> dict[str, str]:
    """Every kind with the user's choice (or the default)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, default) for kind, default in DEFAULT_EMAIL_DELIVERY.items()}


def profile_of(user: User) -> Profile:
    """The user's profile row (made here if a bulk load skipped the signal)."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        profile, _ = Profile.objects.get_or_create(user=user)
        user.profile = profile
        return profile


@dataclass
class ProfilePage:
    person: User
    profile: Profile
    is_self: bool
    shows: dict[str, bool] = field(default_factory=dict)
    recent_posts: list[Post] = field(default_factory=list)
    is_muted: bool = False

    @property
    def online(self) -> bool:
        """Seen in the last five minutes (shown only if last_seen may be shown)."""
        seen = self.profile.last_seen_at
        return seen is not None and timezone.now() - seen < timedelta(minutes=5)


VISIBILITY_FIELDS = ("avatar", "bio", "links", "time_zone", "last_seen")


def profile_page(viewer: User, person: User, shared: list[int] | None, *, posts: int = 20) -> ProfilePage:
    """The profile of ``person`` as ``viewer`` may see it (``access.person_for_viewer`` first).

    Recent posts come only from communities both are active members of (``shared``; None when
    viewers look at themselves) and from spaces and posts the viewer may read there, so a
    profile never reveals a private community or space.
    """
    is_self = shared is None
    profile = profile_of(person)
    shows = {
        name: is_self or getattr(profile, f"{name}_visibility") == FieldVisibility.MEMBERS
        for name in VISIBILITY_FIELDS
    }
    viewer_memberships = Membership.objects.filter(user=viewer, status=MembershipStatus.ACTIVE)
    if shared is not None:
        viewer_memberships = viewer_memberships.filter(community_id__in=shared)
    where = Q(pk__in=[])
    for membership in viewer_memberships:
        where |= Q(community_id=membership.community_id) & access.visible_spaces_q(
            membership, prefix="thread__space__"
        )
    recent = list(
        Post.objects.filter(where, author=person, status=PostStatus.PUBLISHED, removed_at__isnull=True)
        .filter(thread__removed_at__isnull=True)
        .select_related("thread", "thread__community")
        .order_by("-created_at", "-id")[:posts]
    )
    return ProfilePage(
        person=person,
        profile=profile,
        is_self=is_self,
        shows=shows,
        recent_posts=recent,
        is_muted=not is_self and is_muted_by(viewer.pk, person.pk),
    )


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
