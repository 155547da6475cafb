"""Threads, posts, their revisions and events, reactions, read state and follows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify


class ThreadKind(models.TextChoices):
    DISCUSSION = "discussion", "Discussion"
    RITUAL = "ritual", "Ritual"
    WELCOME = "welcome", "Welcome / introductions"
    EVENT = "event", "Event"


class Thread(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="threads")
    space = models.ForeignKey("communities.Space", on_delete=models.PROTECT, related_name="threads")
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
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
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
            # The review queue's held posts (counted in every staff page's menu): a partial index
            # of the few held posts, so the count never reads the community's other posts.
            models.Index(
                fields=["community", "created_at"],
                condition=models.Q(status="held", removed_at__isnull=True),
                name="post_held_by_community",
            ),
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


class RemovedReaction(models.Model):
    """A reaction that was taken back: when it was given and when it was taken back.

    Append-only (one row per take-back; reacting again makes a new ``Reaction``). Pages never
    read it; the metrics do, so that the day a reaction was given stays an active day for its
    author after it is taken back ("activity stands", docs/metrics.md §2).
    """

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=ReactionKind.choices)
    created_at = models.DateTimeField(db_index=True)  # when the reaction was given
    removed_at = models.DateTimeField(default=timezone.now)  # when it was taken back


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
