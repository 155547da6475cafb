"""Events: a time, a place, attendees and a discussion thread; AMA questions; reminders; the
personal calendar feed.

Imported by ``communities/models.py`` so Django registers these models with the ``communities``
app. The event's title and its Markdown description are the title and opening post of its
thread (rendered once, at write time, by the discussions services): flags, hiding, revisions,
search and the archive treat them like any other post. AMA questions are replies in that
thread with a row here for votes and the answered mark.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class EventKind(models.TextChoices):
    MEETUP = "meetup", "Meetup"
    WORKSHOP = "workshop", "Workshop"
    OFFICE_HOURS = "office_hours", "Office hours"
    AMA = "ama", "AMA (ask me anything)"


class EventStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class Event(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="events")
    # Title = thread title, description = the thread's opening post. The thread's space decides
    # who may see the event (a restricted space hides it like its threads).
    thread = models.OneToOneField("communities.Thread", on_delete=models.CASCADE, related_name="event")
    kind = models.CharField(max_length=16, choices=EventKind.choices, default=EventKind.MEETUP)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    # The zone the times were entered in (the community's at the time): the .ics TZID.
    time_zone = models.CharField(max_length=64, default="UTC")
    location = models.CharField(max_length=200, blank=True)
    online_url = models.URLField(max_length=500, blank=True)
    # None = no limit. When full, "going" answers join the waiting list.
    capacity = models.PositiveIntegerField(null=True, blank=True)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the event was made from a ritual's schedule (one event per ritual occurrence).
    ritual = models.ForeignKey(
        "communities.Ritual", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    status = models.CharField(max_length=10, choices=EventStatus.choices, default=EventStatus.SCHEDULED)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Reminder claims: set by the one reminder job whose conditional UPDATE matched NULL; cleared
    # when the event moves (so the new time is reminded again).
    reminded_24h_at = models.DateTimeField(null=True, blank=True)
    reminded_1h_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["community", "starts_at"], name="event_community_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"event {self.pk} at {self.starts_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("event-detail", args=[self.community.slug, self.pk])

    @property
    def title(self) -> str:
        return self.thread.title

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    @property
    def is_ama(self) -> bool:
        return self.kind == EventKind.AMA


class RsvpStatus(models.TextChoices):
    GOING = "going", "Going"
    MAYBE = "maybe", "Maybe"
    NOT_GOING = "not_going", "Not going"
    WAITLISTED = "waitlisted", "On the waiting list"


class Rsvp(models.Model):
    """One person's answer for one event. Unique per (event, user); the waiting list is ordered
    by ``waitlisted_at`` (first come, first promoted)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps")
    status = models.CharField(max_length=10, choices=RsvpStatus.choices)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="rsvp_event_user_unique")]
        indexes = [models.Index(fields=["event", "status", "waitlisted_at"], name="rsvp_event_status_idx")]


class AmaQuestion(models.Model):
    """A question asked before an AMA starts: a reply in the event's thread (so flags, hiding and
    search work on it as on any post) plus its votes and the host's answered mark."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    post = models.OneToOneField("communities.Post", on_delete=models.CASCADE, related_name="ama_question")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_post = models.ForeignKey(
        "communities.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]


class AmaVote(models.Model):
    """One upvote; the database allows one per person per question."""

    question = models.ForeignKey(AmaQuestion, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "user"], name="amavote_unique")]


class ReminderKind(models.TextChoices):
    DAY = "24h", "24 hours before"
    HOUR = "1h", "1 hour before"


class EventReminder(models.Model):
    """A reminder sent to one person: the database refuses a second one for the same (event,
    person, kind) whatever the workers do."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=4, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "user", "kind"], name="eventreminder_unique"),
        ]


class CalendarFeed(models.Model):
    """A member's secret calendar-feed token (256 random bits). Revoking sets ``revoked_at``; a
    new token is made on request. Never exported."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="calendarfeed_user_idx")]
