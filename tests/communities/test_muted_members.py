"""Members a viewer muted: their posts are collapsed on the thread page, their threads left out
of the thread list, without extra queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from communities.discussions.models import Thread
from communities.models import Space
from members.models import Membership
from members.profiles.models import MutedMember
from tests.communities.test_discussions_budgets import _bulk_posts

pytestmark = pytest.mark.django_db

PLACEHOLDER = "Post by a muted member — show"


@pytest.fixture
def crowd(community):
    """Twenty members with cheap users (no password hashing)."""
    from members.models import User

    users = User.objects.bulk_create(
        [User(handle=f"mcrowd{i}", email=f"m{i}@example.com") for i in range(20)]
    )
    Membership.objects.bulk_create([Membership(user=u, community=community) for u in users])
    return users


def test_thread_page_collapses_posts_by_muted_members(client, thread, member, make_member, make_post):
    loud = make_member(thread.community)
    quiet = make_member(thread.community)
    make_post(loud, thread, "Loud words here")
    make_post(quiet, thread, "Quiet words here")
    MutedMember.objects.create(user=member.user, muted_user=loud.user)
    client.force_login(member.user)
    page = client.get(thread.get_absolute_url()).content.decode()
    # Collapsed behind a native <details> toggle (works without JavaScript): the post is there
    # once opened, but the reader first sees the placeholder.
    assert page.count(PLACEHOLDER) == 1
    collapsed = page.split(PLACEHOLDER, 1)[1].split("</details>", 1)[0]
    assert "Loud words here" in collapsed
    assert "Quiet words here" not in collapsed
    assert "Quiet words here" in page

    # Others who didn't mute see it plainly.
    client.force_login(quiet.user)
    assert PLACEHOLDER not in client.get(thread.get_absolute_url()).content.decode()
    client.logout()


def test_thread_list_omits_threads_started_by_muted_members(
    client, community, member, make_member, make_thread
):
    loud = make_member(community)
    make_thread(loud, title="Loud thread title")
    make_thread(make_member(community), title="Calm thread title")
    MutedMember.objects.create(user=member.user, muted_user=loud.user)
    client.force_login(member.user)
    content = client.get(community.get_absolute_url()).content.decode()
    assert "Calm thread title" in content and "Loud thread title" not in content
    client.force_login(loud.user)
    assert "Loud thread title" in client.get(community.get_absolute_url()).content.decode()


def test_muting_keeps_the_thread_page_budget(client, thread, member, crowd, django_assert_max_num_queries):
    _bulk_posts(thread, crowd, 100)
    for u in crowd[:5]:
        MutedMember.objects.create(user=member.user, muted_user=u)
    client.force_login(member.user)
    client.get(thread.community.get_absolute_url())  # the day's metrics visit is logged
    with django_assert_max_num_queries(12):
        resp = client.get(thread.get_absolute_url())
    rows = resp.context["rows"]
    assert len(rows) == 50
    muted = {u.pk for u in crowd[:5]}
    assert {r["post"].pk for r in rows if r["post"].by_muted} == {
        r["post"].pk for r in rows if r["post"].author_id in muted
    }
    n_muted = sum(1 for r in rows if r["post"].author_id in muted)
    assert n_muted > 0 and resp.content.decode().count(PLACEHOLDER) == n_muted


def test_muting_keeps_the_thread_list_budget(client, community, member, crowd, django_assert_max_num_queries):
    long_ago = timezone.now() - timedelta(days=60)
    Membership.objects.filter(pk=member.pk).update(joined_at=long_ago, first_joined_at=long_ago)
    space = Space.objects.get(community=community, slug="general")
    Thread.objects.bulk_create(
        [
            Thread(community=community, space=space, author=crowd[i % 20], title=f"T{i}", slug=f"t{i}")
            for i in range(60)
        ]
    )
    MutedMember.objects.create(user=member.user, muted_user=crowd[0])
    client.force_login(member.user)
    client.get(community.get_absolute_url())
    # 8 + the upcoming events (issue 15) + the community's tags for the filter bar (see
    # test_discussions_budgets.py).
    with django_assert_max_num_queries(10):
        resp = client.get(community.get_absolute_url())
    threads = resp.context["threads"]
    assert len(threads) == 30 and all(t.author_id != crowd[0].pk for t in threads)
