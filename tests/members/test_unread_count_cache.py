"""The bell's unread count (header and live bell) follows notifications being made and read; the
cached count (``members.notifications.selectors.unread_count``, used by the live bell) is
forgotten on both."""

from __future__ import annotations

import re

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.notifications.selectors import unread_count, unread_count_key
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


def test_the_cached_count_is_forgotten_on_create_and_read(client, community, member):
    client.force_login(member.user)
    assert unread_count(member.user) == 0
    assert cache.get(unread_count_key(member.user_id)) is not None
    made = notification_create(
        recipient_id=member.user_id, kind="mention", text="Hi", community_id=community.pk
    )
    assert cache.get(unread_count_key(member.user_id)) is None
    assert unread_count(member.user) == 1
    with CaptureQueriesContext(connection) as ctx:
        assert unread_count(member.user) == 1
    assert len(ctx.captured_queries) == 0
    client.post(reverse("notifications-mark-read"), {"id": made.pk})
    assert unread_count(member.user) == 0
