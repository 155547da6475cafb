"""Writes of polls: create, vote (or change one's vote), close. Each runs in one transaction.

Callers check access first (``members.access.poll_for_voter`` and friends); the services check
the rules that hold whoever calls them (closed polls, locked threads, muted members, limits).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from communities.discussions.models import Thread
from communities.polls.models import Poll, PollBallot, PollChoice, PollVote, ResultsShown
from members.models import STAFF_ROLES, Membership
from moderation import ratelimit
from moderation.audit import audit
from moderation.hooks import moderation_check_react
from moderation.models import AuditAction

MAX_QUESTION_CHARS = 200
MAX_CHOICE_CHARS = 100
MIN_CHOICES = 2
MAX_CHOICES = 20
MAX_POLLS_PER_THREAD = 5
# Votes (and changes of vote) per member: generous for people, a wall for scripts.
VOTE_LIMIT = ratelimit.Limit("poll-vote", 20, 60)


def _clean_question(question: str) -> str:
    question = " ".join((question or "").split())
    if not question:
        raise ValidationError("Ask a question.")
    if len(question) > MAX_QUESTION_CHARS:
        raise ValidationError(
            f"Questions are limited to {MAX_QUESTION_CHARS} characters (this one has {len(question)})."
        )
    return question


def clean_choices(choices: list[str]) -> list[str]:
    """Trim the options, drop empty lines; refuse too few, too many, too long or repeated ones."""
    cleaned = [" ".join((c or "").split()) for c in choices]
    cleaned = [c for c in cleaned if c]
    if len(cleaned) < MIN_CHOICES:
        raise ValidationError(f"Give at least {MIN_CHOICES} options, one per line.")
    if len(cleaned) > MAX_CHOICES:
        raise ValidationError(f"A poll can have at most {MAX_CHOICES} options (this one has {len(cleaned)}).")
    for c in cleaned:
        if len(c) > MAX_CHOICE_CHARS:
            raise ValidationError(
                f"Options are limited to {MAX_CHOICE_CHARS} characters: “{c[:40]}…” is longer."
            )
    seen: set[str] = set()
    for c in cleaned:
        if c.casefold() in seen:
            raise ValidationError(f"“{c}” is listed twice: each option must be different.")
        seen.add(c.casefold())
    return cleaned


@transaction.atomic
def poll_create(
    *,
    author: Membership,
    thread: Thread,
    question: str,
    choices: list[str],
    multiple: bool = False,
    anonymous: bool = False,
    results: str = ResultsShown.ON_VOTE,
    closes_at: datetime | None = None,
    at: datetime | None = None,
) -> Poll:
    """Add a poll to a thread. Callers check that ``author`` may (``access.thread_for_poll_author``)."""
    now = at or timezone.now()
    question = _clean_question(question)
    labels = clean_choices(choices)
    if results not in ResultsShown.values:
        raise ValidationError("Choose when the results are shown.")
    if closes_at is not None and closes_at <= now:
        raise ValidationError("The closing time is in the past: choose a later time, or leave it empty.")
    # Lock the thread: two polls added at once must both see the per-thread cap.
    locked = Thread.objects.select_for_update().only("pk", "locked").get(pk=thread.pk)
    if Poll.objects.filter(thread_id=thread.pk).count() >= MAX_POLLS_PER_THREAD:
        raise ValidationError(f"A thread can hold at most {MAX_POLLS_PER_THREAD} polls.")
    if locked.locked and author.role not in STAFF_ROLES:
        raise ValidationError("This thread is locked: no new polls.")
    poll = Poll.objects.create(
        thread_id=thread.pk,
        community_id=thread.community_id,
        author_id=author.user_id,
        question=question,
        multiple=bool(multiple),
        anonymous=bool(anonymous),
        results=results,
        created_at=now,
        closes_at=closes_at,
    )
    PollChoice.objects.bulk_create(
        [PollChoice(poll=poll, label=label, position=i) for i, label in enumerate(labels)]
    )
    return poll


def poll_vote(
    *, voter: Membership, poll: Poll, choice_ids: list[int], at: datetime | None = None
) -> PollBallot:
    """Cast ``voter``'s ballot, or change it, until the poll closes.

    One ballot per member: the poll's row is locked for the length of the transaction, so
    concurrent votes of one member (a double click, twenty tabs) run one after the other and
    each later one sees the ballot the first created; the unique constraint on (poll, user) is
    the last line should anything slip past the lock. Counts change by the difference between
    the old and the new choices. Muted members can't vote; votes are rate-limited per member.
    """
    moderation_check_react(voter)
    wanted = {int(c) for c in choice_ids}
    if not wanted:
        raise ValidationError("Choose an option before voting.")
    ratelimit.hit(VOTE_LIMIT, f"{voter.user_id}", message="You're voting very fast. Try again {when}.")
    now = at or timezone.now()
    with transaction.atomic():
        poll = Poll.objects.select_for_update().get(pk=poll.pk)
        if poll.is_closed(now):
            raise ValidationError("This poll is closed.")
        if Thread.objects.filter(pk=poll.thread_id, locked=True).exists():
            raise ValidationError("This thread is locked: its polls are closed for voting.")
        valid = set(PollChoice.objects.filter(poll=poll).values_list("pk", flat=True))
        if not wanted <= valid:
            raise ValidationError("Choose one of the poll's options.")
        if not poll.multiple and len(wanted) != 1:
            raise ValidationError("This poll takes one choice.")
        ballot = PollBallot.objects.filter(poll=poll, user_id=voter.user_id).first()
        if ballot is None:
            try:
                with transaction.atomic():
                    ballot = PollBallot.objects.create(
                        poll=poll, user_id=voter.user_id, created_at=now, updated_at=now
                    )
            except IntegrityError:  # only without the row lock (SQLite never gets here)
                ballot = PollBallot.objects.get(poll=poll, user_id=voter.user_id)
                current = set(ballot.votes.values_list("choice_id", flat=True))
            else:
                current = set()
                Poll.objects.filter(pk=poll.pk).update(voter_count=F("voter_count") + 1)
        else:
            current = set(PollVote.objects.filter(ballot=ballot).values_list("choice_id", flat=True))
        added, removed = wanted - current, current - wanted
        if not added and not removed:
            return ballot
        if removed:
            PollVote.objects.filter(ballot=ballot, choice_id__in=removed).delete()
            PollChoice.objects.filter(pk__in=removed).update(vote_count=F("vote_count") - 1)
        if added:
            PollVote.objects.bulk_create([PollVote(ballot=ballot, choice_id=c) for c in sorted(added)])
            PollChoice.objects.filter(pk__in=added).update(vote_count=F("vote_count") + 1)
        if current:
            PollBallot.objects.filter(pk=ballot.pk).update(updated_at=now)
        return ballot


@transaction.atomic
def poll_close(*, actor: Membership, poll: Poll, at: datetime | None = None) -> Poll:
    """Close the poll now. A moderator closing someone else's poll is written to the audit log."""
    now = at or timezone.now()
    poll = Poll.objects.select_for_update().get(pk=poll.pk)
    if poll.is_closed(now):
        return poll
    poll.closes_at = now
    poll.save(update_fields=["closes_at"])
    if poll.author_id != actor.user_id:
        audit(
            community_id=poll.community_id,
            actor=actor.user,
            action=AuditAction.POLL_CLOSED,
            target_thread_id=poll.thread_id,
            target_user_id=poll.author_id,
            data={"poll": poll.pk, "question": poll.question},
        )
    return poll
