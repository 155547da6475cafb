"""Polls: creating, voting, changing a vote, closing, and what the thread page shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from communities.discussions.services import thread_set_locked
from communities.polls.models import Poll, PollBallot, PollChoice, PollVote
from communities.polls.services import poll_close, poll_create, poll_vote
from moderation.models import AuditLogEntry

pytestmark = pytest.mark.django_db


def _choice(poll, label):
    return PollChoice.objects.get(poll=poll, label=label)


def _counts(poll):
    poll.refresh_from_db()
    return poll.voter_count, dict(PollChoice.objects.filter(poll=poll).values_list("label", "vote_count"))


def test_vote_and_change_vote(thread, member, make_member, make_poll):
    poll = make_poll(member, thread)
    other = make_member(thread.community)
    poll_vote(voter=member, poll=poll, choice_ids=[_choice(poll, "Tea").pk])
    poll_vote(voter=other, poll=poll, choice_ids=[_choice(poll, "Tea").pk])
    assert _counts(poll) == (2, {"Tea": 2, "Coffee": 0, "Water": 0})
    poll_vote(voter=member, poll=poll, choice_ids=[_choice(poll, "Coffee").pk])
    assert _counts(poll) == (2, {"Tea": 1, "Coffee": 1, "Water": 0})
    assert PollBallot.objects.filter(poll=poll).count() == 2
    assert PollVote.objects.filter(ballot__poll=poll).count() == 2


def test_single_choice_takes_one(thread, member, make_poll):
    poll = make_poll(member, thread)
    with pytest.raises(ValidationError, match="one choice"):
        poll_vote(voter=member, poll=poll, choice_ids=[c.pk for c in poll.choices.all()[:2]])
    with pytest.raises(ValidationError, match="Choose an option"):
        poll_vote(voter=member, poll=poll, choice_ids=[])
    assert _counts(poll)[0] == 0


def test_multiple_choice(thread, member, make_poll):
    poll = make_poll(member, thread, multiple=True)
    tea, coffee, water = (_choice(poll, x) for x in ("Tea", "Coffee", "Water"))
    poll_vote(voter=member, poll=poll, choice_ids=[tea.pk, coffee.pk])
    assert _counts(poll) == (1, {"Tea": 1, "Coffee": 1, "Water": 0})
    poll_vote(voter=member, poll=poll, choice_ids=[coffee.pk, water.pk])
    assert _counts(poll) == (1, {"Tea": 0, "Coffee": 1, "Water": 1})


def test_choice_of_another_poll_is_refused(thread, member, make_poll):
    poll = make_poll(member, thread)
    other = make_poll(member, thread, question="Another?")
    with pytest.raises(ValidationError, match="poll's options"):
        poll_vote(voter=member, poll=poll, choice_ids=[other.choices.first().pk])


def test_closed_poll_refuses_votes(thread, member, make_member, make_poll):
    poll = make_poll(member, thread, closes_at=timezone.now() + timedelta(hours=1))
    voter = make_member(thread.community)
    poll_vote(voter=voter, poll=poll, choice_ids=[_choice(poll, "Tea").pk])
    with pytest.raises(ValidationError, match="closed"):
        poll_vote(
            voter=voter,
            poll=poll,
            choice_ids=[_choice(poll, "Water").pk],
            at=timezone.now() + timedelta(hours=2),
        )
    poll_close(actor=member, poll=poll)
    with pytest.raises(ValidationError, match="closed"):
        poll_vote(voter=voter, poll=poll, choice_ids=[_choice(poll, "Water").pk])
    assert _counts(poll) == (1, {"Tea": 1, "Coffee": 0, "Water": 0})


def test_locked_thread_pauses_voting(thread, member, moderator, make_poll):
    poll = make_poll(member, thread)
    thread_set_locked(actor=moderator, thread=thread, locked=True)
    with pytest.raises(ValidationError, match="locked"):
        poll_vote(voter=member, poll=poll, choice_ids=[_choice(poll, "Tea").pk])


def test_muted_member_cannot_vote(thread, member, make_member, make_poll):
    poll = make_poll(member, thread)
    muted = make_member(thread.community)
    muted.muted_until = timezone.now() + timedelta(days=1)
    muted.save()
    with pytest.raises(ValidationError, match="muted"):
        poll_vote(voter=muted, poll=poll, choice_ids=[_choice(poll, "Tea").pk])


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        (["Only one"], "at least 2"),
        (["A", "a "], "listed twice"),
        (["x" * 101, "B"], "limited to 100"),
        ([str(i) for i in range(21)], "at most 20"),
    ],
)
def test_bad_choices(thread, member, choices, message):
    with pytest.raises(ValidationError, match=message):
        poll_create(author=member, thread=thread, question="Q?", choices=choices)
    assert not Poll.objects.exists()


def test_close_time_in_the_past(thread, member):
    with pytest.raises(ValidationError, match="in the past"):
        poll_create(
            author=member,
            thread=thread,
            question="Q?",
            choices=["A", "B"],
            closes_at=timezone.now() - timedelta(1),
        )


def test_moderator_closing_someone_elses_poll_is_audited(thread, member, moderator, make_poll):
    poll = make_poll(member, thread)
    poll_close(actor=moderator, poll=poll)
    entry = AuditLogEntry.objects.get(action="poll_closed")
    assert entry.actor_id == moderator.user_id and entry.target_user_id == member.user_id
    own = make_poll(member, thread, question="Mine?")
    poll_close(actor=member, poll=own)
    assert AuditLogEntry.objects.filter(action="poll_closed").count() == 1


# --- Pages -------------------------------------------------------------------------------------


def test_add_poll_page_and_vote_without_js(client, thread, member, make_member):
    client.force_login(member.user)
    url = reverse("poll-new", args=[thread.community.slug, thread.pk])
    assert client.get(url).status_code == 200
    resp = client.post(
        url,
        {"question": "Where next?", "choices": "Park\nBeach\n\n", "privacy": "named", "results": "on_vote"},
    )
    assert resp.status_code == 302
    poll = Poll.objects.get()
    assert [c.label for c in poll.choices.all()] == ["Park", "Beach"]
    page = client.get(thread.get_absolute_url())
    assert "Where next?" in page.content.decode() and "Results show after you vote" in page.content.decode()
    resp = client.post(
        reverse("poll-vote", args=[thread.community.slug, poll.pk]), {"choice": _choice(poll, "Beach").pk}
    )
    assert resp.status_code == 302 and resp["Location"].endswith(f"#poll-{poll.pk}")
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "your vote" in html and "100%" in html


def test_bad_poll_form_keeps_what_was_typed(client, thread, member):
    client.force_login(member.user)
    url = reverse("poll-new", args=[thread.community.slug, thread.pk])
    resp = client.post(
        url, {"question": "Where next?", "choices": "Only one", "privacy": "named", "results": "on_vote"}
    )
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "at least 2" in html and "Where next?" in html and "Only one" in html
    resp = client.post(
        url,
        {
            "question": "Q",
            "choices": "A\nB",
            "privacy": "named",
            "results": "on_vote",
            "closes_at": "not a date",
        },
    )
    assert resp.status_code == 400 and "Enter a date and time" in resp.content.decode()
    assert not Poll.objects.exists()


def test_htmx_vote_returns_the_poll(client, thread, member, make_poll):
    poll = make_poll(member, thread)
    client.force_login(member.user)
    url = reverse("poll-vote", args=[thread.community.slug, poll.pk])
    resp = client.post(url, {"choice": _choice(poll, "Tea").pk}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200
    assert f'id="poll-{poll.pk}"' in resp.content.decode() and "100%" in resp.content.decode()
    resp = client.post(url, {}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 400 and "Choose an option" in resp.content.decode()


def test_bad_vote_input_is_a_message_not_a_500(client, thread, member, make_poll):
    poll = make_poll(member, thread)
    client.force_login(member.user)
    url = reverse("poll-vote", args=[thread.community.slug, poll.pk])
    for data in ({"choice": "abc"}, {"choice": "999999"}, {"choice": ["999998", "x"]}, {}):
        resp = client.post(url, data, follow=True)
        assert resp.status_code == 200
    assert PollBallot.objects.count() == 0


def test_results_after_close_only(client, thread, member, make_member, make_poll):
    poll = make_poll(member, thread, results="on_close")
    voter = make_member(thread.community)
    poll_vote(voter=voter, poll=poll, choice_ids=[_choice(poll, "Water").pk])
    client.force_login(voter.user)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "Results show when the poll closes" in html and "100%" not in html
    poll_close(actor=member, poll=poll)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "100%" in html and "Closed" in html


def test_rate_limited_votes(client, settings, thread, member, make_poll):
    settings.RATE_LIMITS_ENABLED = True
    poll = make_poll(member, thread)
    client.force_login(member.user)
    url = reverse("poll-vote", args=[thread.community.slug, poll.pk])
    ids = [c.pk for c in poll.choices.all()]
    statuses = [
        client.post(url, {"choice": ids[i % 3]}, HTTP_HX_REQUEST="true").status_code for i in range(22)
    ]
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429
    plain = client.post(url, {"choice": ids[0]})
    assert plain.status_code == 429 and int(plain["Retry-After"]) > 0
    assert "voting very fast" in plain.content.decode()
    assert PollBallot.objects.count() == 1
