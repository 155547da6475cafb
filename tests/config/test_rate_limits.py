"""Rate limits through the real views: a form post re-renders with the typed text and a message
saying when to retry (429 + Retry-After); htmx/JSON callers get 429 + Retry-After; per-IP limits
use the one client-IP helper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from communities.discussions.models import Post, Thread
from config.clientip import client_ip
from members.models import Invite, Membership
from moderation.models import Flag
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _limits_on(settings):
    settings.RATE_LIMITS_ENABLED = True
    cache.clear()
    yield
    cache.clear()


def _age(membership: Membership, days: int) -> Membership:
    Membership.objects.filter(pk=membership.pk).update(joined_at=timezone.now() - timedelta(days=days))
    membership.refresh_from_db()
    return membership


def _reply(client, thread, body, **headers):
    url = reverse("thread-reply", args=[thread.community.slug, thread.pk])
    return client.post(url, {"body": body}, **headers)


def test_reply_too_fast_rerenders_form_with_text_and_retry(client, thread, member):
    _age(member, 30)
    client.force_login(member.user)
    assert _reply(client, thread, "First reply").status_code == 302
    response = _reply(client, thread, "My carefully typed second reply")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 5
    html = response.content.decode()
    assert "My carefully typed second reply" in html  # the text is kept
    assert "You can post again in" in html
    assert Post.objects.filter(thread=thread, body_md="My carefully typed second reply").count() == 0


def test_new_member_reply_interval_is_30_seconds(client, thread, make_member, community):
    newbie = make_member(community)
    client.force_login(newbie.user)
    assert _reply(client, thread, "Hello all").status_code == 302
    response = _reply(client, thread, "Hello again")
    assert response.status_code == 429 and 5 < int(response["Retry-After"]) <= 30
    assert "for new members" in response.content.decode()


def test_reply_too_fast_htmx_and_json_get_429_with_retry_after(client, thread, member):
    _age(member, 30)
    client.force_login(member.user)
    assert _reply(client, thread, "one").status_code == 302
    htmx = _reply(client, thread, "two", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 429 and int(htmx["Retry-After"]) >= 1
    assert "post again" in htmx.json()["error"]
    as_json = _reply(client, thread, "three", HTTP_ACCEPT="application/json")
    assert as_json.status_code == 429 and as_json.json()["retry_after"] >= 1


def test_identical_reply_within_five_minutes_refused(client, thread, member, settings):
    _age(member, 30)
    client.force_login(member.user)
    assert _reply(client, thread, "Same words").status_code == 302
    cache.delete_many(
        [
            f"rl:post:{thread.community_id}:{member.user_id}:start",
            f"rl:post:{thread.community_id}:{member.user_id}:n",
        ]
    )  # past the 5 s interval
    response = _reply(client, thread, "Same words")
    assert response.status_code == 429 and 200 < int(response["Retry-After"]) <= 300
    assert "exactly this" in response.content.decode()
    assert Post.objects.filter(thread=thread, body_md="Same words").count() == 1


def _new_thread(client, community, space, title, body="Body text"):
    url = reverse("thread-new", args=[community.slug])
    return client.post(url, {"title": title, "space": space.pk, "body": body})


def test_thread_interval_and_first_day_cap(client, community, general_space, make_member):
    newbie = make_member(community)
    client.force_login(newbie.user)
    assert _new_thread(client, community, general_space, "First topic").status_code == 302
    response = _new_thread(client, community, general_space, "Second topic", "Typed body")
    assert response.status_code == 429 and 15 < int(response["Retry-After"]) <= 120
    html = response.content.decode()
    assert "Second topic" in html and "Typed body" in html
    # Past the interval (clear it), the first-day cap of 3 threads holds.
    for title in ("Second topic", "Third topic"):
        cache.delete_many(
            [
                f"rl:thread:{community.pk}:{newbie.user_id}:start",
                f"rl:thread:{community.pk}:{newbie.user_id}:n",
            ]
        )
        assert _new_thread(client, community, general_space, title, f"About {title}").status_code == 302
    cache.delete_many(
        [f"rl:thread:{community.pk}:{newbie.user_id}:start", f"rl:thread:{community.pk}:{newbie.user_id}:n"]
    )
    response = _new_thread(client, community, general_space, "Fourth topic", "Fourth body")
    assert response.status_code == 429 and int(response["Retry-After"]) > 23 * 3600
    assert "3 threads a day here on your first day" in response.content.decode()
    assert Thread.objects.filter(community=community, title="Fourth topic").count() == 0


def test_regular_member_thread_interval_15_seconds(client, community, general_space, member):
    _age(member, 30)
    client.force_login(member.user)
    assert _new_thread(client, community, general_space, "A topic", "a").status_code == 302
    response = _new_thread(client, community, general_space, "B topic", "b")
    assert response.status_code == 429 and 5 < int(response["Retry-After"]) <= 15


def test_flags_limited_to_20_a_day_through_the_view(
    client, community, thread, member, make_member, make_post, settings
):
    settings.RATE_LIMITS_ENABLED = False  # seeding the posts
    authors = [make_member(community) for _ in range(3)]
    posts = [make_post(authors[i % 3], thread, f"post {i}") for i in range(21)]
    settings.RATE_LIMITS_ENABLED = True
    client.force_login(member.user)
    for post in posts[:20]:
        url = reverse("post-flag", args=[community.slug, post.pk])
        assert client.post(url, {"reason": "spam"}).status_code == 302
    url = reverse("post-flag", args=[community.slug, posts[20].pk])
    response = client.post(url, {"reason": "other", "note": "My typed note"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 23 * 3600
    assert "My typed note" in response.content.decode()
    assert Flag.objects.filter(flagger_id=member.user_id).count() == 20


def test_invites_limited_to_10_a_day(client, community, owner):
    client.force_login(owner.user)
    url = reverse("invites", args=[community.slug])
    data = {"max_uses": 1, "expires_in": "7d", "note": ""}
    for _ in range(10):
        assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "note": "for my neighbour"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 23 * 3600
    html = response.content.decode()
    assert "for my neighbour" in html and "You can create another in" in html
    assert Invite.objects.filter(community=community, created_by=owner.user).count() == 10


def test_invite_token_guessing_gets_429_with_retry_after(client, db):
    for i in range(30):
        assert client.get(reverse("invite-landing", args=[f"guess{i}"])).status_code == 404
    response = client.get(reverse("invite-landing", args=["guess-more"]))
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    assert "Too many tries" in response.content.decode()
    # Another address is not affected.
    other = client.get(reverse("invite-landing", args=["x"]), REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 404


def test_invite_guessing_ignores_spoofed_forwarded_for(client, db, settings):
    settings.HEARTH_BEHIND_PROXY = False
    for i in range(30):
        client.get(reverse("invite-landing", args=[f"g{i}"]), HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    response = client.get(reverse("invite-landing", args=["g"]), HTTP_X_FORWARDED_FOR="10.1.1.1")
    assert response.status_code == 429  # same REMOTE_ADDR: rotating the header doesn't help


def test_client_ip_helper():
    rf = RequestFactory()
    spoofed = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    from django.test import override_settings

    with override_settings(HEARTH_BEHIND_PROXY=False):
        assert client_ip(spoofed) == "203.0.113.9"
    with override_settings(HEARTH_BEHIND_PROXY=True):
        # The proxy appended the real client on the right; the left entry is the client's forgery.
        proxied = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
        assert client_ip(proxied) == "198.51.100.7"
        assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.1")) == "127.0.0.1"
        garbage = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="not-an-ip")
        assert client_ip(garbage) == "127.0.0.1"


def test_allauth_failed_logins_get_429(client, make_user):
    user = make_user("loginvictim")
    url = reverse("account_login")
    statuses = [
        client.post(url, {"login": user.email, "password": "wrong password"}).status_code for _ in range(6)
    ]
    assert statuses[0] == 200  # the form again, with an error
    assert statuses[-1] == 429
    assert (
        "Too many failed login attempts"
        in client.post(url, {"login": user.email, "password": "x"}).content.decode()
    )
    # Even the right password is refused while limited.
    response = client.post(url, {"login": user.email, "password": PASSWORD})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_admin_login_limited_per_username_and_ip(client, make_user):
    make_user("boss", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(5):
        assert client.post(url, {"username": "boss", "password": "nope"}).status_code == 200
    response = client.post(url, {"username": "boss", "password": "nope"})
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert "Too many sign-in attempts" in response.content.decode()
    # Per IP: many usernames from one address.
    for i in range(4):
        client.post(url, {"username": f"u{i}", "password": "nope"})
    response = client.post(url, {"username": "someone-else", "password": "nope"})
    assert response.status_code == 429
    # A different address and username still gets the form.
    fresh = client.post(url, {"username": "x", "password": "nope"}, REMOTE_ADDR="10.2.3.4")
    assert fresh.status_code == 200


def test_refused_reply_can_be_resent_unchanged_after_the_wait(client, thread, member):
    """Being refused for speed must not make the same text count as an "identical post"."""
    _age(member, 30)
    client.force_login(member.user)
    assert _reply(client, thread, "First").status_code == 302
    assert _reply(client, thread, "Second, typed once").status_code == 429
    cache.delete_many(
        [
            f"rl:post:{thread.community_id}:{member.user_id}:start",
            f"rl:post:{thread.community_id}:{member.user_id}:n",
        ]
    )  # the 5 s have passed
    assert _reply(client, thread, "Second, typed once").status_code == 302
