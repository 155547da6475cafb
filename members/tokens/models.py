"""Personal access tokens for the REST API, and the record of idempotent API writes.

A token's secret is shown once, at creation; only its SHA-256 digest is stored. A slow password
hash (PBKDF2, argon2) protects *low-entropy* secrets against guessing; these secrets are 256 random
bits (``secrets.token_urlsafe(32)``), so guessing a secret from its digest is as hopeless as
guessing it outright, and a plain digest lets every request find its token with one indexed
lookup (an equality match on the digest, which leaks nothing about the secret through timing).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class TokenScope(models.TextChoices):
    READ = "read", "Read — communities, threads, posts, members, notifications, your profile"
    WRITE = "write", "Write — start threads, reply, edit your posts, react, follow or mute threads"
    MODERATE = "moderate", "Moderate — the review queue of communities you moderate"
    METRICS = "metrics", "Metrics — health snapshots of communities whose dashboard you see"


class ApiToken(models.Model):
    """A personal access token: the person's own rights, narrowed by scopes and optionally to
    one community, until it expires or is revoked."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    # The first characters of the secret (never enough to use it), so people can tell tokens apart.
    prefix = models.CharField(max_length=24)
    digest = models.CharField(max_length=64, unique=True)  # sha256 hex of the whole secret
    scopes = models.JSONField(default=list)
    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "members"
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, at: datetime | None = None) -> bool:
        now = at or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"


class IdempotentRequest(models.Model):
    """The first answer to an API write sent with an ``Idempotency-Key`` header: a repeat of the
    same key by the same person on the same endpoint gets this answer again instead of acting
    twice. Kept for a day (``members.tokens.tasks.prune_idempotent_requests``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    endpoint = models.CharField(max_length=300)  # "POST /api/v1/…", the path as requested
    fingerprint = models.CharField(max_length=64)  # sha256 of the request body
    status_code = models.PositiveSmallIntegerField()
    body = models.TextField(blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        app_label = "members"
        constraints = [
            models.UniqueConstraint(fields=["user", "key", "endpoint"], name="idempotent_request_once"),
        ]
