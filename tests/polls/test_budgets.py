"""Query budgets: a thread page with polls runs the same number of queries with 3 or 60 votes,
and the thread list with tags on every row runs a fixed number whatever the number of threads."""

from __future__ import annotations

import pytest
from django.utils import timezone

from communities.discussions.models import Thread
from communities.models import Space
from communities.polls.models import PollBallot, PollChoice, PollVote
from communities.polls.services import poll_vote
from communities.tags.models import Tag, ThreadTag
from members.models import Membership, User

pytestmark = pytest.mark.django_db


_seq = iter(range(10**6))


def _crowd(community, n):
    users = User.objects.bulk_create(
        [User(handle=f"crowd{k}", email=f"crowd{k}@example.com") for k in (next(_seq) for _ in range(n))]
    )
    Membership.objects.bulk_create([Membership(user=u, community=community) for u in users])
    return users


def _bulk_votes(poll, users):
    """Ballots straight into the tables, counts kept consistent (the service is tested elsewhere)."""
    choices = list(PollChoice.objects.filter(poll=poll))
    now = timezone.now()
    ballots = PollBallot.objects.bulk_create([PollBallot(poll=poll, user=u, created_at=now) for u in users])
    PollVote.objects.bulk_create(
        [PollVote(ballot=b, choice=choices[i % len(choices)]) for i, b in enumerate(ballots)]
    )
    for c in choices:
        c.vote_count = PollVote.objects.filter(choice=c).count()
        c.save()
    poll.voter_count = len(ballots)
    poll.save()


def _measure(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200
    return len(ctx.captured_queries), resp


@pytest.mark.parametrize("who", ["member", "moderator"])
def test_thread_with_polls_is_constant_in_votes(
    client, thread, member, moderator, make_poll, who, django_assert_max_num_queries
):
    named = make_poll(member, thread)
    anonymous = make_poll(member, thread, question="Secret ballot?", anonymous=True, multiple=True)
    viewer = member if who == "member" else moderator
    poll_vote(voter=viewer, poll=named, choice_ids=[named.choices.first().pk])
    client.force_login(viewer.user)
    url = thread.get_absolute_url()
    client.get(thread.community.get_absolute_url())  # the day's visit is logged
    client.get(url)
    _bulk_votes(named, _crowd(thread.community, 2))
    few, _ = _measure(client, url)
    _bulk_votes(anonymous, _crowd(thread.community, 60))
    many, resp = _measure(client, url)
    assert few == many, (few, many)
    assert len(resp.context["polls"]) == 2
    assert resp.context["polls"][1].poll.voter_count == 60
    # The discussions budget (12 for staff on a long thread) plus the thread's tags, the polls with
    # their choices and the viewer's own votes.
    with django_assert_max_num_queries(15):
        client.get(url)


# The thread-list budget (10 / 13, test_discussions_budgets.py) plus the rows' tags.
@pytest.mark.parametrize(("established", "budget"), [(True, 11), (False, 14)])
def test_thread_list_with_tags(client, community, member, established, budget, django_assert_max_num_queries):
    """The thread list budget (8 / 11, see tests/communities/test_discussions_budgets.py) plus the
    community's tags (the filter bar) and one query for every row's tags."""
    from datetime import timedelta

    if established:
        long_ago = timezone.now() - timedelta(days=60)
        Membership.objects.filter(pk=member.pk).update(joined_at=long_ago, first_joined_at=long_ago)
    users = _crowd(community, 10)
    space = Space.objects.get(community=community, slug="general")
    threads = Thread.objects.bulk_create(
        [
            Thread(community=community, space=space, author=users[i % 10], title=f"T{i}", slug=f"t{i}")
            for i in range(50)
        ]
    )
    tags = Tag.objects.bulk_create(
        [Tag(community=community, name=f"tag{i}", slug=f"tag{i}") for i in range(8)]
    )
    ThreadTag.objects.bulk_create(
        [ThreadTag(thread=t, tag=tags[(i + k) % 8]) for i, t in enumerate(threads) for k in range(3)]
    )
    client.force_login(member.user)
    client.get(threads[0].get_absolute_url())
    url = community.get_absolute_url()
    with django_assert_max_num_queries(budget):
        resp = client.get(url)
    assert len(resp.context["threads"]) == 30
    assert "#tag1" in resp.content.decode()
    with django_assert_max_num_queries(budget):
        resp = client.get(url + "?tag=tag3&page=1")
    assert resp.status_code == 200 and 0 < len(resp.context["threads"]) <= 30
    assert all("tag3" in [tt.tag.slug for tt in t.tag_rows] for t in resp.context["threads"])
    with django_assert_max_num_queries(budget):
        resp = client.get(url + "?filter=unanswered")
    assert resp.status_code == 200
