"""Rituals (recurring threads posted on schedule) and onboarding state.

Imported at the bottom of ``communities/models.py`` so Django registers these models with the
``communities`` app.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from communities.rituals import schedule as schedule_math


class RitualKind(models.TextChoices):
    QA = "qa", "Weekly Q&A"
    WINS = "wins", "Wins"
    SPOTLIGHT = "spotlight", "Member spotlight"
    OFFICE_HOURS = "office_hours", "Office hours"
    AMA = "ama", "AMA (ask me anything)"
    CUSTOM = "custom", "Custom"


class RitualFrequency(models.TextChoices):
    WEEKLY = schedule_math.WEEKLY, "Weekly (or every N weeks) on a weekday"
    MONTHLY_NTH = schedule_math.MONTHLY_NTH_WEEKDAY, "Monthly on the Nth weekday"
    MONTHLY_DAY = schedule_math.MONTHLY_DAY, "Monthly on a day of the month"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class NthWeek(models.IntegerChoices):
    FIRST = 1, "First"
    SECOND = 2, "Second"
    THIRD = 3, "Third"
    FOURTH = 4, "Fourth"
    LAST = schedule_math.LAST, "Last"


class RitualAuthor(models.TextChoices):
    SYSTEM = "system", "The Hearth rituals system account"
    HOST = "host", "The ritual's host"


class SpotlightMode(models.TextChoices):
    ROTATING = "rotating", "Rotate through members (least recently featured first)"
    CHOSEN = "chosen", "A member I choose"


class Ritual(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="rituals")
    kind = models.CharField(max_length=16, choices=RitualKind.choices, default=RitualKind.CUSTOM)
    space = models.ForeignKey("communities.Space", on_delete=models.PROTECT, related_name="rituals")
    # Templates with {date} {week} {community} {member} placeholders.
    title_template = models.CharField(max_length=200)
    body_template = models.TextField()

    frequency = models.CharField(
        max_length=16, choices=RitualFrequency.choices, default=RitualFrequency.WEEKLY
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    interval_weeks = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    nth_week = models.PositiveSmallIntegerField(choices=NthWeek.choices, default=NthWeek.FIRST)
    day_of_month = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    local_time = models.TimeField(help_text="Local time in the community's time zone.")
    # Every-N-weeks counts from the week of this date; nothing is posted before it.
    starts_on = models.DateField(default=timezone.localdate)

    lock_after_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    pin_current = models.BooleanField(default=True)
    author_mode = models.CharField(max_length=8, choices=RitualAuthor.choices, default=RitualAuthor.SYSTEM)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    spotlight_mode = models.CharField(
        max_length=10, choices=SpotlightMode.choices, default=SpotlightMode.ROTATING
    )
    spotlight_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    paused = models.BooleanField(default=False)
    # The next occurrence to post (UTC). Claimed with a conditional UPDATE by the posting job.
    next_run_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title_template", "id"]
        indexes = [models.Index(fields=["paused", "next_run_at"], name="ritual_due_idx")]

    def __str__(self) -> str:
        return self.title_template

    def get_absolute_url(self) -> str:
        return reverse("ritual-detail", args=[self.community.slug, self.pk])

    def schedule(self, tz_name: str | None = None) -> schedule_math.Schedule:
        """The pure schedule in the community's time zone (pass ``tz_name`` to avoid a query)."""
        tz = zoneinfo.ZoneInfo(tz_name or self.community.time_zone)
        return schedule_math.Schedule(
            frequency=self.frequency,
            local_time=self.local_time,
            tz=tz,
            starts_on=self.starts_on,
            weekday=self.weekday,
            interval_weeks=self.interval_weeks,
            nth_week=self.nth_week,
            day_of_month=self.day_of_month,
        )

    @property
    def schedule_text(self) -> str:
        return schedule_math.describe(self.schedule())


class OccurrenceStatus(models.TextChoices):
    POSTED = "posted", "Posted"
    SKIPPED = "skipped", "Skipped (missed while the site was down)"


class RitualOccurrence(models.Model):
    """One scheduled occurrence of a ritual: posted (with its thread) or skipped.

    Unique per (ritual, occurrence): the database refuses a second post of the same occurrence
    whatever the workers do.
    """

    ritual = models.ForeignKey(Ritual, on_delete=models.CASCADE, related_name="occurrences")
    # The scheduled local time, as UTC.
    occurrence = models.DateTimeField()
    thread = models.OneToOneField(
        "communities.Thread",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ritual_occurrence",
    )
    status = models.CharField(max_length=8, choices=OccurrenceStatus.choices, default=OccurrenceStatus.POSTED)
    spotlight_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the auto-lock locked the thread (so a moderator's unlock is not undone).
    auto_locked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurrence"]
        constraints = [
            models.UniqueConstraint(fields=["ritual", "occurrence"], name="ritual_occurrence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.ritual_id} at {self.occurrence:%Y-%m-%d %H:%M}"
