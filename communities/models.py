"""Communities, their spaces, and the conversations inside them."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (use a name like Europe/Berlin).")


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public — anyone can read"
    LISTED = "listed", "Listed — name and purpose in the directory, content for members"
    SECRET = "secret", "Secret — invisible except to members and invitees"


class JoinPolicy(models.TextChoices):
    OPEN = "open", "Open — anyone can join with one click"
    APPROVAL = "approval", "Approval — people apply and a moderator approves"
    INVITE_ONLY = "invite_only", "Invite only"


class Community(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=50, unique=True)
    purpose = models.CharField(max_length=200, help_text="One sentence, pinned at the top of every page.")
    guidelines_md = models.TextField(blank=True)
    guidelines_html = models.TextField(blank=True, editable=False)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.LISTED)
    join_policy = models.CharField(max_length=12, choices=JoinPolicy.choices, default=JoinPolicy.APPROVAL)
    # Up to five questions asked of applicants (list of strings).
    screening_questions = models.JSONField(default=list, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="communities_created"
    )
    created_at = models.DateTimeField(default=timezone.now)

    # Owner settings.
    allow_member_invites = models.BooleanField(default=True)
    moderators_see_dashboard = models.BooleanField(default=False)
    rejoin_cooldown_days = models.PositiveSmallIntegerField(default=7, validators=[MaxValueValidator(365)])
    flag_threshold = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    hold_first_posts = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(20)])
    transparency_log_enabled = models.BooleanField(default=False)
    transparency_show_moderator = models.BooleanField(default=False)
    welcome_message_md = models.TextField(blank=True)
    welcome_message_html = models.TextField(blank=True, editable=False)
    # Tags: members may add new tags while tagging their threads (otherwise only owners add tags).
    members_may_add_tags = models.BooleanField(default=False)
    # "Needs a reply": threads nobody but their author answered after this many hours.
    needs_reply_hours = models.PositiveSmallIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(720)]
    )

    class Meta:
        verbose_name_plural = "communities"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("community-home", args=[self.slug])

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def is_secret(self) -> bool:
        return self.visibility == Visibility.SECRET


class Space(models.Model):
    """A topic channel inside a community, optionally limited to a minimum role."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="spaces")
    name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=60)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    # "" = every member; otherwise a role from members.models.Role (members below it get 404).
    min_role = models.CharField(max_length=16, blank=True, default="")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["community", "slug"], name="space_slug_unique")]

    def __str__(self) -> str:
        return f"{self.community.slug}/{self.name}"


# Each room keeps its models in its own package; importing them here registers them with this app
# (app label "communities", so tables and migrations are unchanged).
from communities.discussions import models as _discussions_models  # noqa: E402, F401
from communities.events import models as _events_models  # noqa: E402, F401
from communities.highlights import models as _highlights_models  # noqa: E402, F401
from communities.integrations import models as _integrations_models  # noqa: E402, F401
from communities.onboarding import models as _onboarding_models  # noqa: E402, F401
from communities.polls import models as _polls_models  # noqa: E402, F401
from communities.portability import models as _portability_models  # noqa: E402, F401
from communities.rituals import models as _rituals_models  # noqa: E402, F401
from communities.tags import models as _tags_models  # noqa: E402, F401
