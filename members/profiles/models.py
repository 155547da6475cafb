"""Profiles (per-field privacy, time zone, digest choice) and muted members."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

# --- Profiles, privacy, email preferences ------------------------------------------------------


class FieldVisibility(models.TextChoices):
    MEMBERS = "members", "Members of my communities"
    NOBODY = "nobody", "Nobody"


class DigestFrequency(models.TextChoices):
    OFF = "off", "Off"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Profile(models.Model):
    """What a person tells others about themselves, who may see it, and how we email them.

    One row per user, created with the user (``members.signals``) and lazily by
    ``services_profile.profile_for`` for rows made without the signal (bulk loads).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    # A 256x256 PNG made by services_profile.profile_set_avatar (never the uploaded file itself).
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    bio = models.TextField(blank=True, max_length=1000)  # plain text, escaped on display
    links = models.JSONField(default=list, blank=True)  # up to 4 http(s) URLs
    language = models.CharField(max_length=12, default="en")

    # Who sees each field (the person always sees their own).
    avatar_visibility = models.CharField(
        max_length=8, choices=FieldVisibility.choices, default=FieldVisibility.MEMBERS
    )
    bio_visibility = models.CharField(
        max_length=8, choices=FieldVisibility.choices, default=FieldVisibility.MEMBERS
    )
    links_visibility = models.CharField(
        max_length=8, choices=FieldVisibility.choices, default=FieldVisibility.MEMBERS
    )
    time_zone_visibility = models.CharField(
        max_length=8, choices=FieldVisibility.choices, default=FieldVisibility.NOBODY
    )
    # "Nobody" hides the online / last-seen status everywhere.
    last_seen_visibility = models.CharField(
        max_length=8, choices=FieldVisibility.choices, default=FieldVisibility.MEMBERS
    )
    # Read by the community export: an owner's member export includes this person's email only
    # when they opted in here. Default off.
    share_email_in_exports = models.BooleanField(default=False)

    # Updated at most every few minutes by members.middleware.LastSeenMiddleware.
    last_seen_at = models.DateTimeField(null=True, blank=True)

    # Digest emails, sent at ``digest_hour`` in the user's own time zone (User.time_zone).
    digest_frequency = models.CharField(
        max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY
    )
    digest_hour = models.PositiveSmallIntegerField(default=8, validators=[MaxValueValidator(23)])
    digest_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    digest_skip_if_active = models.BooleanField(
        default=False, help_text="Skip the digest when I have visited since the last one."
    )

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class MutedMember(models.Model):
    """``user`` does not want to see ``muted_user``'s posts nor hear about their mentions/replies."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes")
    muted_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "muted_user"], name="mutedmember_unique"),
            models.CheckConstraint(
                condition=~models.Q(user=models.F("muted_user")), name="mutedmember_not_self"
            ),
        ]
