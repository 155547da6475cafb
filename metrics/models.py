"""Metrics tables: the visit log, the derived day tables and the daily snapshots.

Nothing outside ``metrics`` reads or writes these; metrics reads the other apps' tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

# Every daily key of docs/metrics.md §3–§7, in display/export order.
ENGAGEMENT_KEYS = ("dau", "wau", "mau", "stickiness", "stickiness_avg_30d", "members", "regular_members")
CONTENT_KEYS = ("posts_30d", "member_posts_30d", "posts_per_active_member_30d", "member_content_share_30d")
THREAD_KEYS = ("threads_eligible", "replies_per_thread", "no_reply_share", "ttfr_median_hours")
GROWTH_KEYS = (
    "new_members_30d",
    "referred_joins_30d",
    "referral_rate_30d",
    "invites_sent_30d",
    "invites_per_member_30d",
    "invite_conversion_30d",
    "k_factor_30d",
)
RETENTION_KEYS = (
    "retention_30",
    "retention_30_eligible",
    "retention_60",
    "retention_60_eligible",
    "retention_90",
    "retention_90_eligible",
)
# Events (issue 15): appended after the older keys so existing exports keep their columns in place.
EVENT_KEYS = ("events_held_30d", "event_rsvps_30d", "event_attendance_rate_30d")
POLL_KEYS = ("poll_voters_30d", "poll_participation_30d")
METRIC_KEYS = (
    ENGAGEMENT_KEYS + CONTENT_KEYS + THREAD_KEYS + GROWTH_KEYS + RETENTION_KEYS + EVENT_KEYS + POLL_KEYS
)
RATIO_KEYS = frozenset(
    {
        "stickiness",
        "stickiness_avg_30d",
        "posts_per_active_member_30d",
        "member_content_share_30d",
        "replies_per_thread",
        "no_reply_share",
        "ttfr_median_hours",
        "referral_rate_30d",
        "invites_per_member_30d",
        "invite_conversion_30d",
        "k_factor_30d",
        "retention_30",
        "retention_60",
        "retention_90",
        "event_attendance_rate_30d",
        "poll_participation_30d",
    }
)
RETENTION_DAYS = (30, 60, 90)


class Visit(models.Model):
    """A member viewed a community page on a local day (at most one row per member per day)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()  # local date in the community's time zone at the time of the visit
    at = models.DateTimeField(default=timezone.now)  # first visit of that day

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "day", "user"], name="visit_one_per_day"),
        ]


class ActiveDay(models.Model):
    """Derived: person ``user`` was active (docs/metrics.md §2) in the community on local date ``day``.

    ``day`` is the proleptic ordinal (``date.toordinal()``) so that windows such as
    "J+30 … J+36" are plain integer arithmetic on both PostgreSQL and SQLite.
    Rewritten for a day whenever that day is computed.

    The largest derived table (one row per active person per day), written in bulk by backfills,
    so it carries only the indexes its readers need: (community, day, user) for windows of days
    and (user, community, day) for one person's days, which also serves the user foreign key.
    No database-level foreign key constraints (Django still cascades deletions): checking two
    constraints per row at commit doubled the cost of writing a year.
    """

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    day = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "day", "user"], name="activeday_unique"),
        ]
        indexes = [models.Index(fields=["user", "community", "day"], name="activeday_person_day")]


class MemberPeriod(models.Model):
    """Derived: one membership period [start, end) of a person, from the MembershipEvent history.

    Rebuilt whenever a range of days is computed; a real table (with an index and statistics)
    makes "was a member at the time" a cheap lookup in every metric query.
    """

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["community", "user", "start"], name="memberperiod_lookup")]


class Entrant(models.Model):
    """Derived: a new member (first-ever join, member role, person) and their join date ordinal."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.IntegerField()  # ordinal of J, the local date of the first join
    referred = models.BooleanField(default=False)
    # Who created the invite, for "top inviters" (only when referred).
    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "user"], name="entrant_unique")]
        indexes = [models.Index(fields=["community", "day"], name="entrant_day")]


class DailySnapshot(models.Model):
    """Every key of docs/metrics.md for one community and one local day. Ratios are null when undefined."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    time_zone = models.CharField(max_length=64)
    computed_at = models.DateTimeField(default=timezone.now)

    dau = models.IntegerField(default=0)
    wau = models.IntegerField(default=0)
    mau = models.IntegerField(default=0)
    stickiness = models.FloatField(null=True)
    stickiness_avg_30d = models.FloatField(null=True)
    members = models.IntegerField(default=0)
    regular_members = models.IntegerField(default=0)

    posts_30d = models.IntegerField(default=0)
    member_posts_30d = models.IntegerField(default=0)
    posts_per_active_member_30d = models.FloatField(null=True)
    member_content_share_30d = models.FloatField(null=True)

    threads_eligible = models.IntegerField(default=0)
    replies_per_thread = models.FloatField(null=True)
    no_reply_share = models.FloatField(null=True)
    ttfr_median_hours = models.FloatField(null=True)

    new_members_30d = models.IntegerField(default=0)
    referred_joins_30d = models.IntegerField(default=0)
    referral_rate_30d = models.FloatField(null=True)
    invites_sent_30d = models.IntegerField(default=0)
    invites_per_member_30d = models.FloatField(null=True)
    invite_conversion_30d = models.FloatField(null=True)
    k_factor_30d = models.FloatField(null=True)

    retention_30 = models.FloatField(null=True)
    retention_30_eligible = models.IntegerField(default=0)
    retention_60 = models.FloatField(null=True)
    retention_60_eligible = models.IntegerField(default=0)
    retention_90 = models.FloatField(null=True)
    retention_90_eligible = models.IntegerField(default=0)

    events_held_30d = models.IntegerField(default=0)
    event_rsvps_30d = models.IntegerField(default=0)
    event_attendance_rate_30d = models.FloatField(null=True)
    poll_voters_30d = models.IntegerField(default=0)
    poll_participation_30d = models.FloatField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "day"], name="dailysnapshot_unique")]
        ordering = ["day"]

    def values(self) -> dict[str, float | int | None]:
        return {key: getattr(self, key) for key in METRIC_KEYS}


class RetentionCohort(models.Model):
    """One row of the weekly retention cohort table, as of ``as_of`` (the latest computed day)."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()  # Monday of the local ISO week of J
    as_of = models.DateField()
    size = models.IntegerField(default=0)
    retained_30 = models.IntegerField(null=True)
    retention_30 = models.FloatField(null=True)
    retained_60 = models.IntegerField(null=True)
    retention_60 = models.FloatField(null=True)
    retained_90 = models.IntegerField(null=True)
    retention_90 = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "week_start"], name="retentioncohort_unique")
        ]
        ordering = ["week_start"]


class ContributorDay(models.Model):
    """Per person per day: posts written and referred joins brought in (top contributors/inviters).

    Derived and written in bulk like ActiveDay: no database-level foreign key constraints, and the
    community is served by the unique (community, day, user) index."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    day = models.DateField()
    posts = models.IntegerField(default=0)
    referred_joins = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "day", "user"], name="contributorday_unique")
        ]


class RitualSnapshot(models.Model):
    """Participation in one ritual thread (an occurrence), as of the latest computed day."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    thread = models.OneToOneField("communities.Thread", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    day = models.DateField()  # local date the ritual thread was posted
    replies = models.IntegerField(default=0)
    participants = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["community", "day"], name="ritualsnapshot_day")]
        ordering = ["day"]
