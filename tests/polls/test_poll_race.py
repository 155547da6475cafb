"""Twenty votes of one member at the same moment, each on its own thread and database connection,
end as exactly one ballot and consistent counts.

PostgreSQL only (SQLite serialises writers per database file, so there is no race to test); the
PostgreSQL leg runs it (DATABASE_URL=postgres://...)."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection

from communities.polls.models import Poll, PollBallot, PollChoice, PollVote
from communities.polls.services import poll_vote

pytestmark = [
    pytest.mark.skipif(settings.DB_VENDOR != "postgresql", reason="needs PostgreSQL for concurrent writers"),
    pytest.mark.django_db(transaction=True),
]


def _race(calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=20)
            results[i] = ("ok", call())
        except Exception as exc:  # surfaced by the assertions
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.parametrize("multiple", [False, True])
def test_twenty_concurrent_votes_by_one_member_make_one_ballot(thread, member, make_poll, multiple):
    poll = make_poll(member, thread, multiple=multiple)
    ids = list(PollChoice.objects.filter(poll=poll).values_list("pk", flat=True))
    # Twenty tabs, each voting something different.
    wanted = [[ids[i % 3]] if not multiple else [ids[i % 3], ids[(i + 1) % 3]] for i in range(20)]
    results = _race([lambda w=w: poll_vote(voter=member, poll=poll, choice_ids=w) for w in wanted])
    assert [r[0] for r in results] == ["ok"] * 20, results
    assert PollBallot.objects.filter(poll=poll).count() == 1
    ballot = PollBallot.objects.get(poll=poll)
    held = set(PollVote.objects.filter(ballot=ballot).values_list("choice_id", flat=True))
    assert sorted(held) in [sorted(w) for w in wanted]  # one of the votes, whole
    fresh = Poll.objects.get(pk=poll.pk)
    assert fresh.voter_count == 1
    counts = dict(PollChoice.objects.filter(poll=poll).values_list("pk", "vote_count"))
    assert counts == {pk: (1 if pk in held else 0) for pk in ids}


def test_twenty_members_at_once_all_count(thread, member, make_member, make_poll):
    poll = make_poll(member, thread)
    voters = [make_member(thread.community) for _ in range(20)]
    first = PollChoice.objects.filter(poll=poll).order_by("position").first()
    results = _race([lambda v=v: poll_vote(voter=v, poll=poll, choice_ids=[first.pk]) for v in voters])
    assert [r[0] for r in results] == ["ok"] * 20, results
    assert Poll.objects.get(pk=poll.pk).voter_count == 20
    assert PollChoice.objects.get(pk=first.pk).vote_count == 20
    assert PollBallot.objects.filter(poll=poll).count() == 20


def test_the_database_refuses_a_second_ballot(thread, member, make_poll):
    """The unique constraint itself, without the service's lock."""
    from django.db import IntegrityError, transaction

    poll = make_poll(member, thread)
    PollBallot.objects.create(poll=poll, user_id=member.user_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        PollBallot.objects.create(poll=poll, user_id=member.user_id)
