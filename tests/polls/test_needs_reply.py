"""Needs a reply: threads nobody but their author answered after N hours, oldest first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.discussions.models import Thread
from communities.discussions.services import post_create, post_delete, space_create, thread_create
from communities.needs_reply.selectors import needs_reply_threads

pytestmark = pytest.mark.django_db


def _aged(thread, hours):
    Thread.objects.filter(pk=thread.pk).update(created_at=timezone.now() - timedelta(hours=hours))
    thread.refresh_from_db()
    return thread


def _titles(community, membership, **kw):
    return [t.title for t in needs_reply_threads(community=community, membership=membership, **kw)]


def test_ordering_and_threshold(community, member, make_member, moderator, make_thread):
    other = make_member(community)
    old = _aged(make_thread(member, title="Three days old"), 72)
    middle = _aged(make_thread(member, title="Thirty hours old"), 30)
    _aged(make_thread(member, title="Ten hours old"), 10)  # under the 24 h threshold
    answered = _aged(make_thread(member, title="Answered"), 50)
    post_create(author=other, thread=answered, body_md="Here you go")
    self_replied = _aged(make_thread(member, title="Only the author replied"), 40)
    post_create(author=member, thread=self_replied, body_md="Anyone?")
    assert _titles(community, moderator) == ["Three days old", "Only the author replied", "Thirty hours old"]
    # The threshold is the community's setting.
    community.needs_reply_hours = 48
    community.save()
    assert _titles(community, moderator) == ["Three days old"]
    community.needs_reply_hours = 1
    community.save()
    assert _titles(community, moderator)[-1] == "Ten hours old"
    assert old.pk and middle.pk


def test_a_removed_reply_does_not_count(community, member, make_member, moderator, make_thread):
    other = make_member(community)
    thread = _aged(make_thread(member, title="Reply was removed"), 30)
    reply = post_create(author=other, thread=thread, body_md="Hi")
    assert _titles(community, moderator) == []
    post_delete(actor=other, post=reply)
    assert _titles(community, moderator) == ["Reply was removed"]


def test_exact_threshold_boundary(community, member, moderator, make_thread):
    now = timezone.now()
    thread = make_thread(member, title="Boundary")
    Thread.objects.filter(pk=thread.pk).update(created_at=now - timedelta(hours=24))
    assert _titles(community, moderator, now=now) == ["Boundary"]
    Thread.objects.filter(pk=thread.pk).update(created_at=now - timedelta(hours=24) + timedelta(seconds=1))
    assert _titles(community, moderator, now=now) == []


def test_removed_and_restricted_threads_are_left_out(community, owner, member, moderator, make_thread):
    gone = _aged(make_thread(member, title="Deleted"), 30)
    post_delete(actor=member, post=gone.posts.get(is_opening=True))
    owners_only = space_create(community=community, name="Owners", min_role="owner")
    _aged(thread_create(author=owner, space=owners_only, title="Owners only", body_md="x"), 30)
    assert _titles(community, moderator) == []
    assert _titles(community, owner) == ["Owners only"]


def test_staff_page_and_member_filter(client, community, member, make_member, moderator, make_thread):
    for i, hours in enumerate((30, 80, 50)):
        _aged(make_thread(member, title=f"Waiting {i}"), hours)
    url = reverse("needs-reply", args=[community.slug])
    client.force_login(make_member(community).user)
    assert client.get(url).status_code == 403
    client.force_login(moderator.user)
    resp = client.get(url)
    assert resp.status_code == 200
    assert [r["thread"].title for r in resp.context["rows"]] == ["Waiting 1", "Waiting 2", "Waiting 0"]
    html = resp.content.decode()
    assert "ttfr_median_hours" in html  # links to the time-to-first-reply metric
    client.force_login(member.user)
    resp = client.get(community.get_absolute_url() + "?filter=unanswered")
    assert [t.title for t in resp.context["threads"]] == ["Waiting 1", "Waiting 2", "Waiting 0"]


def test_page_is_hidden_from_outsiders(client, make_community, outsider):
    secret = make_community(visibility="secret")
    client.force_login(outsider)
    assert client.get(reverse("needs-reply", args=[secret.slug])).status_code == 404
    client.logout()
    listed = make_community(visibility="listed")
    resp = client.get(reverse("needs-reply", args=[listed.slug]))
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


def test_owner_sets_the_hours(client, community, owner):
    client.force_login(owner.user)
    resp = client.get(reverse("community-settings", args=[community.slug]))
    form = resp.context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, bool)}
    data.update({k: "on" for k, v in form.initial.items() if v is True})
    data["needs_reply_hours"] = "48"
    data.pop("screening_questions", None)
    resp = client.post(reverse("community-settings", args=[community.slug]), data)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    community.refresh_from_db()
    assert community.needs_reply_hours == 48
    data["needs_reply_hours"] = "0"
    resp = client.post(reverse("community-settings", args=[community.slug]), data)
    assert resp.status_code in (200, 400)
    community.refresh_from_db()
    assert community.needs_reply_hours == 48


def test_staff_page_budget(client, community, member, moderator, make_thread, django_assert_max_num_queries):
    for i in range(40):
        _aged(make_thread(member, title=f"Waiting {i}"), 30 + i)
    client.force_login(moderator.user)
    url = reverse("needs-reply", args=[community.slug])
    client.get(community.get_absolute_url())  # the day's visit is logged
    with django_assert_max_num_queries(12):
        resp = client.get(url)
    assert len(resp.context["rows"]) == 30
    with django_assert_max_num_queries(12):
        resp = client.get(url + "?page=2")
    assert len(resp.context["rows"]) == 10
