"""Highlights: posts a moderator featured, shown on the community's Highlights page and marked
"featured" in their thread."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Highlight(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    post = models.OneToOneField("communities.Post", on_delete=models.CASCADE, related_name="highlight")
    featured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    featured_at = models.DateTimeField(default=timezone.now)
    # Why it is featured, shown with it on the Highlights page (plain text, escaped).
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-featured_at", "-id"]
        indexes = [models.Index(fields=["community", "-featured_at"])]
