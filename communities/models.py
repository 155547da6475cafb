"""Communities, their spaces, and the conversations inside them."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify


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


class ThreadKind(models.TextChoices):
    DISCUSSION = "discussion", "Discussion"
    RITUAL = "ritual", "Ritual"
    WELCOME = "welcome", "Welcome / introductions"


class Thread(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="threads")
    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="threads")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, blank=True)
    kind = models.CharField(max_length=12, choices=ThreadKind.choices, default=ThreadKind.DISCUSSION)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_post_at = models.DateTimeField(default=timezone.now)
    # Published, not removed replies (the opening post excluded). Maintained by services.
    reply_count = models.PositiveIntegerField(default=0)
    pinned = models.BooleanField(default=False)
    locked = models.BooleanField(default=False)
    # Set when the opening post is removed (the whole thread is removed with it).
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["community", "-pinned", "-last_post_at"]),
            models.Index(fields=["community", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.slug:
            self.slug = slugify(self.title)[:80] or "thread"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("thread-detail", args=[self.community.slug, self.pk, self.slug or "thread"])


class PostStatus(models.TextChoices):
    PUBLISHED = "published", "Published"
    HELD = "held", "Held for review"
    REJECTED = "rejected", "Rejected"


class Post(models.Model):
    """An opening post or a reply. Markdown source plus the sanitized HTML made when written."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="posts"
    )
    # Whether the author was staff (owner/moderator) when posting: the metrics' "role at the time".
    author_staff = models.BooleanField(default=False)
    is_opening = models.BooleanField(default=False)
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body_md = models.TextField()
    body_html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=PostStatus.choices, default=PostStatus.PUBLISHED)
    # When a held post was approved (equal to created_at for posts never held).
    published_at = models.DateTimeField(null=True, blank=True)
    # Current removal state; the history of removals and restores is in PostEvent.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by_moderator = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["thread", "created_at"]),
            models.Index(fields=["community", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"post {self.pk} in {self.thread_id}"

    @property
    def is_visible(self) -> bool:
        return self.status == PostStatus.PUBLISHED and self.removed_at is None


class PostEventKind(models.TextChoices):
    REMOVED = "removed", "Removed"
    RESTORED = "restored", "Restored"
    APPROVED = "approved", "Approved after review"
    REJECTED = "rejected", "Rejected after review"


class PostEvent(models.Model):
    """History of a post's visibility, so metrics can tell whether it was live at a past day."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=PostEventKind.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_moderator = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "id"]


class PostRevision(models.Model):
    """A previous version of a post, kept on every edit."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body_md = models.TextField()
    title = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]


class ReactionKind(models.TextChoices):
    THUMBS_UP = "thumbs_up", "👍"
    HEART = "heart", "❤️"
    TADA = "tada", "🎉"
    BULB = "bulb", "💡"
    LAUGH = "laugh", "😂"


class Reaction(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=ReactionKind.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user", "kind"], name="reaction_unique")]


class ThreadReadState(models.Model):
    """Per member per thread: the newest post they have seen."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_states")
    last_read_post_id = models.BigIntegerField(default=0)
    last_read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="readstate_unique")]


class SubscriptionLevel(models.TextChoices):
    FOLLOWING = "following", "Following"
    MUTED = "muted", "Muted"


class ThreadSubscription(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="subscriptions")
    level = models.CharField(
        max_length=10, choices=SubscriptionLevel.choices, default=SubscriptionLevel.FOLLOWING
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="subscription_unique")]


class JobStatus(models.TextChoices):
    PENDING = "pending", "Waiting to start"
    RUNNING = "running", "In progress"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class CommunityExport(models.Model):
    """One archive of a community requested by an owner; the file lives under HEARTH_EXPORT_DIR."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # 0-100
    # Relative to HEARTH_EXPORT_DIR (never a user-chosen name).
    file_name = models.CharField(max_length=200, blank=True)
    size = models.BigIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["community", "-created_at"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    @property
    def is_finished(self) -> bool:
        return self.status in {JobStatus.DONE, JobStatus.FAILED, JobStatus.EXPIRED}

    def is_expired(self, at: object = None) -> bool:
        now = at or timezone.now()
        return self.status == JobStatus.EXPIRED or (self.expires_at is not None and self.expires_at <= now)


class CommunityImport(models.Model):
    """An uploaded archive being validated and imported into a new community."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=80, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    file_name = models.CharField(max_length=200, blank=True)  # relative to HEARTH_IMPORT_DIR
    size = models.BigIntegerField(default=0)
    slug_wanted = models.SlugField(max_length=50, blank=True)
    # The problems found (list of strings) when the archive was refused.
    problems = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


# Rituals and onboarding live in their own module; imported here so Django registers them.
from communities.ritual_models import (  # noqa: E402, F401
    MemberOnboarding,
    OccurrenceStatus,
    Ritual,
    RitualKind,
    RitualOccurrence,
)
