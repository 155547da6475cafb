"""The header bell counts exactly the unread notifications the notifications page shows, in one query."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from communities.discussions.services import thread_create
from communities.models import Space
from members.context_processors import site
from members.models import Membership, MembershipStatus, Role
from members.notifications.models import Notification
from members.notifications.selectors import visible_notifications
from members.notifications.services import notification_create

pytestmark = pytest.mark.django_db


def _notify(user, thread=None, community=None, text="Something happened"):
    return notification_create(
        recipient_id=user.pk,
        kind=Notification.Kind.REPLY if thread else Notification.Kind.MODERATION,
        text=text,
        community_id=(thread.community_id if thread else community.pk if community else None),
        thread_id=thread.pk if thread else None,
        send_email=False,
    )


@pytest.fixture
def mixed(community, owner, member, make_community, make_member, thread):
    """Five unread notifications for ``member``; the page shows three of them."""
    staff_space = Space.objects.create(
        community=community, name="Staff room", slug="staff", min_role=Role.MODERATOR
    )
    staff_thread = thread_create(author=owner, space=staff_space, title="Staff only", body_md="Psst")
    other = make_community(owner=owner.user)
    left = make_member(other, user=member.user)
    other_thread = thread_create(
        author=Membership.objects.get(user=owner.user, community=other),
        space=Space.objects.get(community=other, slug="general"),
        title="Elsewhere",
        body_md="Hi",
    )
    _notify(member.user, thread=thread, text="visible thread")
    _notify(member.user, community=community, text="visible no thread")
    _notify(member.user, text="visible account")
    _notify(member.user, thread=staff_thread, text="space above my role")
    _notify(member.user, thread=other_thread, text="community I left")
    Membership.objects.filter(pk=left.pk).update(status=MembershipStatus.LEFT)
    return member


def test_bell_counts_what_the_page_shows(client, mixed):
    shown = set(visible_notifications(mixed.user).values_list("text", flat=True))
    assert shown == {"visible thread", "visible no thread", "visible account"}
    client.force_login(mixed.user)
    resp = client.get(reverse("notifications"))
    assert resp.context["unread_notifications"] == 3
    # Marking one read (the page's own form) shows on the very next page: the cached count is
    # forgotten by the write.
    one = Notification.objects.get(recipient=mixed.user, text="visible account")
    client.post(reverse("notifications-mark-read"), {"id": one.pk})
    assert client.get(reverse("home")).context["unread_notifications"] == 2
    # A new notification too.
    _notify(mixed.user, text="another")
    assert client.get(reverse("home")).context["unread_notifications"] == 3


def test_bell_is_one_query_then_cached(mixed, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = mixed.user
    with django_assert_num_queries(1):
        assert site(request)["unread_notifications"] == 3
    with django_assert_num_queries(0):  # both header counts come from the cache
        assert site(request)["unread_notifications"] == 3
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert site(request)["unread_notifications"] == 0
