"""Writes for events: create, edit, move, cancel, RSVP with a waiting list, AMA questions and
votes, reminders, calendar-feed tokens. Each runs in one transaction; notifications are made
with ``notification_create`` (their emails go out after commit).

Capacity contract (see ``rsvp_set``): the event row is locked (``SELECT ... FOR UPDATE``) for
every change that can free or take a seat, so "going" never exceeds the capacity and each freed
seat promotes exactly one person from the waiting list, first come first served.

Reminder contract (see ``reminders_send_due``): each (event, reminder kind) is claimed by one
conditional UPDATE of ``reminded_<kind>_at`` from NULL; the claim, the per-person
``EventReminder`` rows (unique per event, person and kind) and the notifications commit
together, so two beat processes, a retried task or a restart never remind anyone twice, and a
worker that dies mid-way rolls its claim back for the next run.
"""

from __future__ import annotations

import logging
import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from communities.discussions.models import Post, ThreadKind
from communities.discussions.services import post_create, post_edit, thread_create
from communities.events.models import (
    AmaQuestion,
    AmaVote,
    CalendarFeed,
    Event,
    EventKind,
    EventReminder,
    EventStatus,
    ReminderKind,
    Rsvp,
    RsvpStatus,
)
from communities.integrations import events
from communities.models import Space
from communities.rituals import schedule as schedule_math
from communities.rituals.models import Ritual
from members import access
from members.models import Membership, MembershipStatus, User
from members.notifications.models import Notification
from members.notifications.services import notification_create
from moderation import ratelimit

log = logging.getLogger(__name__)

MAX_DURATION = timedelta(days=14)
MAX_SERIES = 12  # events made at once from a ritual's schedule
QUESTIONS_PER_HOUR = 10
VOTES_PER_MINUTE = 30
REMINDER_LEADS: dict[str, timedelta] = {
    ReminderKind.DAY: timedelta(hours=24),
    ReminderKind.HOUR: timedelta(hours=1),
}
MAX_REMINDED_PER_RUN = 200  # events per reminder kind per run; the rest wait for the next minute


class EventError(ValidationError):
    """A refused change, with a message for the person."""


@dataclass(frozen=True)
class EventFields:
    """What the event form collects (times already converted to aware UTC datetimes)."""

    title: str
    description: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    location: str = ""
    online_url: str = ""
    capacity: int | None = None


def _check_fields(fields: EventFields, *, now: datetime, new: bool) -> None:
    if fields.kind not in EventKind.values:
        raise EventError("Choose a kind of event.")
    if fields.ends_at <= fields.starts_at:
        raise EventError("The end must be after the start.")
    if fields.ends_at - fields.starts_at > MAX_DURATION:
        raise EventError("An event can last at most 14 days.")
    if new and fields.starts_at <= now:
        raise EventError("The start must be in the future.")
    if fields.capacity is not None and fields.capacity < 1:
        raise EventError("The capacity must be at least 1 (or leave it empty for no limit).")


def _event_url(event: Event) -> str:
    return f"/c/{event.community.slug}/events/{event.pk}/"


# --- Create, edit, move, cancel --------------------------------------------------------------


@transaction.atomic
def event_create(
    *,
    author: Membership,
    space: Space,
    fields: EventFields,
    ritual: Ritual | None = None,
    now: datetime | None = None,
    repeat: bool = False,
) -> Event:
    """Create an event with its discussion thread (title and description are the thread's
    title and opening post). The author hosts it. Callers check ``access.can_create_event``.

    ``repeat``: a later event of a series whose first event passed the posting checks; its
    thread repeats the same text on purpose, so the identical-post guard must not refuse it."""
    now = now or timezone.now()
    community = author.community
    if space.community_id != community.pk or not access.can_see_space(author, space):
        raise EventError("Choose a space of this community.")
    _check_fields(fields, now=now, new=True)
    thread = thread_create(
        author=author,
        space=space,
        title=fields.title,
        body_md=fields.description,
        kind=ThreadKind.EVENT,
        at=now if repeat else None,
    )
    event = Event.objects.create(
        community=community,
        thread=thread,
        kind=fields.kind,
        starts_at=fields.starts_at,
        ends_at=fields.ends_at,
        time_zone=community.time_zone,
        location=fields.location.strip(),
        online_url=fields.online_url.strip(),
        capacity=fields.capacity,
        host_id=author.user_id,
        created_by_id=author.user_id,
        ritual=ritual,
        created_at=now,
        updated_at=now,
    )
    events.emit(events.EVENT_CREATED, community_id=community.pk, event_id=event.pk)
    return event


def event_series_from_ritual(
    *, author: Membership, space: Space, fields: EventFields, ritual: Ritual, count: int
) -> list[Event]:
    """Events on a ritual's schedule: the next ``count`` occurrences of the ritual (computed by
    the ritual schedule code, in the community's time zone), each lasting as long as ``fields``
    says, each with its own thread. One transaction: all or none."""
    if ritual.community_id != author.community_id:
        raise EventError("Choose a ritual of this community.")
    if not 1 <= count <= MAX_SERIES:
        raise EventError(f"Make between 1 and {MAX_SERIES} events at once.")
    duration = fields.ends_at - fields.starts_at
    schedule = ritual.schedule(author.community.time_zone)
    starts = schedule_math.occurrences_after(schedule, timezone.now(), count)
    if not starts:
        raise EventError("That ritual's schedule has no upcoming dates.")
    with transaction.atomic():
        return [
            event_create(
                author=author,
                space=space,
                fields=EventFields(**{**fields.__dict__, "starts_at": at, "ends_at": at + duration}),
                ritual=ritual,
                repeat=n > 0,
            )
            for n, at in enumerate(starts)
        ]


def _audience_ids(event: Event, statuses: tuple[str, ...]) -> list[int]:
    """People with one of ``statuses`` who may still see the event (active members at or
    above the space's role): nobody hears about an event they can no longer see."""
    space = event.thread.space
    members = Membership.objects.filter(
        community_id=event.community_id, status=MembershipStatus.ACTIVE, user__is_active=True
    ).filter(access.visible_spaces_q_for_role(space.min_role))
    return list(
        Rsvp.objects.filter(event=event, status__in=statuses, user_id__in=members.values("user_id"))
        .order_by("pk")
        .values_list("user_id", flat=True)
    )


def _audience_zones(event: Event, statuses: tuple[str, ...]) -> list[tuple[int, str]]:
    """As ``_audience_ids``, with each person's own time zone (for the time in the text)."""
    ids = _audience_ids(event, statuses)
    zones = dict(User.objects.filter(pk__in=ids).values_list("pk", "time_zone"))
    return [(user_id, zones.get(user_id, "")) for user_id in ids]


def _local_when(event: Event, zone_name: str) -> str:
    """The start in the person's own zone ("UTC", the account default, counts as unset: the
    event's zone then), named, e.g. "Tue 8 Dec, 12:00 America/New_York"."""
    name = zone_name if zone_name and zone_name != "UTC" else event.time_zone
    try:
        tz = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz, name = event.tz, event.time_zone
    return f"{timezone.localtime(event.starts_at, tz):%a %-d %b, %H:%M} {name}"


def _notify(event: Event, user_ids: list[int], text: str, *, actor_id: int | None = None) -> int:
    for user_id in user_ids:
        if user_id == actor_id:
            continue
        notification_create(
            recipient_id=user_id,
            kind=Notification.Kind.EVENT,
            text=text,
            url=_event_url(event),
            community_id=event.community_id,
            actor_id=actor_id,
            thread_id=event.thread_id,
        )
    return len([u for u in user_ids if u != actor_id])


ATTENDING = (RsvpStatus.GOING, RsvpStatus.MAYBE, RsvpStatus.WAITLISTED)


@transaction.atomic
def event_update(
    *, editor: Membership, event: Event, fields: EventFields, now: datetime | None = None
) -> Event:
    """Edit an event. The description and title change through the post-edit service (with a
    revision). A new time clears the reminder claims (the new time is reminded again) and tells
    everyone attending; a smaller capacity keeps who is going (nobody is demoted), a larger one
    promotes from the waiting list."""
    now = now or timezone.now()
    event = (
        Event.objects.select_for_update()
        .select_related("thread", "thread__space", "community")
        .get(pk=event.pk)
    )
    if event.is_cancelled:
        raise EventError("This event was cancelled; it can't be edited.")
    _check_fields(fields, now=now, new=False)
    opening = Post.objects.get(thread_id=event.thread_id, is_opening=True)
    post_edit(editor=editor, post=opening, body_md=fields.description, title=fields.title, at=now)
    moved = fields.starts_at != event.starts_at or fields.ends_at != event.ends_at
    event.kind = fields.kind
    event.location = fields.location.strip()
    event.online_url = fields.online_url.strip()
    event.capacity = fields.capacity
    event.updated_at = now
    if moved:
        event.starts_at, event.ends_at = fields.starts_at, fields.ends_at
        event.reminded_24h_at = event.reminded_1h_at = None
        EventReminder.objects.filter(event=event).delete()
    event.save()
    event.thread.refresh_from_db(fields=["title", "slug"])
    events.emit(events.EVENT_UPDATED, community_id=event.community_id, event_id=event.pk)
    _promote(event, now=now)
    if moved:
        for user_id, zone_name in _audience_zones(event, ATTENDING):
            _notify(
                event,
                [user_id],
                f"“{event.thread.title}” moved to {_local_when(event, zone_name)}.",
                actor_id=editor.user_id,
            )
    return event


@transaction.atomic
def event_cancel(*, actor: Membership, event: Event, now: datetime | None = None) -> Event:
    """Cancel (once): the event stays visible, marked cancelled; everyone attending is told."""
    now = now or timezone.now()
    event = (
        Event.objects.select_for_update()
        .select_related("thread", "thread__space", "community")
        .get(pk=event.pk)
    )
    if event.is_cancelled:
        return event
    event.status, event.cancelled_at, event.updated_at = EventStatus.CANCELLED, now, now
    event.save(update_fields=["status", "cancelled_at", "updated_at"])
    events.emit(events.EVENT_CANCELLED, community_id=event.community_id, event_id=event.pk)
    _notify(
        event,
        _audience_ids(event, ATTENDING),
        f"“{event.thread.title}” was cancelled.",
        actor_id=actor.user_id,
    )
    return event


# --- RSVP and the waiting list ---------------------------------------------------------------


def _going_count(event: Event) -> int:
    return Rsvp.objects.filter(event=event, status=RsvpStatus.GOING).count()


def _promote(event: Event, *, now: datetime) -> list[int]:
    """Fill free seats from the waiting list, oldest first. The caller holds the event's row
    lock, so two cancellations can't promote the same person or overfill the event."""
    if event.capacity is None:
        waiting = Rsvp.objects.filter(event=event, status=RsvpStatus.WAITLISTED)
    else:
        free = event.capacity - _going_count(event)
        if free <= 0:
            return []
        waiting = Rsvp.objects.filter(event=event, status=RsvpStatus.WAITLISTED).order_by(
            "waitlisted_at", "pk"
        )[:free]
    ids = list(waiting.values_list("pk", flat=True))
    if not ids:
        return []
    Rsvp.objects.filter(pk__in=ids).update(status=RsvpStatus.GOING, updated_at=now)
    for rsvp_id in ids:
        events.emit(events.RSVP_CHANGED, community_id=event.community_id, event_id=event.pk, rsvp_id=rsvp_id)
    user_ids = list(Rsvp.objects.filter(pk__in=ids).values_list("user_id", flat=True))
    if not event.is_cancelled:
        _notify(event, user_ids, f"A seat opened up: you're going to “{event.thread.title}”.")
    return user_ids


@transaction.atomic
def rsvp_set(*, membership: Membership, event: Event, status: str, now: datetime | None = None) -> Rsvp:
    """Answer going / maybe / not going. "Going" to a full event puts the person on the waiting
    list (answering "going" again keeps their place). Leaving "going" frees a seat, which the
    first person waiting takes. Returns the person's RSVP as stored."""
    now = now or timezone.now()
    if status not in (RsvpStatus.GOING, RsvpStatus.MAYBE, RsvpStatus.NOT_GOING):
        raise EventError("Choose going, maybe or not going.")
    if membership.community_id != event.community_id or not membership.is_active:
        raise PermissionDenied("Only members can answer.")
    # The row lock serialises every seat change of this event (PostgreSQL; SQLite serialises
    # writers anyway).
    event = Event.objects.select_for_update().select_related("thread", "community").get(pk=event.pk)
    if event.is_cancelled:
        raise EventError("This event was cancelled.")
    if event.ends_at <= now:
        raise EventError("This event is over.")
    rsvp = Rsvp.objects.filter(event=event, user_id=membership.user_id).first()
    previous = rsvp.status if rsvp else None
    if (
        rsvp is not None
        and status == RsvpStatus.GOING
        and previous in (RsvpStatus.GOING, RsvpStatus.WAITLISTED)
    ):
        return rsvp
    new_status = status
    waitlisted_at = None
    if status == RsvpStatus.GOING and event.capacity is not None and _going_count(event) >= event.capacity:
        new_status, waitlisted_at = RsvpStatus.WAITLISTED, now
    if rsvp is None:
        rsvp = Rsvp.objects.create(
            event=event,
            user_id=membership.user_id,
            status=new_status,
            waitlisted_at=waitlisted_at,
            created_at=now,
            updated_at=now,
        )
    else:
        rsvp.status, rsvp.waitlisted_at, rsvp.updated_at = new_status, waitlisted_at, now
        rsvp.save(update_fields=["status", "waitlisted_at", "updated_at"])
    if previous != new_status:
        events.emit(events.RSVP_CHANGED, community_id=event.community_id, event_id=event.pk, rsvp_id=rsvp.pk)
    if previous == RsvpStatus.GOING and new_status != RsvpStatus.GOING:
        _promote(event, now=now)
    return rsvp


# --- AMA questions and votes -----------------------------------------------------------------


def _ama_open(event: Event, now: datetime) -> None:
    if not event.is_ama:
        raise EventError("Questions are for AMA events.")
    if event.is_cancelled:
        raise EventError("This event was cancelled.")
    if now >= event.starts_at:
        raise EventError("Questions closed when the AMA started.")


def question_ask(
    *, membership: Membership, event: Event, body_md: str, now: datetime | None = None
) -> AmaQuestion:
    """Ask a question before the AMA starts: a reply in the event's thread (moderation decides
    holds, limits and word filters as for any post) plus its question row."""
    now = now or timezone.now()
    _ama_open(event, now)
    ratelimit.hit(
        ratelimit.Limit("ama-question", QUESTIONS_PER_HOUR, 3600),
        f"{event.pk}:{membership.user_id}",
        message=f"You can ask {QUESTIONS_PER_HOUR} questions an hour in one AMA. You can ask again {{when}}.",
    )
    with transaction.atomic():
        post = post_create(author=membership, thread=event.thread, body_md=body_md)
        return AmaQuestion.objects.create(
            event=event, post=post, author_id=membership.user_id, created_at=now
        )


def question_vote(*, membership: Membership, question: AmaQuestion, vote: bool = True) -> bool:
    """Upvote (or take back the vote on) a question; one vote per person by the database. Your
    own question can't be upvoted. Returns whether the person's vote now stands."""
    event = question.event
    if membership.community_id != event.community_id or not membership.is_active:
        raise PermissionDenied("Only members can vote.")
    if question.author_id == membership.user_id:
        raise EventError("You can't upvote your own question.")
    if event.is_cancelled:
        raise EventError("This event was cancelled.")
    ratelimit.hit(
        ratelimit.Limit("ama-vote", VOTES_PER_MINUTE, 60),
        str(membership.user_id),
        message="You're voting very fast. You can vote again {when}.",
    )
    if not vote:
        AmaVote.objects.filter(question=question, user_id=membership.user_id).delete()
        return False
    try:
        with transaction.atomic():
            AmaVote.objects.create(question=question, user_id=membership.user_id)
    except IntegrityError:
        pass  # already voted (a double click): one vote stands
    return True


@transaction.atomic
def question_answer(
    *, host: Membership, question: AmaQuestion, body_md: str = "", answered: bool = True
) -> AmaQuestion:
    """The host (or staff) marks a question answered, optionally posting the answer as a reply to
    it in the thread; ``answered=False`` clears the mark."""
    if not answered:
        AmaQuestion.objects.filter(pk=question.pk).update(answered_at=None)
        question.answered_at = None
        return question
    answer = None
    if body_md.strip():
        answer = post_create(
            author=host, thread=question.event.thread, body_md=body_md, reply_to=question.post
        )
    now = timezone.now()
    updates: dict[str, object] = {"answered_at": now}
    if answer is not None:
        updates["answer_post"] = answer
    AmaQuestion.objects.filter(pk=question.pk).update(**updates)
    question.answered_at = now
    if answer is not None:
        question.answer_post = answer
    if question.author_id and question.author_id != host.user_id:
        _notify(
            question.event,
            [question.author_id],
            f"Your question in “{question.event.thread.title}” was answered.",
        )
    return question


# --- Reminders -------------------------------------------------------------------------------


def _claim_field(kind: str) -> str:
    return "reminded_24h_at" if kind == ReminderKind.DAY else "reminded_1h_at"


def _due_q(kind: str, now: datetime) -> Q:
    lead = REMINDER_LEADS[kind]
    q = Q(status=EventStatus.SCHEDULED, starts_at__gt=now, starts_at__lte=now + lead)
    q &= Q(**{f"{_claim_field(kind)}__isnull": True})
    if kind == ReminderKind.DAY:
        # Inside the last hour only the 1-hour reminder goes out (two at once would be noise).
        q &= Q(starts_at__gt=now + REMINDER_LEADS[ReminderKind.HOUR])
    return q


def event_remind(*, event_id: int, kind: str, now: datetime | None = None) -> int:
    """Send one event's reminder of ``kind`` to everyone going or maybe who may still see it.
    Returns how many were reminded (0 when another worker claimed it first)."""
    now = now or timezone.now()
    field = _claim_field(kind)
    with transaction.atomic():
        claimed = Event.objects.filter(Q(pk=event_id) & _due_q(kind, now)).update(**{field: now})
        if claimed != 1:
            return 0
        event = Event.objects.select_related("thread", "thread__space", "community").get(pk=event_id)
        if event.thread.removed_at is not None:
            return 0
        when = "tomorrow" if kind == ReminderKind.DAY else "in an hour"
        sent = 0
        for user_id, zone_name in _audience_zones(event, (RsvpStatus.GOING, RsvpStatus.MAYBE)):
            try:
                with transaction.atomic():
                    EventReminder.objects.create(event=event, user_id=user_id, kind=kind, sent_at=now)
            except IntegrityError:
                continue  # this person already has this reminder
            _notify(
                event,
                [user_id],
                f"Reminder: “{event.thread.title}” starts {when} ({_local_when(event, zone_name)}).",
            )
            sent += 1
        log.info("event %s: %s reminder sent to %s people", event_id, kind, sent)
        return sent


def reminders_send_due(*, now: datetime | None = None) -> int:
    """The every-minute job: send each due reminder once. Returns how many people were reminded."""
    now = now or timezone.now()
    total = 0
    for kind in (ReminderKind.HOUR, ReminderKind.DAY):
        due = list(
            Event.objects.filter(_due_q(kind, now))
            .order_by("starts_at")
            .values_list("pk", flat=True)[:MAX_REMINDED_PER_RUN]
        )
        for event_id in due:
            try:
                total += event_remind(event_id=event_id, kind=kind, now=now)
            except Exception:
                # One broken event must not stop the others; its claim rolled back, so the next
                # run retries it.
                log.exception("event %s: %s reminder failed", event_id, kind)
    return total


# --- Calendar feed tokens --------------------------------------------------------------------


@transaction.atomic
def calendar_feed_token(*, user: User) -> CalendarFeed:
    """The person's current feed token, made on first use."""
    feed = CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at").first()
    if feed is None:
        feed = CalendarFeed.objects.create(user=user, token=secrets.token_urlsafe(32))
    return feed


@transaction.atomic
def calendar_feed_reset(*, user: User) -> CalendarFeed:
    """Revoke every feed token of the person and make a new one (the old URL answers 404)."""
    CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return CalendarFeed.objects.create(user=user, token=secrets.token_urlsafe(32))


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> int:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
