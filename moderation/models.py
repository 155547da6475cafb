"""Flags, sanctions, word filters and the audit log of every moderator action."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class FlagReason(models.TextChoices):
    SPAM = "spam", "Spam"
    HARASSMENT = "harassment", "Harassment"
    OFF_TOPIC = "off_topic", "Off-topic"
    INAPPROPRIATE = "inappropriate", "Inappropriate"
    OTHER = "other", "Other"


class Flag(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey("communities.Post", on_delete=models.CASCADE, related_name="flags")
    flagger = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=16, choices=FlagReason.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=16, blank=True)  # kept / hidden / deleted

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "flagger"], name="flag_once_per_post")]
        indexes = [models.Index(fields=["community", "resolved_at", "created_at"])]


class SanctionKind(models.TextChoices):
    WARN = "warn", "Warning"
    MUTE = "mute", "Mute"
    BAN = "ban", "Ban"


class Sanction(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sanctions")
    kind = models.CharField(max_length=8, choices=SanctionKind.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["community", "user", "kind"])]


class WordFilterAction(models.TextChoices):
    HOLD = "hold", "Hold for review"
    BLOCK = "block", "Block with a message"


class WordFilter(models.Model):
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="word_filters"
    )
    phrase = models.CharField(max_length=100)
    action = models.CharField(max_length=8, choices=WordFilterAction.choices, default=WordFilterAction.HOLD)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "phrase"], name="wordfilter_unique")]


class AuditAction(models.TextChoices):
    JOIN_APPROVED = "join_approved", "Approved a join request"
    JOIN_REJECTED = "join_rejected", "Rejected a join request"
    POST_HIDDEN = "post_hidden", "Hid a post"
    POST_RESTORED = "post_restored", "Restored a post"
    POST_DELETED = "post_deleted", "Deleted a post"
    POST_APPROVED = "post_approved", "Approved a held post"
    POST_REJECTED = "post_rejected", "Rejected a held post"
    FLAGS_DISMISSED = "flags_dismissed", "Dismissed flags"
    WARNED = "warned", "Warned a member"
    MUTED = "muted", "Muted a member"
    UNMUTED = "unmuted", "Unmuted a member"
    BANNED = "banned", "Banned a member"
    UNBANNED = "unbanned", "Unbanned a member"
    ROLE_CHANGED = "role_changed", "Changed a role"
    THREAD_PINNED = "thread_pinned", "Pinned a thread"
    THREAD_UNPINNED = "thread_unpinned", "Unpinned a thread"
    THREAD_LOCKED = "thread_locked", "Locked a thread"
    THREAD_UNLOCKED = "thread_unlocked", "Unlocked a thread"
    THREAD_MOVED = "thread_moved", "Moved a thread"
    SETTINGS_CHANGED = "settings_changed", "Changed community settings"
    INVITE_REVOKED = "invite_revoked", "Revoked an invite"
    POST_FEATURED = "post_featured", "Featured a post"
    POST_UNFEATURED = "post_unfeatured", "Unfeatured a post"
    POLL_CLOSED = "poll_closed", "Closed a poll"
    THREAD_RETAGGED = "thread_retagged", "Changed a thread's tags"
    MESSAGE_REPORT_RESOLVED = "msg_report_resolved", "Handled a reported private message"


# Actions shown in the members' transparency log (enforcement, not housekeeping).
ENFORCEMENT_ACTIONS = frozenset(
    {
        AuditAction.POST_HIDDEN,
        AuditAction.POST_DELETED,
        AuditAction.POST_REJECTED,
        AuditAction.WARNED,
        AuditAction.MUTED,
        AuditAction.BANNED,
        AuditAction.UNBANNED,
        AuditAction.UNMUTED,
    }
)


class AuditLogEntry(models.Model):
    """Who did what, to whom, when and why. Written in the same transaction as the action."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_post = models.ForeignKey(
        "communities.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_thread = models.ForeignKey(
        "communities.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "-created_at"])]


class CommunityLimits(models.Model):
    """Owner-adjustable posting limits of one community (defaults from docs/access.md, "Limits").

    A community without a row uses the defaults (see ``moderation.selectors.community_limits``).
    """

    community = models.OneToOneField(
        "communities.Community", on_delete=models.CASCADE, related_name="moderation_limits"
    )
    post_interval_seconds = models.PositiveIntegerField(default=5)
    thread_interval_seconds = models.PositiveIntegerField(default=15)
    new_member_post_interval_seconds = models.PositiveIntegerField(default=30)
    new_member_thread_interval_seconds = models.PositiveIntegerField(default=120)
    threads_per_day = models.PositiveIntegerField(default=20)
    threads_first_day = models.PositiveIntegerField(default=3)
    # Members count as new for this many days after joining.
    new_member_days = models.PositiveSmallIntegerField(default=3)
