"""Access to people pages: joining, invites, join requests, roles, profiles, notifications."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from communities.discussions.models import Post, PostStatus, Thread
from communities.models import Community, Visibility
from members.access.content import is_banned
from members.access.core import (
    CommunityAccess,
    LoginRequired,
    _is_authenticated,
    active_membership,
    can_manage_community,
    can_see_space,
    community_for_member,
    community_for_owner,
    community_for_staff,
    community_landing,
    is_staff,
)
from members.models import (
    Invite,
    JoinRequest,
    Membership,
    MembershipStatus,
    User,
)

# --- Membership pages: join, invites, requests, roles ------------------------------------------


def can_see_all_invites(membership: Membership | None) -> bool:
    """Owners list and revoke every invite; everyone else only their own."""
    return can_manage_community(membership)


def community_for_joiner(user: object, slug: str) -> CommunityAccess:
    """Join, apply, pending and withdraw pages: logged-in people who may see the landing page.

    Secret communities are 404 to non-members (they are reachable only through an invite link);
    anonymous visitors of public and listed ones log in first; banned people get 403.
    """
    access = community_landing(user, slug)
    if not _is_authenticated(user):
        raise LoginRequired
    if access.membership is None and is_banned(user, access.community):
        raise PermissionDenied("You can't join this community.")
    return access


def community_for_invites(user: object, slug: str) -> CommunityAccess:
    """The invites page: every active member may list (and revoke) their own invites."""
    return community_for_member(user, slug)


def invite_for_manager(user: object, slug: str, invite_id: int) -> tuple[Invite, CommunityAccess]:
    """An invite the viewer may see and revoke: owners any invite of the community, others only
    their own. An invite of another community, or somebody else's, is 404."""
    access = community_for_invites(user, slug)
    invite = (
        Invite.objects.select_related("created_by", "community")
        .filter(pk=invite_id, community_id=access.community.pk)
        .first()
    )
    if invite is None:
        raise Http404
    if not can_see_all_invites(access.membership) and invite.created_by_id != access.membership.user_id:
        raise Http404
    return invite, access


def join_request_for_staff(user: object, slug: str, request_id: int) -> tuple[JoinRequest, CommunityAccess]:
    """A join request of this community for its moderators and owners (404 if it belongs to
    another community, 403 for members without the role)."""
    access = community_for_staff(user, slug)
    join_request = (
        JoinRequest.objects.select_related("user", "community")
        .filter(pk=request_id, community_id=access.community.pk)
        .first()
    )
    if join_request is None:
        raise Http404
    return join_request, access


def membership_for_owner(user: object, slug: str, membership_id: int) -> tuple[Membership, CommunityAccess]:
    """An active membership of this community whose role the owner may change."""
    access = community_for_owner(user, slug)
    target = (
        Membership.objects.select_related("user")
        .filter(pk=membership_id, community_id=access.community.pk, status=MembershipStatus.ACTIVE)
        .first()
    )
    if target is None:
        raise Http404
    return target, access


# --- People: profiles and notifications (email & profiles) -------------------------------------


def shared_community_ids(viewer: object, person_id: int) -> list[int]:
    """Ids of communities where both the viewer and the person are active members."""
    if not _is_authenticated(viewer):
        return []
    mine = Membership.objects.filter(user=viewer, status=MembershipStatus.ACTIVE).values("community_id")
    return list(
        Membership.objects.filter(
            user_id=person_id, status=MembershipStatus.ACTIVE, community_id__in=mine
        ).values_list("community_id", flat=True)
    )


def can_see_profile(viewer: object, person_id: int) -> bool:
    """A profile exists only for the person and for people sharing an active community with them
    (anyone else gets 404, so a profile never reveals which private communities someone is in)."""
    if not _is_authenticated(viewer):
        return False
    return viewer.pk == person_id or bool(shared_community_ids(viewer, person_id))


def person_for_viewer(viewer: object, handle: str) -> tuple[object, list[int] | None]:
    """The active person with this handle and the ids of the communities the viewer shares with
    them (None when viewers look at themselves), or Http404 — for a missing handle, an
    anonymous viewer and a person with no shared community alike."""

    if not _is_authenticated(viewer):
        raise Http404
    person = User.objects.filter(handle__iexact=handle, is_active=True).select_related("profile").first()
    if person is None:
        raise Http404
    if person.pk == viewer.pk:
        return person, None
    shared = shared_community_ids(viewer, person.pk)
    if not shared:
        raise Http404
    return person, shared


# Kinds that are about the recipient's own standing rather than about content: they may be
# emailed to someone who is not (or no longer) an active member, without any content excerpt.
STANDING_NOTICE_KINDS = frozenset({"join_rejected", "moderation"})


def notification_still_visible(
    user: object,
    *,
    kind: str,
    community: Community | None,
    thread: Thread | None,
    post: Post | None,
) -> bool:
    """May ``user`` be told (by email, now) about this event?

    Re-checked at send time: someone who left or was banned, lost the role a restricted space
    needs, or whose thread/post was removed since the event hears nothing about it.
    Notices about the person's own standing (a rejected join request, a moderation notice)
    only need some membership history with the community, because they reveal nothing new.
    """
    if not _is_authenticated(user) or not getattr(user, "is_active", False):
        return False
    if community is None:
        return thread is None and post is None
    if kind in STANDING_NOTICE_KINDS:
        if kind == "join_rejected":
            return (
                community.visibility != Visibility.SECRET
                or Membership.objects.filter(user=user, community=community).exists()
            )
        return Membership.objects.filter(user=user, community=community).exists()
    membership = active_membership(user, community)
    if membership is None:
        return False
    if kind == "join_request" and not is_staff(membership):
        return False  # demoted since: applicants' names and answers are for moderators
    if thread is not None:
        if thread.community_id != community.pk or not can_see_space(membership, thread.space):
            return False
        if thread.removed_at is not None:
            return False
    if post is not None:
        if post.community_id != community.pk:
            return False
        if post.thread.removed_at is not None or not can_see_space(membership, post.thread.space):
            return False
        if not (post.status == PostStatus.PUBLISHED and post.removed_at is None):
            return False
    return True
