"""The header bell's unread count comes from the cache (#19): no query on repeat pages, and it is
forgotten when a notification is made or read."""

from __future__ import annotations

import re

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.notifications.selectors import unread_count_key
from members.notifications.services import notification_create


def _bell(response) -> str:
    match = re.search(r"data-count>(\d+)</span>", response.content.decode())
    assert match, "the header bell is on the page"
    return match.group(1)


def _count_queries(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_repeat_pages_count_unread_without_a_query(
    client, community, member, thread, django_assert_max_num_queries
):
    client.force_login(member.user)
    url = thread.get_absolute_url()
    client.get(url)  # the first visit creates the read marker
    cache.delete(unread_count_key(member.user_id))
    uncached, response = _count_queries(client, url)
    assert _bell(response) == "0"
    cached, response = _count_queries(client, url)
    assert _bell(response) == "0"
    assert cached == uncached - 1, (uncached, cached)
    with django_assert_max_num_queries(cached):
        client.get(url)


def test_the_count_follows_new_and_read_notifications(client, community, member, thread):
    client.force_login(member.user)
    url = thread.get_absolute_url()
    assert _bell(client.get(url)) == "0"
    made = notification_create(
        recipient_id=member.user_id, kind="mention", text="Someone mentioned you", community_id=community.pk
    )
    assert _bell(client.get(url)) == "1"
    client.post(reverse("notifications-mark-read"), {"id": made.pk})
    assert _bell(client.get(url)) == "0"
    for n in range(2):
        notification_create(
            recipient_id=member.user_id, kind="mention", text=f"Mention {n}", community_id=community.pk
        )
    assert _bell(client.get(url)) == "2"
    client.post(reverse("notifications-mark-read"), {"all": "1"})
    assert _bell(client.get(url)) == "0"
