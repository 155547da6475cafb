"""Reads for event pages, the calendar and reminders. Each page's queries are fixed in number
whatever the number of attendees, questions or votes."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from communities.discussions.models import Post
from communities.events.models import AmaQuestion, AmaVote, CalendarFeed, Event, EventStatus, Rsvp, RsvpStatus
from communities.models import Community
from members import access
from members.models import Membership, MembershipStatus, User
from members.profiles.models import FieldVisibility

ATTENDEES_SHOWN = 48
QUESTIONS_SHOWN = 100
FEED_PAST_DAYS = 60
FEED_LIMIT = 500
DEFAULT_USER_ZONE = "UTC"


def viewer_zone(user: object, community: Community) -> zoneinfo.ZoneInfo:
    """The zone times are shown in: the viewer's own (profile setting), else the community's.
    ``UTC`` is the account default, so it counts as "not chosen"."""
    name = getattr(user, "time_zone", "") if getattr(user, "is_authenticated", False) else ""
    if not name or name == DEFAULT_USER_ZONE:
        name = community.time_zone
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _base(community: Community, membership: Membership | None) -> QuerySet[Event]:
    return (
        Event.objects.filter(community=community)
        .filter(access.visible_events_q(membership))
        .select_related("thread", "thread__space", "host")
        .annotate(going=Count("rsvps", filter=Q(rsvps__status=RsvpStatus.GOING)))
    )


def upcoming_events(
    *, community: Community, membership: Membership | None, now: datetime | None = None
) -> QuerySet[Event]:
    """Events not yet over, soonest first (cancelled ones stay listed, marked)."""
    now = now or timezone.now()
    return _base(community, membership).filter(ends_at__gt=now).order_by("starts_at", "pk")


def past_events(
    *, community: Community, membership: Membership | None, now: datetime | None = None
) -> QuerySet[Event]:
    now = now or timezone.now()
    return _base(community, membership).filter(ends_at__lte=now).order_by("-starts_at", "-pk")


def next_events(*, community: Community, membership: Membership | None, limit: int = 3) -> list[Event]:
    """For the community page: the next few scheduled events."""
    return list(
        upcoming_events(community=community, membership=membership).filter(status=EventStatus.SCHEDULED)[
            :limit
        ]
    )


@dataclass
class Attendee:
    user: object
    status: str
    show_avatar: bool


@dataclass
class EventPage:
    event: Event
    description: Post | None
    counts: dict[str, int]
    attendees: list[Attendee]
    maybe: list[Attendee]
    my_rsvp: Rsvp | None
    waitlist_position: int | None
    questions: list[AmaQuestion] = field(default_factory=list)
    seats_left: int | None = None


def _attendees(event: Event, status: str, limit: int) -> list[Attendee]:
    """People with ``status`` who are still active members (former members drop off the list);
    the avatar shows only where the person's privacy setting allows it."""
    active = Membership.objects.filter(
        community_id=event.community_id, status=MembershipStatus.ACTIVE, user_id=OuterRef("user_id")
    )
    rows = (
        Rsvp.objects.filter(event=event, status=status)
        .filter(Exists(active))
        .select_related("user", "user__profile")
        .order_by("updated_at", "pk")[:limit]
    )
    out = []
    for r in rows:
        profile = getattr(r.user, "profile", None)
        show = profile is None or profile.avatar_visibility == FieldVisibility.MEMBERS
        out.append(Attendee(user=r.user, status=r.status, show_avatar=show))
    return out


def event_page(*, event: Event, membership: Membership | None, now: datetime | None = None) -> EventPage:
    now = now or timezone.now()
    counts = {s: 0 for s in RsvpStatus.values}
    for row in Rsvp.objects.filter(event=event).values("status").annotate(n=Count("pk")).order_by():
        counts[row["status"]] = row["n"]
    description = event_description(event=event, membership=membership)
    my_rsvp = None
    position = None
    if membership is not None:
        my_rsvp = Rsvp.objects.filter(event=event, user_id=membership.user_id).first()
        if my_rsvp is not None and my_rsvp.status == RsvpStatus.WAITLISTED:
            position = (
                Rsvp.objects.filter(event=event, status=RsvpStatus.WAITLISTED)
                .filter(
                    Q(waitlisted_at__lt=my_rsvp.waitlisted_at)
                    | Q(waitlisted_at=my_rsvp.waitlisted_at, pk__lt=my_rsvp.pk)
                )
                .count()
                + 1
            )
    page = EventPage(
        event=event,
        description=description,
        counts=counts,
        attendees=_attendees(event, RsvpStatus.GOING, ATTENDEES_SHOWN) if membership else [],
        maybe=_attendees(event, RsvpStatus.MAYBE, ATTENDEES_SHOWN) if membership else [],
        my_rsvp=my_rsvp,
        waitlist_position=position,
    )
    if event.capacity is not None:
        page.seats_left = max(0, event.capacity - counts[RsvpStatus.GOING])
    if event.is_ama:
        page.questions = ama_questions(event=event, membership=membership)
    return page


def event_description(*, event: Event, membership: Membership | None) -> Post | None:
    """The event's description (its thread's opening post) if the viewer may see it."""
    return (
        Post.objects.filter(thread_id=event.thread_id, is_opening=True)
        .filter(access.visible_posts_q(membership))
        .first()
    )


def ama_questions(
    *, event: Event, membership: Membership | None, limit: int = QUESTIONS_SHOWN
) -> list[AmaQuestion]:
    """Questions the viewer may see, most upvoted first (then oldest first: the order the host
    answers in), each with ``vote_count`` and ``voted`` (the viewer's own vote)."""
    qs = (
        AmaQuestion.objects.filter(event=event)
        .filter(
            post__in=Post.objects.filter(thread_id=event.thread_id).filter(access.visible_posts_q(membership))
        )
        .select_related("post", "author", "answer_post")
        .annotate(vote_count=Count("votes"))
    )
    if membership is not None:
        qs = qs.annotate(
            voted=Exists(AmaVote.objects.filter(question=OuterRef("pk"), user_id=membership.user_id))
        )
    return list(qs.order_by("-vote_count", "created_at", "pk")[:limit])


def feed_events(user: object, now: datetime | None = None) -> QuerySet[Event]:
    """The personal calendar feed: events of the person's communities they may see, from
    two months back on."""
    now = now or timezone.now()
    return (
        Event.objects.filter(access.member_visible_events_q(user))
        .filter(ends_at__gte=now - timedelta(days=FEED_PAST_DAYS))
        .select_related("thread", "community", "host")
        .order_by("starts_at", "pk")[:FEED_LIMIT]
    )


def my_rsvps(user: User) -> QuerySet[Rsvp]:
    """Every RSVP of the person (for their data download)."""
    return (
        Rsvp.objects.filter(user=user)
        .select_related("event", "event__thread", "event__community")
        .order_by("pk")
    )


def current_feed(user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at").first()
