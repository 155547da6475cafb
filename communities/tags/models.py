"""Tags: a community's list of labels for threads (owner-managed; members may add new ones when
the community allows it), and which threads carry which tag."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Tag(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=30)
    slug = models.SlugField(max_length=40)
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["community", "slug"], name="tag_slug_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The community's thread list filtered by this tag (needs ``community`` loaded or cached)."""
        return reverse("community-home", args=[self.community.slug]) + f"?tag={self.slug}"


class ThreadTag(models.Model):
    thread = models.ForeignKey("communities.Thread", on_delete=models.CASCADE, related_name="thread_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="thread_tags")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "tag"], name="threadtag_unique")]
        indexes = [models.Index(fields=["tag", "thread"])]
