"""Live updates: the conditional thread poll and the bell (config/live.py)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from communities.discussions.services import post_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _page_version(client, thread) -> tuple[str, int]:
    html = client.get(thread.get_absolute_url()).content.decode()
    version = re.search(r'data-live-version="([^"]+)"', html).group(1)
    last = max(int(x) for x in re.findall(r'data-post-id="(\d+)"', html))
    return version, last


def _live(thread) -> str:
    return f"/live/c/{thread.community.slug}/t/{thread.pk}/"


def test_unchanged_thread_answers_304_within_two_queries(
    client, member, thread, django_assert_max_num_queries
):
    client.force_login(member.user)
    version, last = _page_version(client, thread)
    # The session and the user (middleware) are the only queries; the view itself runs none.
    with django_assert_max_num_queries(2):
        resp = client.get(_live(thread), {"after": last}, HTTP_IF_NONE_MATCH=f'"{version}"')
    assert resp.status_code == 304
    assert resp["ETag"] == f'"{version}"'


def test_a_new_reply_changes_the_answer(client, member, make_member, thread):
    client.force_login(member.user)
    version, last = _page_version(client, thread)
    other = make_member(thread.community)
    post_create(author=other, thread=thread, body_md="Fresh news")
    resp = client.get(_live(thread), {"after": last}, HTTP_IF_NONE_MATCH=f'"{version}"')
    assert resp.status_code == 200
    data = resp.json()
    assert data["new"] == 1 and data["version"] != version
    # Asking again with the new version: nothing changed since.
    resp = client.get(_live(thread), {"after": last}, HTTP_IF_NONE_MATCH=f'"{data["version"]}"')
    assert resp.status_code == 304


def test_live_thread_is_404_for_people_who_cannot_read_it(
    client, make_community, make_member, make_thread, outsider
):
    secret = make_community(visibility="secret")
    t = make_thread(make_member(secret), title="Hidden plans")
    client.force_login(outsider)
    assert client.get(_live(t)).status_code == 404
    # A missing thread looks the same.
    assert client.get(f"/live/c/{secret.slug}/t/999999/").status_code == 404
    client.logout()
    assert client.get(_live(t)).status_code in {302, 404}


def test_live_thread_counts_only_posts_the_reader_may_see(client, member, make_member, thread, moderator):
    from communities.discussions.models import Post

    client.force_login(member.user)
    _, last = _page_version(client, thread)
    other = make_member(thread.community)
    held = post_create(author=other, thread=thread, body_md="Held for review")
    Post.objects.filter(pk=held.pk).update(status="held")
    assert client.get(_live(thread), {"after": last}).json()["new"] == 0
    client.force_login(moderator.user)
    assert client.get(_live(thread), {"after": last}).json()["new"] == 1


def test_bell_is_conditional_and_cached(client, member, django_assert_max_num_queries):
    client.force_login(member.user)
    resp = client.get("/live/bell/")
    assert resp.status_code == 200
    etag = resp["ETag"]
    with django_assert_max_num_queries(2):
        again = client.get("/live/bell/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304


def test_bell_needs_login(client):
    assert client.get("/live/bell/").status_code == 401


def test_thread_page_budget_is_unchanged_by_live_token(client, member, thread, django_assert_max_num_queries):
    client.force_login(member.user)
    client.get(thread.get_absolute_url())
    with django_assert_max_num_queries(12):
        resp = client.get(thread.get_absolute_url())
    assert b"data-live-version" in resp.content
