"""The stored one-time submission keys (app label "members")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class SubmissionKey(models.Model):
    """A create form's one-time key, stored in the transaction of the first submission.

    Unique per (person, key): a second submission of the same form (a double click, a resent
    POST, four parallel requests) cannot insert it again, and finds ``object_id`` of what the
    first one made. Old rows are deleted by the stuck-work sweep after KEEP_DAYS.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    scope = models.CharField(max_length=40)  # what the form creates: "reply", "thread", "invite" ...
    object_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="submissionkey_unique_per_user")]
        indexes = [models.Index(fields=["created_at"], name="submissionkey_created_idx")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key[:8]}…"
