"""Query budgets of the busiest discussion pages, on data big enough to expose an N+1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.discussions.models import Post, Reaction, ReactionKind, Thread
from communities.markdown import render_markdown
from communities.models import Space
from members.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(community, make_user):
    """Twenty members with cheap users (no password hashing)."""
    from members.models import User

    users = User.objects.bulk_create([User(handle=f"crowd{i}", email=f"c{i}@example.com") for i in range(20)])
    Membership.objects.bulk_create([Membership(user=u, community=community) for u in users])
    return users


def _bulk_posts(thread: Thread, users, n: int) -> list[Post]:
    html = render_markdown("Some **text** and a [link](https://example.com)")
    now = timezone.now()
    posts = Post.objects.bulk_create(
        [
            Post(
                thread=thread,
                community_id=thread.community_id,
                author=users[i % len(users)],
                body_md="Some **text**",
                body_html=html,
                created_at=now,
                published_at=now,
                reply_to_id=None,
            )
            for i in range(n)
        ]
    )
    posts = list(Post.objects.filter(thread=thread).order_by("id"))
    Post.objects.filter(pk__in=[p.pk for p in posts[2::3]]).update(reply_to=posts[0])
    Reaction.objects.bulk_create(
        [
            Reaction(post=p, user=users[(i + k) % len(users)], kind=kind)
            for i, p in enumerate(posts)
            for k, kind in enumerate(ReactionKind.values[:3])
        ]
    )
    return posts


@pytest.mark.parametrize("who", ["member", "moderator", "anonymous_public"])
def test_thread_page_with_100_posts(
    client, thread, member, moderator, crowd, who, django_assert_max_num_queries
):
    _bulk_posts(thread, crowd, 100)
    if who == "member":
        client.force_login(member.user)
    elif who == "moderator":
        client.force_login(moderator.user)
        thread.posts.filter(pk__in=thread.posts.values("pk")[5:8]).update(removed_at=timezone.now())
    else:
        type(thread.community).objects.filter(pk=thread.community_id).update(visibility="public")
    url = thread.get_absolute_url()
    # The metrics visit log writes once per member per community per day (+2 queries on the
    # first page of the day); measure the steady state after one visit elsewhere.
    client.get(thread.community.get_absolute_url())
    # Signed in: session, user, membership (with its community), the thread (with the reader's
    # marker, subscription, visible post count and whether it has polls or tags), posts,
    # reactions of the page's posts, and moving the read marker: 7. Anonymous: community, thread,
    # posts, reactions: 4. Staff also see the review queue's counter in the menu: 8. Tags and
    # polls cost queries only on threads that have them (tests/polls/test_budgets.py).
    budget = {"member": 7, "moderator": 8, "anonymous_public": 4}[who]
    for page in ("", "?page=2"):
        with django_assert_max_num_queries(budget):
            resp = client.get(url + page)
        assert resp.status_code == 200
        assert len(resp.context["rows"]) == 50


# The page runs 7 queries for a regular member: session (none with Redis: cached_db sessions),
# user, membership (with its community, the member count and whether any warning waits: one
# query), spaces, the community's tags for the filter bar, threads with unread counts, and the next
# few events. The header's unread counts come from the cache (members/context_processors.py).
# Members in their first 30 days also get the onboarding checklist: its state, their posts'
# aggregate and the introductions thread, so 10.
@pytest.mark.parametrize(("established", "budget"), [(True, 7), (False, 10)])
def test_thread_list_with_50_threads(
    client, community, member, crowd, established, budget, django_assert_max_num_queries
):
    """A fixed number of queries whatever the number of threads (see the budget note above)."""
    if established:
        long_ago = timezone.now() - timedelta(days=60)
        Membership.objects.filter(pk=member.pk).update(joined_at=long_ago, first_joined_at=long_ago)
    space = Space.objects.get(community=community, slug="general")
    threads = Thread.objects.bulk_create(
        [
            Thread(community=community, space=space, author=crowd[i % 20], title=f"T{i}", slug=f"t{i}")
            for i in range(50)
        ]
    )
    for t in threads[:10]:
        _bulk_posts(t, crowd, 3)
    client.force_login(member.user)
    client.get(threads[0].get_absolute_url())  # a read state exists; the day's visit is logged
    url = community.get_absolute_url()
    with django_assert_max_num_queries(budget):
        resp = client.get(url)
    assert resp.status_code == 200 and len(resp.context["threads"]) == 30
    with django_assert_max_num_queries(budget):
        resp = client.get(url + "?page=2&space=general")
    assert len(resp.context["threads"]) == 20


def test_posting_a_reply(client, thread, member, crowd, django_assert_max_num_queries):
    _bulk_posts(thread, crowd, 30)
    client.force_login(member.user)
    opening = thread.posts.get(is_opening=True)
    url = reverse("thread-reply", args=[thread.community.slug, thread.pk])
    client.get(thread.community.get_absolute_url())  # the day's visit is logged (metrics)
    with django_assert_max_num_queries(20):
        resp = client.post(
            url,
            {"body": "Hello @crowd1 and @crowd2", "reply_to": opening.pk},
        )
    assert resp.status_code == 302
