"""Access to polls: a poll is seen by whoever may read its thread, voted on by the thread's
members, and added or closed by the thread's author and the community's staff.

Every function checks the poll against its own thread and community (a poll id of another
community, of a restricted space above the viewer or of a removed thread is 404, exactly like an
id that never existed). Who voted in an anonymous poll is never shown: its voters page is 404.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from communities.discussions.models import Thread
from communities.polls.models import Poll
from members.access.core import (
    CommunityAccess,
    community_for_reader,
    is_staff,
    thread_for_member,
    thread_for_reader,
)
from members.models import Membership, MembershipStatus


def can_add_poll(membership: Membership | None, thread: Thread) -> bool:
    """The thread's author (while a member) and the community's staff add polls to a thread."""
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        return False
    return is_staff(membership) or thread.author_id == membership.user_id


def can_close_poll(membership: Membership | None, poll: Poll) -> bool:
    """The poll's author and the community's staff close it early."""
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        return False
    return is_staff(membership) or poll.author_id == membership.user_id


def _poll_in(access: CommunityAccess, poll_id: int) -> Poll:
    poll = Poll.objects.filter(pk=poll_id, community_id=access.community.pk).first()
    if poll is None:
        raise Http404
    return poll


def poll_for_reader(user: object, slug: str, poll_id: int) -> tuple[Poll, Thread, CommunityAccess]:
    """A poll whose thread the viewer may read (see ``thread_for_reader``), else 404/403/login."""
    access = community_for_reader(user, slug)
    poll = _poll_in(access, poll_id)
    thread, access = thread_for_reader(user, slug, poll.thread_id)
    poll.thread = thread
    return poll, thread, access


def poll_for_voter(user: object, slug: str, poll_id: int) -> tuple[Poll, Thread, CommunityAccess]:
    """As poll_for_reader, and the viewer must be an active member (non-members: 403 / login)."""
    access = community_for_reader(user, slug)
    poll = _poll_in(access, poll_id)
    thread, access = thread_for_member(user, slug, poll.thread_id)
    poll.thread = thread
    return poll, thread, access


def poll_for_closer(user: object, slug: str, poll_id: int) -> tuple[Poll, Thread, CommunityAccess]:
    """A poll its author or a moderator may close (others: 403)."""
    poll, thread, access = poll_for_voter(user, slug, poll_id)
    if not can_close_poll(access.membership, poll):
        raise PermissionDenied("Only the poll's author and moderators can close it.")
    return poll, thread, access


def poll_for_voters_page(user: object, slug: str, poll_id: int) -> tuple[Poll, Thread, CommunityAccess]:
    """The list of who voted for what: named polls only (an anonymous poll has no such page: 404),
    for readers of the thread once the results are visible to them."""
    poll, thread, access = poll_for_reader(user, slug, poll_id)
    if poll.anonymous:
        raise Http404
    return poll, thread, access


def thread_for_poll_author(user: object, slug: str, thread_id: int) -> tuple[Thread, CommunityAccess]:
    """A thread the viewer may add a poll to: its author or staff (other members: 403)."""
    thread, access = thread_for_member(user, slug, thread_id)
    if not can_add_poll(access.membership, thread):
        raise PermissionDenied("Only the thread's author and moderators can add a poll.")
    return thread, access
