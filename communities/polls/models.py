"""Polls inside a thread: choices, and one ballot per member.

A poll belongs to a thread (an event's discussion thread included, which is how a poll sits
"inside an event"). Each member has at most one ``PollBallot`` per poll — a unique constraint,
so the database itself refuses a second one whatever the concurrency — and the ballot's
``PollVote`` rows say which choices it holds. Changing one's vote rewrites the ballot's votes.

Counts are kept on the rows (``Poll.voter_count``, ``PollChoice.vote_count``), updated in the
same transaction as the ballot under the poll's row lock, so a thread page reads results without
counting ballots, and so an anonymous poll can travel in an archive as counts alone.

Anonymous polls: the ballot still records its member (that is how one vote per member and
changing a vote work), but no page, export, archive or API ever reads who cast an anonymous
ballot or what a given person chose, except the person themselves. The trade-off is written
down in ``docs/polls.md``: site operators with direct database access could still join the
tables; moderators and owners, who only see what the application shows, cannot.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class ResultsShown(models.TextChoices):
    ON_VOTE = "on_vote", "After voting (and to everyone once it closes)"
    ON_CLOSE = "on_close", "Only once the poll closes"


class Poll(models.Model):
    thread = models.ForeignKey("communities.Thread", on_delete=models.CASCADE, related_name="polls")
    # The thread's community, kept on the row so every scope (archive, metrics, access) is one filter.
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    question = models.CharField(max_length=200)
    multiple = models.BooleanField(default=False)
    anonymous = models.BooleanField(default=False)
    results = models.CharField(max_length=10, choices=ResultsShown.choices, default=ResultsShown.ON_VOTE)
    created_at = models.DateTimeField(default=timezone.now)
    # No close time: open until its author or a moderator closes it (which sets closes_at to now).
    closes_at = models.DateTimeField(null=True, blank=True)
    # Ballots cast (one per member). Maintained by the services under the poll's row lock.
    voter_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "created_at"])]

    def __str__(self) -> str:
        return self.question

    def is_closed(self, now: datetime | None = None) -> bool:
        return self.closes_at is not None and self.closes_at <= (now or timezone.now())


class PollChoice(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="choices")
    label = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    # Ballots holding this choice. Maintained by the services under the poll's row lock.
    vote_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "position"], name="pollchoice_position_unique")
        ]

    def __str__(self) -> str:
        return self.label


class PollBallot(models.Model):
    """One member's ballot in one poll: the database allows exactly one per (poll, user)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="ballots")
    # Accounts are anonymised rather than deleted; SET_NULL only guards against a hard delete
    # by a site operator (the ballot keeps counting, as posts of deleted members do).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)  # first cast (the metrics read this)
    updated_at = models.DateTimeField(default=timezone.now)  # last change

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "user"], name="pollballot_one_per_member")]
        indexes = [models.Index(fields=["created_at"])]


class PollVote(models.Model):
    """A choice held by a ballot (one row per chosen option)."""

    ballot = models.ForeignKey(PollBallot, on_delete=models.CASCADE, related_name="votes")
    choice = models.ForeignKey(PollChoice, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ballot", "choice"], name="pollvote_unique")]
