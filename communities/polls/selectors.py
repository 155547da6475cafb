"""Reads of polls, shaped for the thread page and the voters page.

The thread page asks for every poll of the thread with its choices and counts in one query,
and for the viewer's own choices in a second one (only when the thread has polls), whatever the
number of votes. Who voted for what is read in exactly one place, ``poll_voters``, and only for
named polls: nothing here returns a voter of an anonymous poll.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from communities.polls.models import Poll, PollBallot, PollChoice, PollVote, ResultsShown

VOTERS_PER_PAGE = 50


@dataclass
class ChoiceView:
    pk: int
    label: str
    votes: int
    mine: bool
    percent: int  # share of voters who picked it, rounded for display


@dataclass
class PollView:
    poll: Poll
    choices: list[ChoiceView] = field(default_factory=list)
    voted: bool = False
    closed: bool = False
    show_results: bool = False
    can_vote: bool = False
    can_close: bool = False

    @property
    def pk(self) -> int:
        return self.poll.pk

    @property
    def leading(self) -> int:
        return max((c.votes for c in self.choices), default=0)


def results_visible(poll: Poll, *, voted: bool, now: datetime | None = None) -> bool:
    """Results show to those who voted (polls set to "after voting") and to everyone once the
    poll is closed. Nobody else sees them early, staff included."""
    if poll.is_closed(now):
        return True
    return poll.results == ResultsShown.ON_VOTE and voted


def my_choices(*, user_id: int | None, poll_ids: list[int]) -> dict[int, set[int]]:
    """The viewer's own choices per poll (one query). Empty for anonymous visitors."""
    if user_id is None or not poll_ids:
        return {}
    mine: dict[int, set[int]] = {}
    rows = PollVote.objects.filter(ballot__poll_id__in=poll_ids, ballot__user_id=user_id).values_list(
        "ballot__poll_id", "choice_id"
    )
    for poll_id, choice_id in rows:
        mine.setdefault(poll_id, set()).add(choice_id)
    return mine


def _view(
    poll: Poll,
    choices: list[PollChoice],
    mine: set[int],
    *,
    is_member: bool,
    can_manage: bool,
    thread_locked: bool,
    now: datetime,
) -> PollView:
    voted = bool(mine)
    closed = poll.is_closed(now)
    view = PollView(
        poll=poll,
        voted=voted,
        closed=closed,
        show_results=results_visible(poll, voted=voted, now=now),
        can_vote=is_member and not closed and not thread_locked,
        can_close=can_manage and not closed,
    )
    voters = poll.voter_count or 0
    for c in choices:
        view.choices.append(
            ChoiceView(
                pk=c.pk,
                label=c.label,
                votes=c.vote_count,
                mine=c.pk in mine,
                percent=round(100 * c.vote_count / voters) if voters else 0,
            )
        )
    return view


def has_polls() -> Exists:
    """For a thread query: whether the thread has any poll (the page skips the polls query if not)."""
    return Exists(Poll.objects.filter(thread_id=OuterRef("pk")))


def thread_polls(
    *,
    thread_id: int,
    user_id: int | None,
    is_member: bool,
    manager_id: int | None = None,
    is_staff: bool = False,
    thread_locked: bool = False,
    poll_id: int | None = None,
) -> list[PollView]:
    """Every poll of the thread (or just ``poll_id``) as the viewer sees it: two queries at most.

    ``manager_id``: the viewer's user id, to tell which polls they may close (their own; staff
    any: pass ``is_staff``)."""
    qs = PollChoice.objects.filter(poll__thread_id=thread_id).select_related("poll")
    if poll_id is not None:
        qs = qs.filter(poll_id=poll_id)
    polls: dict[int, tuple[Poll, list[PollChoice]]] = {}
    for choice in qs.order_by("poll__created_at", "poll_id", "position", "id"):
        polls.setdefault(choice.poll_id, (choice.poll, []))[1].append(choice)
    if not polls:
        return []
    mine = my_choices(user_id=user_id, poll_ids=list(polls)) if is_member else {}
    now = timezone.now()
    return [
        _view(
            poll,
            choices,
            mine.get(pk, set()),
            is_member=is_member,
            can_manage=is_staff or (manager_id is not None and poll.author_id == manager_id),
            thread_locked=thread_locked,
            now=now,
        )
        for pk, (poll, choices) in polls.items()
    ]


def poll_voters(poll: Poll) -> QuerySet[PollBallot]:
    """Ballots of a *named* poll with their voters and choices, for the voters page (paginate it).

    Refuses anonymous polls outright: this is the only reader of who voted for what."""
    if poll.anonymous:
        raise ValueError("Anonymous polls never reveal their voters.")
    return (
        PollBallot.objects.filter(poll=poll)
        .select_related("user")
        .prefetch_related("votes")
        .order_by("created_at", "id")
    )


def poll_choice_labels(poll: Poll) -> dict[int, str]:
    return dict(PollChoice.objects.filter(poll=poll).values_list("pk", "label"))


def person_ballots(user_id: int) -> list[dict]:
    """Everything about one person's own ballots, for their personal data download: the poll, when
    they voted and changed it, and what they chose. Anonymous polls too (marked as such): it is the
    person's own vote, which the poll already shows them; nobody else ever gets it. Three queries."""
    ballots = list(
        PollBallot.objects.filter(user_id=user_id)
        .select_related("poll", "poll__community")
        .prefetch_related("votes")
        .order_by("created_at", "id")
    )
    labels = dict(
        PollChoice.objects.filter(poll_id__in={b.poll_id for b in ballots}).values_list("pk", "label")
    )
    return [
        {
            "community_slug": b.poll.community.slug,
            "thread_id": b.poll.thread_id,
            "poll": b.poll.question,
            "anonymous": b.poll.anonymous,
            "voted_at": b.created_at,
            "changed_at": b.updated_at,
            "choices": [labels.get(v.choice_id, "") for v in b.votes.all()],
        }
        for b in ballots
    ]
