"""Access to content areas: spaces, post history, exports and imports, rituals, bans."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from communities.discussions.models import Post
from communities.models import Community, Space, Visibility
from communities.portability.models import CommunityExport, CommunityImport
from communities.rituals.models import Ritual
from members.access.core import (
    CommunityAccess,
    LoginRequired,
    _is_authenticated,
    can_see_space,
    community_for_member,
    community_for_owner,
    community_for_reader,
    community_for_staff,
    is_staff,
)
from members.models import (
    Membership,
    MembershipStatus,
    Role,
)
from moderation.models import WordFilter

# --- Discussions: spaces, post history, restoring --------------------------------------------------


def space_for_reader(access: CommunityAccess, space_slug: str, spaces: list[Space] | None = None) -> Space:
    """A space of the community the viewer may see; restricted spaces above them are 404.
    ``spaces``: the community's spaces already loaded by the page (saves a query)."""
    if spaces is not None:
        community_id = access.community.pk
        space = next((s for s in spaces if s.slug == space_slug and s.community_id == community_id), None)
    else:
        space = Space.objects.filter(community=access.community, slug=space_slug).first()
    if space is None or not can_see_space(access.membership, space):
        raise Http404
    return space


def space_for_staff(user: object, slug: str, space_id: int) -> tuple[Space, CommunityAccess]:
    """Spaces are managed by owners and moderators; ids are checked against the community."""
    access = community_for_staff(user, slug)
    space = Space.objects.filter(community=access.community, pk=space_id).first()
    if space is None:
        raise Http404
    return space, access


def can_see_post_history(membership: Membership | None, post: Post) -> bool:
    """Revision history: the post's author and the community's staff."""
    return is_staff(membership) or (
        membership is not None and membership.is_active and post.author_id == membership.user_id
    )


def can_restore_post(membership: Membership | None, post: Post) -> bool:
    """Who may bring a removed post back (the one rule; ``moderation.services.post_restore``).

    A post its author deleted is the author's choice: only the author may undo it, while still an
    active member. A post hidden by moderation is restored by staff (owners for posts by staff, as
    with removal). A post a moderator erased (its text is gone) can't come back.
    """
    if post.removed_at is None or membership is None or membership.status != MembershipStatus.ACTIVE:
        return False
    if not post.removed_by_moderator:
        return post.author_id == membership.user_id
    if not post.body_md or not is_staff(membership):
        return False
    if membership.role == Role.OWNER or not post.author_staff:
        return True
    return post.author_id == membership.user_id


def can_moderate_thread(membership: Membership | None) -> bool:
    """Pin, lock and move threads."""
    return is_staff(membership)


# --- Exports, imports and personal data (communities/export_services.py, members/personal_data.py)


def export_for_owner(user: object, slug: str, export_id: int) -> tuple[object, CommunityAccess]:
    """A community archive job, for the community's owners only; an id of another community is 404."""

    access = community_for_owner(user, slug)
    export = (
        CommunityExport.objects.select_related("community")
        .filter(pk=export_id, community_id=access.community.pk)
        .first()
    )
    if export is None:
        raise Http404
    return export, access


def require_login(user: object) -> None:
    """Pages about the visitor's own account (their data, imports they started)."""
    if not _is_authenticated(user):
        raise LoginRequired


def can_import_community(user: object) -> bool:
    """Any signed-in person may import an archive into a new community they will own."""
    return _is_authenticated(user) and bool(getattr(user, "is_active", False))


def import_for_requester(user: object, job_id: int) -> object:
    """An import job, only for the person who started it (others: 404)."""

    require_login(user)
    job = CommunityImport.objects.select_related("community").filter(pk=job_id, requested_by=user).first()
    if job is None:
        raise Http404
    return job


# --- Rituals and onboarding ----------------------------------------------------------------------


def can_manage_rituals(membership: Membership | None) -> bool:
    """Owners and moderators create, edit, pause and delete rituals."""
    return is_staff(membership)


def can_welcome(membership: Membership | None) -> bool:
    """Welcomers (and staff) see the newcomers list and mark people greeted."""
    return (
        membership is not None
        and membership.status == MembershipStatus.ACTIVE
        and membership.role in (Role.WELCOMER, Role.MODERATOR, Role.OWNER)
    )


def community_for_ritual_manager(user: object, slug: str) -> CommunityAccess:
    """Ritual management: staff; members get 403; non-members per the community's visibility."""
    access = community_for_member(user, slug)
    if not can_manage_rituals(access.membership):
        raise PermissionDenied("Only the owner and moderators can manage rituals.")
    return access


def community_for_welcomer(user: object, slug: str) -> CommunityAccess:
    access = community_for_member(user, slug)
    if not can_welcome(access.membership):
        raise PermissionDenied("The newcomers list is for welcomers, moderators and owners.")
    return access


def ritual_for_reader(user: object, slug: str, ritual_id: int) -> tuple[object, CommunityAccess]:
    """A ritual of this community whose space the viewer may see (like its threads), else 404."""

    access = community_for_reader(user, slug)
    ritual = (
        Ritual.objects.select_related("space", "community", "host")
        .filter(pk=ritual_id, community_id=access.community.pk)
        .first()
    )
    if ritual is None or not can_see_space(access.membership, ritual.space):
        raise Http404
    return ritual, access


def ritual_for_manager(user: object, slug: str, ritual_id: int) -> tuple[object, CommunityAccess]:
    """A ritual to edit, pause or delete: checked against its own community (404), then the
    role (403)."""
    access = community_for_member(user, slug)
    ritual, _ = ritual_for_reader(user, slug, ritual_id)
    if not can_manage_rituals(access.membership):
        raise PermissionDenied("Only the owner and moderators can manage rituals.")
    return ritual, access


# --- Moderation --------------------------------------------------------------------------------


def is_banned(user: object, community: Community | int) -> bool:
    """Whether the user is banned from the community: invites and join requests must refuse them
    (``members.services.membership_join`` refuses too, as the last line)."""
    if not _is_authenticated(user):
        return False
    community_id = community if isinstance(community, int) else community.pk
    return Membership.objects.filter(
        user=user, community_id=community_id, status=MembershipStatus.BANNED
    ).exists()


# --- Personal data: what a person may still read ------------------------------------------------


def active_memberships_by_community(user_id: int) -> dict[int, Membership]:
    """The person's active memberships keyed by community id (one query, for bulk checks)."""
    rows = Membership.objects.filter(user_id=user_id, status=MembershipStatus.ACTIVE)
    return {m.community_id: m for m in rows.only("pk", "community_id", "role", "status")}


def can_still_read_thread(user_id: int, thread: object, memberships: dict[int, Membership]) -> bool:
    """Whether the person may read ``thread`` today (``thread.space`` and ``thread.community``
    loaded; ``memberships`` from :func:`active_memberships_by_community`). Their own thread
    always; otherwise an active member who may see its space, or anyone for a public
    community's unrestricted space. A former or banned member of a private community: no."""
    if getattr(thread, "author_id", None) == user_id:
        return True
    if getattr(thread, "removed_at", None) is not None:
        return False
    membership = memberships.get(thread.community_id)
    if membership is not None:
        return can_see_space(membership, thread.space)
    return thread.community.visibility == Visibility.PUBLIC and not thread.space.min_role


def post_for_staff(user: object, slug: str, post_id: int) -> tuple[Post, CommunityAccess]:
    """A post of this community for its moderators and owners, whatever its state (held, hidden,
    flagged), unless it is in a space their role may not see: that is 404, like a missing post."""
    access = community_for_staff(user, slug)
    post = (
        Post.objects.select_related("thread", "thread__space")
        .filter(pk=post_id, community_id=access.community.pk)
        .first()
    )
    if post is None or not can_see_space(access.membership, post.thread.space):
        raise Http404
    return post, access


def word_filter_for_staff(user: object, slug: str, filter_id: int) -> tuple[WordFilter, CommunityAccess]:
    """A word-filter entry of this community for its staff (404 for another community's)."""
    access = community_for_staff(user, slug)
    word_filter = WordFilter.objects.filter(pk=filter_id, community_id=access.community.pk).first()
    if word_filter is None:
        raise Http404
    return word_filter, access


def member_for_staff(user: object, slug: str, handle: str) -> tuple[Membership, CommunityAccess]:
    """A membership of this community (any status) by handle, for its staff; 404 otherwise."""
    access = community_for_staff(user, slug)
    target = (
        Membership.objects.filter(community_id=access.community.pk, user__handle__iexact=handle)
        .select_related("user")
        .first()
    )
    if target is None:
        raise Http404
    return target, access
