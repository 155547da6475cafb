"""Who may see, vote in, add, close and list the voters of a poll (SECURITY.md answers:
N = 404 indistinguishable from a missing id, F = 403, L = log in first)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.discussions.services import post_delete, space_create, thread_create
from communities.polls.models import PollBallot
from communities.polls.services import poll_vote

pytestmark = pytest.mark.django_db


def _urls(poll):
    slug = poll.thread.community.slug
    return {
        "vote": ("post", reverse("poll-vote", args=[slug, poll.pk]), {"choice": poll.choices.first().pk}),
        "close": ("post", reverse("poll-close", args=[slug, poll.pk]), {}),
        "voters": ("get", reverse("poll-voters", args=[slug, poll.pk]), None),
        "new": ("get", reverse("poll-new", args=[slug, poll.thread_id]), None),
    }


def _call(client, method, url, data):
    return client.post(url, data) if method == "post" else client.get(url)


def _stable(body: bytes) -> bytes:
    """A page without its per-response random values (CSP nonce, CSRF token)."""
    import re

    return re.sub(rb'(nonce="[^"]*"|value="[^"]*"|"X-CSRFToken": "[^"]*")', b"", body)


def _closed(poll):
    from communities.polls.services import poll_close
    from members.models import Membership

    poll_close(actor=Membership.objects.get(community_id=poll.community_id, role="owner"), poll=poll)


@pytest.mark.parametrize("action", ["vote", "close", "voters", "new"])
@pytest.mark.parametrize(
    ("visibility", "who", "expected"),
    [
        ("secret", "outsider", 404),
        ("secret", "anonymous", 404),
        ("listed", "outsider", 403),
        ("listed", "anonymous", 302),  # log in first
    ],
)
def test_outsiders(
    client, make_community, make_member, make_thread, make_poll, outsider, visibility, who, expected, action
):
    community = make_community(visibility=visibility)
    author = make_member(community)
    poll = make_poll(author, make_thread(author))
    _closed(poll)  # results visible to readers: only access decides
    if who == "outsider":
        client.force_login(outsider)
    method, url, data = _urls(poll)[action]
    resp = _call(client, method, url, data)
    assert resp.status_code == expected
    if expected == 302:
        assert "/accounts/login/" in resp["Location"]
    assert PollBallot.objects.count() == 0


def test_secret_404_is_the_same_as_a_missing_poll(
    client, make_community, make_member, make_thread, make_poll, outsider
):
    community = make_community(visibility="secret")
    author = make_member(community)
    poll = make_poll(author, make_thread(author))
    client.force_login(outsider)
    hidden = client.get(reverse("poll-voters", args=[community.slug, poll.pk]))
    missing = client.get(reverse("poll-voters", args=[community.slug, poll.pk + 1000]))
    assert hidden.status_code == missing.status_code == 404
    assert _stable(hidden.content) == _stable(missing.content)


@pytest.mark.parametrize("action", ["vote", "close", "voters", "new"])
def test_restricted_space_is_404_below_its_role(client, community, owner, member, make_poll, action):
    space = space_create(community=community, name="Staff room", min_role="moderator")
    thread = thread_create(author=owner, space=space, title="Staff only", body_md="Secret plans")
    poll = make_poll(owner, thread)
    _closed(poll)
    client.force_login(member.user)
    method, url, data = _urls(poll)[action]
    assert _call(client, method, url, data).status_code == 404
    assert PollBallot.objects.count() == 0


def test_restricted_space_poll_not_on_a_members_pages(client, community, owner, member, make_poll):
    space = space_create(community=community, name="Staff room", min_role="moderator")
    thread = thread_create(author=owner, space=space, title="Staff only", body_md="Secret plans")
    make_poll(owner, thread, question="Secret question?")
    client.force_login(member.user)
    assert client.get(thread.get_absolute_url()).status_code == 404
    assert "Secret question?" not in client.get(community.get_absolute_url()).content.decode()


def test_poll_id_of_another_community_is_404(
    client, make_community, make_member, make_thread, make_poll, member
):
    elsewhere = make_community()
    author = make_member(elsewhere)
    poll = make_poll(author, make_thread(author))
    make_member(elsewhere, user=member.user)  # the member belongs to both: still 404 through the wrong slug
    client.force_login(member.user)
    slug = member.community.slug
    assert (
        client.post(
            reverse("poll-vote", args=[slug, poll.pk]), {"choice": poll.choices.first().pk}
        ).status_code
        == 404
    )
    assert client.get(reverse("poll-voters", args=[slug, poll.pk])).status_code == 404
    assert PollBallot.objects.count() == 0


def test_removed_thread_hides_its_poll(client, thread, member, make_member, make_poll):
    poll = make_poll(member, thread)
    post_delete(actor=member, post=thread.posts.get(is_opening=True))
    other = make_member(thread.community)
    client.force_login(other.user)
    assert (
        client.post(
            reverse("poll-vote", args=[thread.community.slug, poll.pk]), {"choice": poll.choices.first().pk}
        ).status_code
        == 404
    )


def test_only_the_thread_author_and_staff_add_polls(client, thread, member, make_member, moderator):
    other = make_member(thread.community)
    url = reverse("poll-new", args=[thread.community.slug, thread.pk])
    data = {"question": "Q?", "choices": "A\nB", "privacy": "named", "results": "on_vote"}
    client.force_login(other.user)
    assert client.get(url).status_code == 403
    assert client.post(url, data).status_code == 403
    client.force_login(moderator.user)
    assert client.post(url, data).status_code == 302
    client.force_login(member.user)
    assert client.post(url, data).status_code == 302
    assert thread.polls.count() == 2


def test_only_the_poll_author_and_staff_close(client, thread, member, make_member, moderator, make_poll):
    poll = make_poll(member, thread)
    other = make_member(thread.community)
    url = reverse("poll-close", args=[thread.community.slug, poll.pk])
    client.force_login(other.user)
    assert client.post(url).status_code == 403
    poll.refresh_from_db()
    assert poll.closes_at is None
    client.force_login(moderator.user)
    assert client.post(url).status_code == 302
    poll.refresh_from_db()
    assert poll.closes_at is not None


def test_non_member_of_public_community_reads_but_cannot_vote(
    client, make_community, make_member, make_thread, make_poll, outsider
):
    community = make_community(visibility="public", join_policy="open")
    author = make_member(community)
    thread = make_thread(author)
    poll = make_poll(author, thread, question="Public question?")
    client.force_login(outsider)
    assert "Public question?" in client.get(thread.get_absolute_url()).content.decode()
    resp = client.post(
        reverse("poll-vote", args=[community.slug, poll.pk]), {"choice": poll.choices.first().pk}
    )
    assert resp.status_code == 403
    client.logout()
    resp = client.post(
        reverse("poll-vote", args=[community.slug, poll.pk]), {"choice": poll.choices.first().pk}
    )
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]
    assert PollBallot.objects.count() == 0


def test_voters_page_waits_for_the_results(client, thread, member, make_member, make_poll):
    poll = make_poll(member, thread)
    voter = make_member(thread.community)
    url = reverse("poll-voters", args=[thread.community.slug, poll.pk])
    client.force_login(voter.user)
    assert client.get(url).status_code == 403
    poll_vote(voter=voter, poll=poll, choice_ids=[poll.choices.first().pk])
    resp = client.get(url)
    assert resp.status_code == 200 and voter.user.handle in resp.content.decode()


def test_anonymous_poll_has_no_voters_page_even_for_the_owner(client, thread, member, owner, make_poll):
    poll = make_poll(member, thread, anonymous=True)
    poll_vote(voter=member, poll=poll, choice_ids=[poll.choices.first().pk])
    _closed(poll)
    client.force_login(owner.user)
    assert client.get(reverse("poll-voters", args=[thread.community.slug, poll.pk])).status_code == 404
