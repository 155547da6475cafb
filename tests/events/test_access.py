"""Every access rule of events: pages, .ics, questions, votes, the calendar feed."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from django.urls import reverse

from communities.events import services
from communities.events.models import Rsvp
from communities.models import Space
from members.models import Role
from moderation.hooks import flag_create

pytestmark = pytest.mark.django_db


def _urls(event):
    slug = event.community.slug
    return {
        "detail": reverse("event-detail", args=[slug, event.pk]),
        "ics": reverse("event-ics", args=[slug, event.pk]),
        "list": reverse("event-list", args=[slug]),
    }


@pytest.mark.parametrize("visibility", ["secret", "listed"])
def test_outsider(client, make_community, make_event, outsider, visibility):
    community = make_community(visibility=visibility)
    event = make_event(community)
    client.force_login(outsider)
    expected = 404 if visibility == "secret" else 403
    for name, url in _urls(event).items():
        assert client.get(url).status_code == expected, name
    assert (
        client.post(reverse("event-rsvp", args=[community.slug, event.pk]), {"status": "going"}).status_code
        == expected
    )
    assert not Rsvp.objects.exists()


def test_anonymous_secret_is_404_and_listed_logs_in(client, make_community, make_event):
    secret = make_event(make_community(visibility="secret"))
    assert client.get(_urls(secret)["detail"]).status_code == 404
    listed = make_event(make_community(visibility="listed"))
    response = client.get(_urls(listed)["detail"])
    assert response.status_code == 302 and "login" in response["Location"]


def test_restricted_space_event_is_404_for_members_below_the_role(client, community, member, make_event):
    staff = Space.objects.create(community=community, name="Staff", slug="staff", min_role=Role.MODERATOR)
    event = make_event(community, space=staff, title="Staff planning")
    client.force_login(member.user)
    for name, url in _urls(event).items():
        if name == "list":
            assert "Staff planning" not in client.get(url).content.decode()
        else:
            assert client.get(url).status_code == 404, name
    assert (
        client.post(reverse("event-rsvp", args=[community.slug, event.pk]), {"status": "going"}).status_code
        == 404
    )
    assert "Staff planning" not in client.get(community.get_absolute_url()).content.decode()


def test_event_of_another_community_is_404(client, community, member, make_community, make_event):
    elsewhere = make_event(make_community(visibility="public"))
    client.force_login(member.user)
    assert client.get(reverse("event-detail", args=[community.slug, elsewhere.pk])).status_code == 404
    assert client.get(reverse("event-ics", args=[community.slug, elsewhere.pk])).status_code == 404


def test_member_cannot_create_edit_or_cancel(client, community, member, make_event):
    event = make_event(community)
    client.force_login(member.user)
    assert client.get(reverse("event-new", args=[community.slug])).status_code == 403
    assert client.get(reverse("event-edit", args=[community.slug, event.pk])).status_code == 403
    assert client.post(reverse("event-cancel", args=[community.slug, event.pk])).status_code == 403
    event.refresh_from_db()
    assert not event.is_cancelled


def test_flagged_description_hides_the_event(client, community, make_member, make_event):
    community.flag_threshold = 1
    community.save(update_fields=["flag_threshold"])
    event = make_event(community)
    member = make_member(community)
    opening = event.thread.posts.get(is_opening=True)
    flag_create(membership=member, post=opening, reason="spam")
    client.force_login(make_member(community).user)
    assert client.get(_urls(event)["detail"]).status_code == 404
    assert client.get(_urls(event)["ics"]).status_code == 404


def test_question_vote_answer_access(client, community, member, make_member, make_community, make_event):
    event = make_event(community, kind="ama")
    asker = make_member(community)
    question = services.question_ask(membership=asker, event=event, body_md="Why?")
    # Another community's member: 404 on the question (it belongs to another community).
    stranger = make_member(make_community(visibility="listed"))
    client.force_login(stranger.user)
    vote = reverse("event-question-vote", args=[stranger.community.slug, question.pk])
    assert client.post(vote).status_code == 404
    # A plain member may vote but not answer.
    client.force_login(member.user)
    assert client.post(reverse("event-question-vote", args=[community.slug, question.pk])).status_code == 302
    answer = reverse("event-question-answer", args=[community.slug, question.pk])
    assert client.post(answer, {"body": "no"}).status_code == 403
    question.refresh_from_db()
    assert question.answered_at is None


def test_hidden_question_is_not_listed_and_cannot_be_voted(
    client, community, member, make_member, make_event
):
    community.flag_threshold = 1
    community.save(update_fields=["flag_threshold"])
    event = make_event(community, kind="ama")
    asker = make_member(community)
    question = services.question_ask(membership=asker, event=event, body_md="A rude question")
    flag_create(membership=member, post=question.post, reason="harassment")
    client.force_login(make_member(community).user)
    assert "A rude question" not in client.get(_urls(event)["detail"]).content.decode()
    assert client.post(reverse("event-question-vote", args=[community.slug, question.pk])).status_code == 404


def test_question_rate_limit(client, community, member, make_event, settings):
    settings.RATE_LIMITS_ENABLED = True
    from django.core.cache import cache

    cache.clear()
    event = make_event(community, kind="ama")
    url = reverse("event-question-ask", args=[community.slug, event.pk])
    client.force_login(member.user)
    statuses = []
    for n in range(services.QUESTIONS_PER_HOUR + 1):
        # Posting limits apply too (one post every few seconds): bypass them by time, not by mocks.
        cache.delete_many(
            [
                k
                for k in [
                    f"rl:post:{community.pk}:{member.user_id}:start",
                    f"rl:post:{community.pk}:{member.user_id}:n",
                ]
            ]
        )
        statuses.append(client.post(url, {"body": f"Question number {n}?"}).status_code)
    assert statuses[:-1] == [302] * services.QUESTIONS_PER_HOUR
    assert statuses[-1] == 429
    cache.clear()


def _feed(client, token):
    return client.get(reverse("calendar-feed", args=[token]))


def test_feed_shows_only_visible_events_and_revoked_token_is_404(
    client, make_community, make_member, make_event, make_user
):
    mine = make_community(visibility="secret")
    person = make_user("feedy")
    membership = make_member(mine, user=person)
    visible = make_event(mine, title="Visible event")
    staff = Space.objects.create(community=mine, name="Staff", slug="staff", min_role=Role.MODERATOR)
    make_event(mine, space=staff, title="Restricted event")
    make_event(make_community(visibility="secret"), title="Other community event")
    token = services.calendar_feed_token(user=person).token
    response = _feed(client, token)  # no session: the token is the key
    assert response.status_code == 200
    cal = icalendar.Calendar.from_ical(response.content)
    titles = {str(e.get("summary")) for e in cal.walk("VEVENT")}
    assert titles == {"Visible event"}
    assert membership.user_id == person.pk and visible.pk
    # Revoked (and reset): the old token is 404, the new one works.
    new = services.calendar_feed_reset(user=person).token
    assert _feed(client, token).status_code == 404
    assert _feed(client, new).status_code == 200
    services.calendar_feed_revoke(user=person)
    assert _feed(client, new).status_code == 404
    assert _feed(client, "not-a-token").status_code == 404
    # Leaving the community empties the feed.
    newest = services.calendar_feed_reset(user=person).token
    from members.services import membership_leave

    membership_leave(membership=membership)
    cal = icalendar.Calendar.from_ical(_feed(client, newest).content)
    assert cal.walk("VEVENT") == []


def test_calendar_settings_needs_login_and_posts_make_tokens(client, member):
    url = reverse("calendar-settings")
    assert client.get(url).status_code == 302
    client.force_login(member.user)
    assert client.get(url).status_code == 200
    client.post(url, {"action": "reset"})
    feed = services.calendar_feed_token(user=member.user)
    assert feed.token in client.get(url).content.decode()
    client.post(url, {"action": "revoke"})
    assert _feed(client, feed.token).status_code == 404


def test_bad_input_never_500(client, community, owner, make_event):
    event = make_event(community)
    client.force_login(owner.user)
    new = reverse("event-new", args=[community.slug])
    for data in (
        {},
        {"title": "x" * 500, "starts": "nonsense", "ends": "2026-13-45T99:99"},
        {
            "title": "T",
            "kind": "party",
            "starts": "2030-01-01T10:00",
            "ends": "2030-01-01T09:00",
            "description": "d",
        },
        {
            "title": "T",
            "kind": "meetup",
            "starts": "2030-01-01T10:00",
            "ends": "2030-01-01T11:00",
            "description": "d",
            "online_url": "javascript:alert(1)",
            "capacity": "-3",
        },
    ):
        response = client.post(new, data)
        assert response.status_code == 400, data
    assert (
        client.post(reverse("event-rsvp", args=[community.slug, event.pk]), {"status": "zzz"}).status_code
        == 400
    )
    assert client.get(reverse("event-list", args=[community.slug]) + "?page=abc").status_code == 200
    kept = client.post(new, {"title": "Keep me", "starts": "bad"})
    assert "Keep me" in kept.content.decode()


def test_past_and_upcoming_lists(client, community, member, make_event):
    make_event(community, title="Soon", starts_in=timedelta(days=1))
    client.force_login(member.user)
    assert "Soon" in client.get(reverse("event-list", args=[community.slug])).content.decode()
    assert (
        "Soon" not in client.get(reverse("event-list", args=[community.slug]) + "?when=past").content.decode()
    )


def test_search_finds_events_and_questions_only_where_visible(
    client, community, member, make_member, make_event, outsider
):
    """Event titles, descriptions and AMA questions are thread titles and posts: search shows them
    to those who may read them and to nobody else (restricted space, other people)."""
    make_event(community, title="Zebrafish workshop", description="Bring a zebrafish tank")
    staff = Space.objects.create(community=community, name="Staff", slug="staff", min_role=Role.MODERATOR)
    secret_event = make_event(community, space=staff, title="Quokka planning", kind="ama")
    mod = make_member(community, role=Role.MODERATOR)
    services.question_ask(membership=mod, event=secret_event, body_md="Quokka budget question")
    client.force_login(member.user)
    search = reverse("community-search", args=[community.slug])
    assert "Zebrafish" in client.get(search, {"q": "zebrafish"}).content.decode()
    assert "Quokka" not in client.get(search, {"q": "quokka"}).content.decode()
    assert "Quokka" not in client.get(reverse("search"), {"q": "quokka"}).content.decode()
    client.force_login(mod.user)
    assert "Quokka" in client.get(search, {"q": "quokka"}).content.decode()
    client.force_login(outsider)
    assert "Zebrafish" not in client.get(reverse("search"), {"q": "zebrafish"}).content.decode()


def test_vote_rate_limit_answers_429(
    client, community, member, make_member, make_event, settings, monkeypatch
):
    settings.RATE_LIMITS_ENABLED = True
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(services, "VOTES_PER_MINUTE", 2)
    event = make_event(community, kind="ama")
    askers = [make_member(community) for _ in range(3)]
    settings.RATE_LIMITS_ENABLED = False
    questions = [services.question_ask(membership=a, event=event, body_md=f"Q {a.pk}?") for a in askers]
    settings.RATE_LIMITS_ENABLED = True
    client.force_login(member.user)
    codes = [
        client.post(reverse("event-question-vote", args=[community.slug, q.pk])).status_code
        for q in questions
    ]
    assert codes[:2] == [302, 302]
    assert codes[2] == 429
    assert questions[2].votes.count() == 0
    cache.clear()
