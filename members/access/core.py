"""The core of the access policy: communities, threads and posts (see docs/access.md).

The package docstring (``members/access/__init__.py``) lists the answers; this part holds the
``CommunityAccess`` every view starts from and the plain predicates the other parts build on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from communities.discussions.models import Post, PostStatus, Thread
from communities.models import Community, Space, Visibility
from members.models import (
    ROLE_RANK,
    STAFF_ROLES,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    MembershipStatus,
    Role,
)
from moderation.models import Sanction, SanctionKind


class LoginRequired(Exception):
    """The visitor must log in first (converted to a login redirect by the middleware)."""


@dataclass(frozen=True)
class CommunityAccess:
    """A community together with the viewer's active membership (None for non-members)."""

    community: Community
    membership: Membership | None

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def member(self) -> Membership:
        """The membership a participation check (``*_for_member``, ``*_for_staff``...) vouched
        for; those never return without one, and this keeps the promise explicit."""
        if self.membership is None:
            raise PermissionDenied("Join this community to take part.")
        return self.membership

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def rank(self) -> int:
        return self.membership.rank if self.membership else -1

    @property
    def is_staff(self) -> bool:
        return self.membership is not None and self.membership.role in STAFF_ROLES

    @property
    def is_owner(self) -> bool:
        return self.membership is not None and self.membership.role == Role.OWNER

    @property
    def can_read(self) -> bool:
        return can_read_content(self.community, self.membership)

    @property
    def can_invite(self) -> bool:
        return can_create_invite(self.community, self.membership)

    @property
    def can_see_dashboard(self) -> bool:
        return can_see_dashboard(self.community, self.membership)

    @property
    def can_manage_roles(self) -> bool:
        return can_manage_community(self.membership)

    @property
    def can_review_requests(self) -> bool:
        return is_staff(self.membership)

    @cached_property
    def pending_join_requests(self) -> int:
        """Pending join requests, for the staff's nav badge (one query, only for staff)."""
        if not self.can_review_requests:
            return 0
        return JoinRequest.objects.filter(
            community_id=self.community.pk, status=JoinRequestStatus.PENDING
        ).count()


# --- Plain predicates (no queries) ---------------------------------------------------------------


def _is_authenticated(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def active_membership(user: object, community: Community | int) -> Membership | None:
    """The user's active membership of the community, or None (left, banned, never joined)."""
    if not _is_authenticated(user):
        return None
    community_id = community if isinstance(community, int) else community.pk
    membership = (
        Membership.objects.filter(user=user, community_id=community_id, status=MembershipStatus.ACTIVE)
        .select_related("user")
        .first()
    )
    if membership is not None and not isinstance(community, int):
        membership.community = community  # already loaded: no query when a page asks for it
    return membership


def role_at_least(membership: Membership | None, role: str) -> bool:
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        return False
    return ROLE_RANK[Role(membership.role)] >= ROLE_RANK[Role(role)]


def is_staff(membership: Membership | None) -> bool:
    return (
        membership is not None
        and membership.status == MembershipStatus.ACTIVE
        and membership.role in STAFF_ROLES
    )


def can_read_content(community: Community, membership: Membership | None) -> bool:
    """Threads, posts, members and search of the community."""
    if membership is not None and membership.status == MembershipStatus.ACTIVE:
        return True
    return community.visibility == Visibility.PUBLIC


def can_create_invite(community: Community, membership: Membership | None) -> bool:
    if not (membership and membership.status == MembershipStatus.ACTIVE):
        return False
    return is_staff(membership) or community.allow_member_invites


def can_see_dashboard(community: Community, membership: Membership | None) -> bool:
    if not (membership and membership.status == MembershipStatus.ACTIVE):
        return False
    if membership.role == Role.OWNER:
        return True
    return membership.role == Role.MODERATOR and community.moderators_see_dashboard


def can_see_space(membership: Membership | None, space: Space) -> bool:
    """Restricted spaces exist only for members at or above the space's minimum role."""
    if not space.min_role:
        return True
    return role_at_least(membership, space.min_role)


def visible_spaces_q(membership: Membership | None, prefix: str = "") -> Q:
    """A filter on Space (or on ``<prefix>space`` of a related model) for spaces the viewer may see."""
    allowed = [""]
    if membership is not None and membership.status == MembershipStatus.ACTIVE:
        rank = ROLE_RANK[Role(membership.role)]
        allowed += [r.value for r, r_rank in ROLE_RANK.items() if r_rank <= rank]
    return Q(**{f"{prefix}min_role__in": allowed})


def can_moderate_member(actor: Membership | None, target: Membership | None) -> bool:
    """Owners act on anyone but other owners; moderators only on people below moderator."""
    if not is_staff(actor):
        return False
    if target is None:
        return True
    if target.user_id == actor.user_id:
        return False
    if actor.role == Role.OWNER:
        return target.role != Role.OWNER
    return ROLE_RANK[Role(target.role)] < ROLE_RANK[Role.MODERATOR]


def can_moderate_post(actor: Membership | None, post: Post, author_membership: Membership | None) -> bool:
    """Moderators act on any post but the owner's (and other moderators'); owners on all."""
    if not is_staff(actor):
        return False
    if actor.role == Role.OWNER:
        return True
    if author_membership is None or author_membership.status != MembershipStatus.ACTIVE:
        return True
    return author_membership.role not in STAFF_ROLES or author_membership.user_id == actor.user_id


def can_edit_post(membership: Membership | None, post: Post) -> bool:
    """Authors edit and delete their own posts while they are members."""
    return (
        membership is not None
        and membership.status == MembershipStatus.ACTIVE
        and post.author_id == membership.user_id
        and post.removed_at is None
    )


def post_visible_to(membership: Membership | None, post: Post) -> bool:
    """Held and removed posts are shown only to their author and to staff."""
    if post.status == PostStatus.PUBLISHED and post.removed_at is None:
        return True
    if post.status == PostStatus.REJECTED:
        return is_staff(membership)
    if is_staff(membership):
        return True
    if membership is None or post.author_id != membership.user_id:
        return False
    # Authors see their own held posts, their posts hidden by moderation (with a notice), and their
    # own deletions (as a placeholder with the way to undo them).
    return (
        post.removed_at is None
        or not post.removed_by_moderator
        or (post.removed_by_moderator and post.status == PostStatus.PUBLISHED)
    )


def visible_posts_q(membership: Membership | None) -> Q:
    """Filter on Post for what the viewer may see: published and not removed, their own held
    posts and their own posts hidden by moderation, and everything for staff."""
    if is_staff(membership):
        return Q()
    q = Q(status=PostStatus.PUBLISHED, removed_at__isnull=True)
    if membership is not None:
        q |= Q(author_id=membership.user_id, status=PostStatus.HELD, removed_at__isnull=True)
        q |= Q(author_id=membership.user_id, status=PostStatus.PUBLISHED, removed_by_moderator=True)
    return q


# --- Object access functions: each returns what the page needs or raises -----------------------


def _active_members(community_ref: str) -> Coalesce:
    active = (
        Membership.objects.filter(community=OuterRef(community_ref), status=MembershipStatus.ACTIVE)
        .order_by()
        .values("community")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(active), 0)


def _community_by_slug(slug: str) -> Community:
    """The community, with its active member count (``active_members``) for the page header
    computed in the same query."""
    try:
        return Community.objects.annotate(active_members=_active_members("pk")).get(slug=slug)
    except Community.DoesNotExist:
        raise Http404 from None


def _membership_by_slug(user: object, slug: str) -> Membership | None:
    """The viewer's active membership with its community (and the community's member count) in one
    query; ``has_pending_warnings`` tells the notice banner whether it needs its own query."""
    warnings = Sanction.objects.filter(
        community_id=OuterRef("community_id"),
        user_id=OuterRef("user_id"),
        kind=SanctionKind.WARN,
        seen_at__isnull=True,
        lifted_at__isnull=True,
    )
    membership = (
        Membership.objects.filter(user=user, community__slug=slug, status=MembershipStatus.ACTIVE)
        .select_related("community")
        .annotate(community_members=_active_members("community_id"), has_pending_warnings=Exists(warnings))
        .first()
    )
    if membership is not None:
        membership.community.active_members = membership.community_members  # type: ignore[attr-defined]
        membership.user = user  # type: ignore[assignment]  # the request's user: no query
    return membership


def community_landing(user: object, slug: str) -> CommunityAccess:
    """The community's landing page: public and listed ones show name and purpose to anyone;
    secret ones exist only for their members."""
    membership = _membership_by_slug(user, slug) if _is_authenticated(user) else None
    if membership is not None:
        return CommunityAccess(membership.community, membership)
    community = _community_by_slug(slug)
    if community.visibility == Visibility.SECRET and membership is None:
        raise Http404
    return CommunityAccess(community, membership)


def _deny(community: Community, user: object) -> None:
    if community.visibility == Visibility.SECRET:
        raise Http404
    if not _is_authenticated(user):
        raise LoginRequired
    raise PermissionDenied("This community's conversations are for its members.")


def community_for_reader(user: object, slug: str) -> CommunityAccess:
    """Threads, posts, members list, search. Public: anyone; listed: members (else 403 / log in);
    secret: members (else 404)."""
    access = community_landing(user, slug)
    if not access.can_read:
        _deny(access.community, user)
    return access


def community_for_member(user: object, slug: str) -> CommunityAccess:
    """Participation (start a thread, reply, react, flag): active members only."""
    access = community_landing(user, slug)
    if access.membership is None:
        if access.community.visibility != Visibility.PUBLIC:
            _deny(access.community, user)
        if not _is_authenticated(user):
            raise LoginRequired
        raise PermissionDenied("Join this community to take part.")
    return access


def community_for_role(user: object, slug: str, role: str) -> CommunityAccess:
    """Members below ``role`` get 403; non-members get what their visibility dictates."""
    access = community_for_member(user, slug)
    if not role_at_least(access.membership, role):
        raise PermissionDenied("You don't have the role needed for this page.")
    return access


def community_for_staff(user: object, slug: str) -> CommunityAccess:
    """Moderators and owners (the review queue, sanctions, thread moderation)."""
    return community_for_role(user, slug, Role.MODERATOR)


def community_for_owner(user: object, slug: str) -> CommunityAccess:
    """Settings, roles, exports."""
    return community_for_role(user, slug, Role.OWNER)


def community_for_dashboard(user: object, slug: str) -> CommunityAccess:
    access = community_for_member(user, slug)
    if not access.can_see_dashboard:
        raise PermissionDenied("The health dashboard is for the community's owners.")
    return access


def community_for_inviter(user: object, slug: str) -> CommunityAccess:
    access = community_for_member(user, slug)
    if not access.can_invite:
        raise PermissionDenied("Only the owner and moderators can invite people here.")
    return access


def thread_for_reader(
    user: object,
    slug: str,
    thread_id: int,
    annotate: Callable[[Membership | None], dict[str, Any]] | None = None,
) -> tuple[Thread, CommunityAccess]:
    """The thread (with space and community) if the viewer may read it, checked against the
    thread's own community: a thread of another community is 404 whatever the URL says.

    ``annotate(membership)`` may add annotations to the thread query (the thread page's reader
    state), so a page gets them without a query of its own."""
    access = community_for_reader(user, slug)
    qs = Thread.objects.select_related("space", "author").filter(
        pk=thread_id, community_id=access.community.pk
    )
    if annotate is not None:
        qs = qs.annotate(**annotate(access.membership))
    thread = qs.first()
    if thread is not None:
        thread.community = access.community  # already loaded (with its member count)
    if thread is None or not can_see_space(access.membership, thread.space):
        raise Http404
    if (
        thread.removed_at is not None
        and not is_staff(access.membership)
        and not (access.membership is not None and thread.author_id == access.membership.user_id)
    ):
        raise Http404
    return thread, access


def thread_for_member(
    user: object,
    slug: str,
    thread_id: int,
    annotate: Callable[[Membership | None], dict[str, Any]] | None = None,
) -> tuple[Thread, CommunityAccess]:
    """As thread_for_reader, and the viewer must be an active member (to reply, follow...)."""
    thread, access = thread_for_reader(user, slug, thread_id, annotate)
    if access.membership is None:
        community_for_member(user, slug)  # raises the right answer for this visibility
    return thread, access


def thread_for_staff(user: object, slug: str, thread_id: int) -> tuple[Thread, CommunityAccess]:
    thread, access = thread_for_member(user, slug, thread_id)
    if not is_staff(access.membership):
        raise PermissionDenied("Only moderators can do this.")
    return thread, access


def post_for_reader(user: object, slug: str, post_id: int) -> tuple[Post, CommunityAccess]:
    access = community_for_reader(user, slug)
    post = (
        Post.objects.select_related("thread", "thread__space", "author")
        .filter(pk=post_id, community_id=access.community.pk)
        .first()
    )
    if post is None or not can_see_space(access.membership, post.thread.space):
        raise Http404
    if not post_visible_to(access.membership, post):
        raise Http404
    return post, access


def post_for_member(user: object, slug: str, post_id: int) -> tuple[Post, CommunityAccess]:
    post, access = post_for_reader(user, slug, post_id)
    if access.membership is None:
        community_for_member(user, slug)
    return post, access


def readable_communities(user: object) -> QuerySet[Community]:
    """Communities whose content the user may read: public ones and those they belong to."""
    q = Q(visibility=Visibility.PUBLIC)
    if _is_authenticated(user):
        q |= Q(memberships__user=user, memberships__status=MembershipStatus.ACTIVE)
    return Community.objects.filter(q).distinct()


def directory_communities(user: object) -> QuerySet[Community]:
    """What the directory lists: public and listed communities, plus secret ones the user is in."""
    q = Q(visibility__in=[Visibility.PUBLIC, Visibility.LISTED])
    if _is_authenticated(user):
        q |= Q(memberships__user=user, memberships__status=MembershipStatus.ACTIVE)
    return Community.objects.filter(q).distinct()


def can_manage_community(membership: Membership | None) -> bool:
    """Roles, settings and exports belong to owners."""
    return (
        membership is not None
        and membership.status == MembershipStatus.ACTIVE
        and membership.role == Role.OWNER
    )
