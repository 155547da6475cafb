"""Webhooks (with their delivery log) and personal feed tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

# Tries per delivery: the first and five retries with growing delays (about a day in all).
MAX_ATTEMPTS = 6


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)  # 256 random bits


def feed_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Webhook(models.Model):
    """An owner's subscription of a URL to some of a community's events."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="webhooks")
    url = models.CharField("Payload URL", max_length=500)
    description = models.CharField(max_length=100, blank=True)
    # Kept readable: it signs every delivery. Shown to the community's owners only.
    secret = models.CharField(max_length=80, default=new_webhook_secret)
    events = models.JSONField(default=list)  # event names (communities.integrations.events)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    # Deliveries in a row that failed every try; reset by any successful attempt.
    failed_deliveries = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["community", "is_active"])]

    def __str__(self) -> str:
        return self.url

    def get_absolute_url(self) -> str:
        return reverse("webhook-detail", args=[self.community.slug, self.pk])

    def wants(self, event: str) -> bool:
        return event in (self.events or [])


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Not sent (webhook off or deleted)"


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one webhook. The body is frozen when the delivery is
    made, so every retry sends the same bytes (signed afresh with the time of the attempt)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    event_id = models.CharField(max_length=40)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One delivery per event per webhook: a re-run dispatch job creates nothing twice.
            models.UniqueConstraint(fields=["webhook", "event_id"], name="webhook_delivery_event_unique"),
        ]
        indexes = [
            models.Index(fields=["webhook", "-created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    @property
    def is_finished(self) -> bool:
        return self.status in {DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED}


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: what came back and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField(default=timezone.now)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_unique"),
        ]

    @property
    def ok(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300


class FeedToken(models.Model):
    """A member's secret feed link for one community. Only a digest of the token is stored: the
    link is shown once, when it is made; revoking it (or leaving the community) ends it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_tokens")
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "community"],
                condition=Q(revoked_at__isnull=True),
                name="feed_token_one_live_per_member",
            ),
        ]
