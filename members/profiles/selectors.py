"""Reads of profiles: a profile page as a viewer may see it, and muted members."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from communities.discussions.models import Post, PostStatus
from members import access
from members.models import (
    Membership,
    MembershipStatus,
    User,
)
from members.profiles.models import FieldVisibility, MutedMember, Profile


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
