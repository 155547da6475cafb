"""Private messages: conversations between people who share a community, blocks, reports.

A conversation is started "in the context of" one community that all its participants share:
that community's switches, word filter and sanctions apply to it, and its moderators receive
reports about it. Moderator notes are conversations of kind ``modnote``: the member is the only
participant and every moderator of the community reads and answers them (a shared staff inbox).

Messages are private but not end-to-end encrypted: the site operator can read the database.
"""

from __future__ import annotations

import html

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from moderation.models import FlagReason


class WhoMayMessage(models.TextChoices):
    EVERYONE = "everyone", "Everyone who shares a community with me"
    REPLIED = "replied", "Only people I have replied to, and moderators"
    NOBODY = "nobody", "Nobody (moderators can still send moderator notes)"


class MessagingPreference(models.Model):
    """One person's messaging settings. Every send locks the sender's row, so the daily cap and
    the identical-message check count exactly even when requests race."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messaging")
    who_may_message = models.CharField(
        max_length=8, choices=WhoMayMessage.choices, default=WhoMayMessage.EVERYONE
    )

    class Meta:
        app_label = "members"

    def __str__(self) -> str:
        return f"messaging settings of {self.user_id}"


DEFAULT_WELCOME_TEMPLATE = (
    "Hi {name}, welcome to {community}! I'm one of the welcomers here. "
    "If you have a question about how things work, just reply to this message."
)


class CommunityMessaging(models.Model):
    """An owner's messaging settings for one community (a community without a row uses the
    defaults of an unsaved instance)."""

    community = models.OneToOneField(
        "communities.Community", on_delete=models.CASCADE, related_name="messaging"
    )
    members_may_message = models.BooleanField(
        default=True, help_text="Off: only conversations with a moderator or owner in them."
    )
    welcome_template_md = models.TextField(
        blank=True,
        max_length=2000,
        help_text="Prefilled when a welcomer greets a newcomer. {name} and {community} are replaced.",
    )
    newcomer_days = models.PositiveSmallIntegerField(
        default=3, help_text="In their first days, members can only start conversations with staff."
    )
    newcomer_daily_cap = models.PositiveSmallIntegerField(
        default=5, help_text="New conversations a day during a member's first 30 days."
    )
    daily_cap = models.PositiveSmallIntegerField(default=20, help_text="New conversations a day after that.")

    class Meta:
        app_label = "members"

    @property
    def welcome_template(self) -> str:
        return self.welcome_template_md or DEFAULT_WELCOME_TEMPLATE


class ConversationKind(models.TextChoices):
    DIRECT = "direct", "One-to-one"
    GROUP = "group", "Group"
    MODNOTE = "modnote", "Moderator note"


class Conversation(models.Model):
    kind = models.CharField(max_length=8, choices=ConversationKind.choices, default=ConversationKind.DIRECT)
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "members"
        indexes = [
            models.Index(fields=["created_by", "created_at"]),
            models.Index(fields=["community", "kind", "-last_message_at"]),
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("messages-conversation", args=[self.pk])

    @property
    def is_modnote(self) -> bool:
        return self.kind == ConversationKind.MODNOTE


class Participant(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_participations"
    )
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    last_read_at = models.DateTimeField(null=True, blank=True)
    muted = models.BooleanField(default=False)

    class Meta:
        app_label = "members"
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="participant_once_per_conversation")
        ]
        indexes = [models.Index(fields=["user", "left_at"])]


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A moderator note: shown to the member as coming from the community's moderators.
    as_moderators = models.BooleanField(default=False)
    body_md = models.TextField()
    body_html = models.TextField()
    # Of the normalised text: the "identical message to many people" check.
    digest = models.CharField(max_length=32, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "members"
        indexes = [
            models.Index(fields=["conversation", "created_at"]),
            models.Index(fields=["sender", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"message {self.pk}"

    @property
    def plain_text(self) -> str:
        """The text without markup (escaped again wherever it is shown)."""
        return " ".join(html.unescape(strip_tags(self.body_html)).split())


class Block(models.Model):
    """``user`` blocked ``blocked_user``: no new messages from them, and theirs are hidden."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks")
    blocked_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "members"
        constraints = [
            models.UniqueConstraint(fields=["user", "blocked_user"], name="block_unique"),
            models.CheckConstraint(condition=~models.Q(user=models.F("blocked_user")), name="block_not_self"),
        ]


class MessageReport(models.Model):
    """A participant reported a message to the moderators of a community both share. The
    moderators see copies of the reported message and of the messages the reporter chose to
    include (``ReportedMessage``), never the conversation itself."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, null=True, on_delete=models.SET_NULL, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=16, choices=FlagReason.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=16, blank=True)  # dismissed / warn / mute / ban

    class Meta:
        app_label = "members"
        constraints = [
            models.UniqueConstraint(fields=["reporter", "message"], name="messagereport_once_per_message")
        ]
        indexes = [models.Index(fields=["community", "resolved_at", "created_at"])]


class ReportedMessage(models.Model):
    """A copy of one message as it was when reported (edits or deletion later don't change it)."""

    report = models.ForeignKey(MessageReport, on_delete=models.CASCADE, related_name="items")
    message = models.ForeignKey(Message, null=True, on_delete=models.SET_NULL, related_name="+")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body_html = models.TextField()
    sent_at = models.DateTimeField()
    is_reported = models.BooleanField(default=False)

    class Meta:
        app_label = "members"
        ordering = ["sent_at", "pk"]
