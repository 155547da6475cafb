"""The event page: viewer time zones, RSVP by form, questions, query budget."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from communities.events import services
from communities.events.forms import to_utc
from communities.events.models import Rsvp, RsvpStatus

pytestmark = pytest.mark.django_db


def test_times_in_viewer_zone_else_community_zone(client, make_community, make_member, make_event, make_user):
    community = make_community(time_zone="Europe/Berlin", visibility="public")
    start = to_utc(datetime(2030, 6, 4, 18, 0), ZoneInfo("Europe/Berlin"))
    event = make_event(community, starts_at=start)
    url = reverse("event-detail", args=[community.slug, event.pk])
    ny = make_member(community, user=make_user(time_zone="America/New_York"))
    client.force_login(ny.user)
    body = client.get(url).content.decode()
    assert "12:00" in body and "America/New_York" in body
    assert "18:00" in body  # the community's time shown beside it
    client.logout()
    body = client.get(url).content.decode()  # anonymous: the community's zone
    assert "18:00" in body and "12:00" not in body


def test_rsvp_and_question_forms(client, community, member, make_event):
    event = make_event(community, kind="ama", capacity=1)
    client.force_login(member.user)
    rsvp = reverse("event-rsvp", args=[community.slug, event.pk])
    assert client.post(rsvp, {"status": "going"}).status_code == 302
    assert Rsvp.objects.get(event=event, user=member.user).status == RsvpStatus.GOING
    ask = reverse("event-question-ask", args=[community.slug, event.pk])
    assert client.post(ask, {"body": "What is **next**?"}).status_code == 302
    page = client.get(reverse("event-detail", args=[community.slug, event.pk])).content.decode()
    assert "<strong>next</strong>" in page and "You're going." in page
    assert client.post(ask, {"body": ""}).status_code == 400


def test_event_page_query_budget_constant_in_attendees(
    client, community, make_member, make_event, django_assert_max_num_queries
):
    event = make_event(community, kind="ama", capacity=500)
    viewer = make_member(community)
    members = [make_member(community) for _ in range(60)]
    for i, m in enumerate(members):
        services.rsvp_set(membership=m, event=event, status="going" if i % 3 else "maybe")
    for m in members[:30]:
        services.question_ask(membership=m, event=event, body_md=f"Question {m.pk}?")
    questions = list(event.questions.all())
    for m in members[30:]:
        for q in questions[:5]:
            services.question_vote(membership=m, question=q)
    client.force_login(viewer.user)
    url = reverse("event-detail", args=[community.slug, event.pk])
    with django_assert_max_num_queries(BUDGET) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('id="question-') == 30
    big = len(ctx.captured_queries)
    # Fewer attendees and questions: the same number of queries.
    small = make_event(community, kind="ama")
    services.rsvp_set(membership=members[0], event=small, status="going")
    with django_assert_max_num_queries(big) as ctx2:
        client.get(reverse("event-detail", args=[community.slug, small.pk]))
    assert len(ctx2.captured_queries) <= big


BUDGET = 16


def test_list_page_budget(client, community, member, make_event, django_assert_max_num_queries):
    for n in range(25):
        make_event(community, title=f"Event {n}", starts_in=timedelta(days=n + 1))
    client.force_login(member.user)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("event-list", args=[community.slug])).status_code == 200


def test_event_thread_links_back_to_the_event(client, community, member, make_event):
    event = make_event(community, kind="ama")
    client.force_login(member.user)
    body = client.get(event.thread.get_absolute_url()).content.decode()
    assert reverse("event-detail", args=[community.slug, event.pk]) in body
