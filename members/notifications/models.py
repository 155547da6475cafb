"""Notifications, email delivery preferences, email rows and digest runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    """An in-app notification; email delivery hangs off these rows."""

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply to a followed thread"
        MENTION = "mention", "Mention"
        QUOTE = "quote", "Quote"
        JOIN_APPROVED = "join_approved", "Join request approved"
        JOIN_REJECTED = "join_rejected", "Join request rejected"
        JOIN_REQUEST = "join_request", "New join request"
        NEW_MEMBER = "new_member", "New member"
        WELCOME = "welcome", "Welcome"
        MODERATION = "moderation", "Moderation notice"
        RITUAL = "ritual", "Ritual"
        EXPORT_READY = "export_ready", "Export ready"
        EVENT = "event", "Events: reminders and changes"
        FEATURED = "featured", "Your post was featured"
        MESSAGE = "message", "Private message"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    thread = models.ForeignKey(
        "communities.Thread", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    post = models.ForeignKey(
        "communities.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Plain text (escaped on display, never rendered as HTML).
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]


class EmailDelivery(models.TextChoices):
    IMMEDIATELY = "immediately", "Immediately"
    DIGEST = "digest", "In the digest"
    NEVER = "never", "Never"


# What each kind does for someone who never chose (the preferences page shows these).
DEFAULT_EMAIL_DELIVERY: dict[str, str] = {
    Notification.Kind.REPLY: EmailDelivery.IMMEDIATELY,
    Notification.Kind.MENTION: EmailDelivery.IMMEDIATELY,
    Notification.Kind.QUOTE: EmailDelivery.IMMEDIATELY,
    Notification.Kind.JOIN_APPROVED: EmailDelivery.IMMEDIATELY,
    Notification.Kind.JOIN_REJECTED: EmailDelivery.IMMEDIATELY,
    Notification.Kind.JOIN_REQUEST: EmailDelivery.DIGEST,
    Notification.Kind.NEW_MEMBER: EmailDelivery.DIGEST,
    Notification.Kind.WELCOME: EmailDelivery.NEVER,
    Notification.Kind.MODERATION: EmailDelivery.IMMEDIATELY,
    Notification.Kind.RITUAL: EmailDelivery.DIGEST,
    Notification.Kind.EXPORT_READY: EmailDelivery.IMMEDIATELY,
    Notification.Kind.EVENT: EmailDelivery.IMMEDIATELY,
    Notification.Kind.FEATURED: EmailDelivery.DIGEST,
    Notification.Kind.MESSAGE: EmailDelivery.IMMEDIATELY,
}


class NotificationPreference(models.Model):
    """A person's choice for one notification kind (absent: DEFAULT_EMAIL_DELIVERY)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)
    delivery = models.CharField(max_length=12, choices=EmailDelivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notificationpreference_user_kind_unique")
        ]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"  # claimed by a worker
    RETRYING = "retrying", "Waiting to retry"  # a transient failure; the task retries
    SENT = "sent", "Sent"
    DIGEST = "digest", "Waiting for the digest"
    IN_DIGEST = "in_digest", "Included in a digest"
    SKIPPED = "skipped", "Not sent"  # preference, access lost, undeliverable, muted
    FAILED = "failed", "Failed"  # a permanent failure


class NotificationEmail(models.Model):
    """Email delivery state of one notification. Unique per notification (= per recipient and
    event), claimed before sending, so a retried or duplicated task never sends twice."""

    notification = models.OneToOneField(Notification, on_delete=models.CASCADE, related_name="email")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    reason = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When a worker last claimed the row (pending/retrying -> sending) or the stuck-work sweep
    # last re-queued it: "sending" long after this means the worker died mid-send.
    claimed_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        "members.DigestRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )

    class Meta:
        indexes = [models.Index(fields=["recipient", "status"])]


class DigestStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Waiting to retry"
    SENT = "sent", "Sent"
    EMPTY = "empty", "Nothing to send"
    SKIPPED = "skipped", "Skipped"  # active since the last digest, or email undeliverable
    FAILED = "failed", "Failed"


class DigestRun(models.Model):
    """One digest per member per period (``period_key`` is ``D2026-11-21`` or ``W2026-47``),
    created (claimed) before anything is sent: a repeated or retried run never sends twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_runs")
    period_key = models.CharField(max_length=12)
    status = models.CharField(max_length=10, choices=DigestStatus.choices, default=DigestStatus.SENDING)
    created_at = models.DateTimeField(default=timezone.now)
    # The digest covers content created in (covered_from, covered_until].
    covered_from = models.DateTimeField()
    covered_until = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    thread_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)
    notification_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "period_key"], name="digestrun_user_period_unique")
        ]
        indexes = [models.Index(fields=["user", "-covered_until"])]
