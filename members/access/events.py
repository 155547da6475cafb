"""Access to events, RSVPs, AMA questions and calendar feeds.

An event is as visible as its discussion thread: same community rules (public / listed /
secret), same space rule (a restricted space hides its events like its threads, 404), and an
event whose thread was removed by moderation is hidden from everyone but staff. Everything
else (lists, reminders, the personal calendar feed, exports) filters with
:func:`visible_events_q`, so one rule answers everywhere.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from communities.events.models import AmaQuestion, CalendarFeed, Event
from members.access.core import (
    CommunityAccess,
    can_see_space,
    community_for_member,
    community_for_reader,
    is_staff,
)
from members.models import ROLE_RANK, Membership, MembershipStatus, Role, User


def roles_at_least(min_role: str) -> list[str]:
    """Roles at or above ``min_role`` ("" = every role)."""
    if not min_role:
        return [r.value for r in ROLE_RANK]
    floor = ROLE_RANK[Role(min_role)]
    return [r.value for r, rank in ROLE_RANK.items() if rank >= floor]


def visible_spaces_q_for_role(min_role: str) -> Q:
    """A filter on Membership: members who may see a space whose minimum role is ``min_role``."""
    return Q(role__in=roles_at_least(min_role))


def visible_events_q(membership: Membership | None, prefix: str = "") -> Q:
    """A filter on Event for the events ``membership`` may see in its community (callers filter
    the community): spaces at or below the member's role, threads not removed (staff see
    removed ones, marked)."""
    from members.access.core import visible_spaces_q

    q = visible_spaces_q(membership, prefix=f"{prefix}thread__space__")
    if not is_staff(membership):
        q &= Q(**{f"{prefix}thread__removed_at__isnull": True})
    return q


def member_visible_events_q(user: Any, prefix: str = "") -> Q:
    """A filter on Event across communities: events of communities where ``user`` is an active
    member, in spaces their role there may see, not removed. For the personal calendar feed."""
    memberships = Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE).only(
        "community_id", "role", "status"
    )
    q = Q(pk__in=[])
    for m in memberships:
        q |= Q(**{f"{prefix}community_id": m.community_id}) & visible_events_q(m, prefix)
    return q


def _event_in(access: CommunityAccess, event_id: int) -> Event:
    event = (
        Event.objects.select_related("thread", "thread__space", "thread__author", "community", "host")
        .filter(pk=event_id, community_id=access.community.pk)
        .first()
    )
    if event is None or not can_see_space(access.membership, event.thread.space):
        raise Http404
    if event.thread.removed_at is not None and not is_staff(access.membership):
        raise Http404
    event.community = access.community  # already loaded (with its member count)
    return event


def event_for_reader(user: object, slug: str, event_id: int) -> tuple[Event, CommunityAccess]:
    """The event if the viewer may read its community and see its space; an event of another
    community, a restricted space or a removed thread is 404."""
    access = community_for_reader(user, slug)
    return _event_in(access, event_id), access


def event_for_member(user: object, slug: str, event_id: int) -> tuple[Event, CommunityAccess]:
    """As event_for_reader, for taking part (RSVP, questions, votes): active members only."""
    event, access = event_for_reader(user, slug, event_id)
    if access.membership is None:
        community_for_member(user, slug)  # raises the right answer for this visibility
    return event, access


def can_create_event(membership: Membership | None) -> bool:
    """Owners and moderators create events (and host them)."""
    return is_staff(membership)


def can_manage_event(membership: Membership | None, event: Event) -> bool:
    """Edit, move, cancel: the host while a member, and staff."""
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        return False
    return is_staff(membership) or event.host_id == membership.user_id


def community_for_event_creator(user: object, slug: str) -> CommunityAccess:
    access = community_for_member(user, slug)
    if not can_create_event(access.membership):
        raise PermissionDenied("Only the owner and moderators can create events.")
    return access


def event_for_manager(user: object, slug: str, event_id: int) -> tuple[Event, CommunityAccess]:
    """An event to edit or cancel: 404 if hidden, then 403 for members who don't host it."""
    event, access = event_for_member(user, slug, event_id)
    if not can_manage_event(access.membership, event):
        raise PermissionDenied("Only the host and moderators can change this event.")
    return event, access


def question_for_member(
    user: object, slug: str, question_id: int
) -> tuple[AmaQuestion, Event, CommunityAccess]:
    """An AMA question of a visible event whose post the viewer may see (a hidden question is
    404 like a hidden post)."""
    from members.access.core import post_visible_to

    access = community_for_member(user, slug)
    question = (
        AmaQuestion.objects.select_related("post", "event", "event__thread")
        .filter(pk=question_id, event__community_id=access.community.pk)
        .first()
    )
    if question is None:
        raise Http404
    event = _event_in(access, question.event_id)
    if not post_visible_to(access.membership, question.post):
        raise Http404
    question.event = event
    return question, event, access


def can_answer_questions(membership: Membership | None, event: Event) -> bool:
    return can_manage_event(membership, event)


def feed_owner(token: str) -> User:
    """The person a calendar-feed token belongs to; 404 for an unknown or revoked token (all
    look the same)."""
    if not token or len(token) > 64:
        raise Http404
    feed = CalendarFeed.objects.select_related("user").filter(token=token, revoked_at__isnull=True).first()
    if feed is None or not feed.user.is_active:
        raise Http404
    return feed.user


def member_of(access: CommunityAccess) -> Membership:
    """The caller's membership after an ``*_for_member``/``*_for_manager`` check (which already
    refused non-members); never None."""
    if access.membership is None:
        raise PermissionDenied("Join this community to take part.")
    return access.membership
