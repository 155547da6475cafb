"""Per-member onboarding state (welcomed, greeted, checklist dismissed)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class MemberOnboarding(models.Model):
    """A member's first-30-days state in one community: welcome sent, guidelines read,
    checklist dismissed, greeted by a welcomer."""

    membership = models.OneToOneField(
        "members.Membership", on_delete=models.CASCADE, related_name="onboarding"
    )
    welcomed_at = models.DateTimeField(null=True, blank=True)
    guidelines_read_at = models.DateTimeField(null=True, blank=True)
    checklist_dismissed_at = models.DateTimeField(null=True, blank=True)
    greeted_at = models.DateTimeField(null=True, blank=True)
    greeted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
