"""Access to tags: everyone who may read a community sees its tags; its owners manage the list;
a thread's author and the staff tag a thread (creating new tags only where the community lets
members add them)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from communities.discussions.models import Thread
from communities.tags.models import Tag
from members.access.core import CommunityAccess, community_for_owner, is_staff, thread_for_member
from members.models import Membership, MembershipStatus, Role


def can_manage_tags(membership: Membership | None) -> bool:
    """The tag list belongs to the community's owners."""
    return (
        membership is not None
        and membership.status == MembershipStatus.ACTIVE
        and membership.role == Role.OWNER
    )


def can_tag_thread(membership: Membership | None, thread: Thread) -> bool:
    """A thread's author (while a member) and the community's staff choose its tags."""
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        return False
    return is_staff(membership) or thread.author_id == membership.user_id


def community_for_tag_manager(user: object, slug: str) -> CommunityAccess:
    return community_for_owner(user, slug)


def tag_for_manager(user: object, slug: str, tag_id: int) -> tuple[Tag, CommunityAccess]:
    """A tag of this community for its owners; a tag id of another community is 404."""
    access = community_for_tag_manager(user, slug)
    tag = Tag.objects.filter(pk=tag_id, community_id=access.community.pk).first()
    if tag is None:
        raise Http404
    return tag, access


def thread_for_tagger(user: object, slug: str, thread_id: int) -> tuple[Thread, CommunityAccess]:
    thread, access = thread_for_member(user, slug, thread_id)
    if not can_tag_thread(access.membership, thread):
        raise PermissionDenied("Only the thread's author and moderators can change its tags.")
    return thread, access
