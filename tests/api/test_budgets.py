"""Query budgets of the API's lists: a fixed number of queries whatever the page size (limit=5
and limit=40 run exactly as many), under a small cap, with a token (its lookup is one query)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.discussions.models import Reaction
from communities.discussions.services import post_create, thread_create
from communities.models import Space
from members.models import JoinRequest, Role
from members.notifications.services import notification_create
from moderation.models import Flag

pytestmark = pytest.mark.django_db

N = 40


@pytest.fixture
def seeded(community, owner, make_member, make_user):
    space = Space.objects.get(community=community, slug="general")
    members = [make_member(community) for _ in range(N)]
    first = thread_create(author=members[0], space=space, title="Busy thread", body_md="open")
    for i, m in enumerate(members):
        if i:
            thread_create(author=m, space=space, title=f"Thread {i}", body_md="body")
        post = post_create(author=m, thread=first, body_md=f"reply {i}")
        Reaction.objects.create(post=post, user=owner.user, kind="heart")
        Flag.objects.create(community=community, post=post, flagger=owner.user, reason="spam")
        notification_create(
            recipient_id=owner.user_id, kind="mention", text=f"n{i}", community_id=community.pk
        )
        JoinRequest.objects.create(community=community, user=make_user())
    return {"thread": first}


def _queries(api, path: str, token: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path, token=token)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("name", "path", "cap"),
    [
        ("communities", "/communities?limit={n}", 3),
        ("threads", "/communities/{slug}/threads?limit={n}", 4),
        ("posts", "/communities/{slug}/threads/{thread}/posts?limit={n}", 5),
        ("members", "/communities/{slug}/members?limit={n}", 4),
        ("notifications", "/notifications?limit={n}", 2),
    ],
)
def test_list_budget_is_constant_in_page_size(api, community, owner, seeded, make_token, name, path, cap):
    token = make_token(owner.user)
    url = path.replace("{slug}", community.slug).replace("{thread}", str(seeded["thread"].pk))
    api.get("/me", token=token)  # the token's first use writes last_used_at once
    small = _queries(api, url.format(n=5), token)
    large = _queries(api, url.format(n=N), token)
    print(f"{name}: {small} queries")
    assert small == large <= cap, (small, large)
    assert api.get(url.format(n=N), token=token).json()["items"]


def test_review_queue_budget(api, community, owner, seeded, make_token):
    token = make_token(owner.user)
    first = _queries(api, f"/communities/{community.slug}/review-queue", token)
    flags_only = _queries(api, f"/communities/{community.slug}/review-queue?type=flag&page=2", token)
    assert first <= 9 and flags_only <= 9, (first, flags_only)


def test_next_cursor_walks_every_thread_once(api, community, owner, seeded, make_token):
    token = make_token(owner.user)
    seen, cursor = [], None
    while True:
        query = f"?limit=7&cursor={cursor}" if cursor else "?limit=7"
        page = api.get(f"/communities/{community.slug}/threads{query}", token=token).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == N
    # A cursor of one list is refused by another.
    other = api.get(
        f"/communities/{community.slug}/members?cursor={page_cursor(api, community, token)}", token=token
    )
    assert other.status_code == 400


def page_cursor(api, community, token) -> str:
    return api.get(f"/communities/{community.slug}/threads?limit=1", token=token).json()["next_cursor"]


def test_updated_since_filters_by_last_activity(api, community, owner, seeded, make_token):
    from datetime import timedelta

    from communities.discussions.models import Thread

    token = make_token(owner.user)
    busy = seeded["thread"]
    Thread.objects.exclude(pk=busy.pk).update(last_post_at=busy.last_post_at - timedelta(days=3))
    since = (busy.created_at - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    from urllib.parse import quote

    items = api.get(
        f"/communities/{community.slug}/threads?updated_since={quote(since)}", token=token
    ).json()["items"]
    assert [t["id"] for t in items] == [busy.pk]


def test_role_is_kept_in_members_list(api, community, owner, seeded, make_token):
    items = api.get(f"/communities/{community.slug}/members?limit=3", token=make_token(owner.user)).json()[
        "items"
    ]
    assert items[0]["role"] == Role.OWNER
