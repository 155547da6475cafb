"""Export and import jobs with their status and progress."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class JobStatus(models.TextChoices):
    PENDING = "pending", "Waiting to start"
    RUNNING = "running", "In progress"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class CommunityExport(models.Model):
    """One archive of a community requested by an owner; the file lives under HEARTH_EXPORT_DIR."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="exports")
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
        "communities.Community", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
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
