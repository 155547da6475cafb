"""Double submits are harmless without the cache (issue 18, items 2 and 12).

Every create form carries a one-time submission key (a hidden field). The key is stored with a
unique constraint per person, so sending the same form again returns the first result instead
of creating a second object, whether or not Redis is there.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from communities.discussions.models import Post, Thread
from members.models import Invite, JoinRequest
from moderation.models import Flag

KEY = re.compile(r'name="submission_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="submission_key"')

# Nothing listens on port 1: every Redis call is refused at once (a cache that is down).
DOWN_CACHE = {
    "default": {
        "BACKEND": "config.cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def _key_from(html: str) -> str:
    match = KEY.search(html)
    assert match, "the form has no submission_key field"
    return match.group(1) or match.group(2)


def _form_key(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return _key_from(response.content.decode())


def test_every_create_form_has_a_fresh_key(client, community, member, thread):
    client.force_login(member.user)
    first = _form_key(client, thread.get_absolute_url())
    second = _form_key(client, thread.get_absolute_url())
    assert first != second and len(first) >= 20
    _form_key(client, reverse("thread-new", args=[community.slug]))
    _form_key(client, reverse("invites", args=[community.slug]))


def test_reply_sent_twice_is_stored_once(client, community, member, thread):
    client.force_login(member.user)
    key = _form_key(client, thread.get_absolute_url())
    url = reverse("thread-reply", args=[community.slug, thread.pk])
    first = client.post(url, {"body": "Only once please", "submission_key": key})
    second = client.post(url, {"body": "Only once please", "submission_key": key})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Post.objects.filter(thread=thread, body_md="Only once please").count() == 1


def test_a_refused_reply_does_not_use_up_its_key(client, community, member, thread):
    client.force_login(member.user)
    key = _form_key(client, thread.get_absolute_url())
    url = reverse("thread-reply", args=[community.slug, thread.pk])
    refused = client.post(url, {"body": "   ", "submission_key": key})
    assert refused.status_code == 400
    assert _key_from(refused.content.decode()) == key  # the re-rendered form keeps its key
    assert client.post(url, {"body": "Now with words", "submission_key": key}).status_code == 302
    assert Post.objects.filter(thread=thread, body_md="Now with words").count() == 1


def test_thread_sent_twice_is_created_once(client, community, member, general_space):
    client.force_login(member.user)
    url = reverse("thread-new", args=[community.slug])
    key = _form_key(client, url)
    data = {"title": "Twice?", "body": "Body", "space": general_space.pk, "submission_key": key}
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Thread.objects.filter(title="Twice?").count() == 1


def test_invite_form_sent_four_times_creates_one_invite(client, community, owner):
    """Item 12 (sequentially here; the concurrent version runs in tests/integration)."""
    client.force_login(owner.user)
    url = reverse("invites", args=[community.slug])
    key = _form_key(client, url)
    data = {"max_uses": 1, "expires_in": "7d", "note": "for Bea", "submission_key": key}
    before = Invite.objects.filter(community=community).count()
    responses = [client.post(url, data) for _ in range(4)]
    assert all(r.status_code == 302 for r in responses)
    assert Invite.objects.filter(community=community).count() == before + 1


def test_same_key_from_another_person_is_theirs(client, community, owner, moderator):
    url = reverse("invites", args=[community.slug])
    client.force_login(owner.user)
    key = _form_key(client, url)
    data = {"max_uses": 1, "expires_in": "7d", "note": "", "submission_key": key}
    client.post(url, data)
    client.force_login(moderator.user)
    client.post(url, data)
    assert Invite.objects.filter(community=community).count() == 2


def test_flag_sent_twice_is_one_flag(client, community, member, make_member, thread):
    other = make_member(community)
    client.force_login(other.user)
    post = Post.objects.get(thread=thread, is_opening=True)
    url = reverse("post-flag", args=[community.slug, post.pk])
    key = _form_key(client, url)
    data = {"reason": "spam", "note": "", "submission_key": key}
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code
    assert first.status_code in {200, 302}
    assert Flag.objects.filter(post=post).count() == 1


def test_join_request_sent_twice_is_one_request(client, make_community, make_user):
    community = make_community(join_policy="approval", screening_questions=["Why?"])
    user = make_user()
    client.force_login(user)
    url = reverse("community-join", args=[community.slug])
    key = _form_key(client, url)
    data = {"answer_1": "Because", "submission_key": key}
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert JoinRequest.objects.filter(community=community, user=user).count() == 1


def test_submission_service_returns_the_first_result(member, thread):
    from members.submissions.services import submit_once

    calls = []

    def create():
        calls.append(1)
        return Post.objects.create(
            thread=thread, community_id=thread.community_id, author_id=member.user_id, body_md="x"
        )

    key = "k" * 32
    first, repeated_first = submit_once(user_id=member.user_id, key=key, scope="reply", create=create,
                                        load=lambda pk: Post.objects.get(pk=pk))  # fmt: skip
    again, repeated_again = submit_once(user_id=member.user_id, key=key, scope="reply", create=create,
                                        load=lambda pk: Post.objects.get(pk=pk))  # fmt: skip
    assert first == again and calls == [1]
    assert (repeated_first, repeated_again) == (False, True)


# --- Item 2: with Redis down the duplicate guard and posting limits still hold -------------------


def test_identical_replies_with_the_cache_down_store_one_post(client, settings, community, member, thread):
    settings.CACHES = DOWN_CACHE
    settings.RATE_LIMITS_ENABLED = True
    client.force_login(member.user)
    url = reverse("thread-reply", args=[community.slug, thread.pk])
    statuses = [client.post(url, {"body": "Same words"}).status_code for _ in range(5)]
    assert statuses[0] == 302
    assert Post.objects.filter(thread=thread, body_md="Same words").count() == 1
    assert all(s in {400, 429} for s in statuses[1:]), statuses


def test_posting_interval_holds_with_the_cache_down(client, settings, community, member, thread):
    settings.CACHES = DOWN_CACHE
    settings.RATE_LIMITS_ENABLED = True
    client.force_login(member.user)
    url = reverse("thread-reply", args=[community.slug, thread.pk])
    assert client.post(url, {"body": "First words"}).status_code == 302
    response = client.post(url, {"body": "Other words right after"})
    assert response.status_code == 429
    assert "Retry-After" in response
    assert "Other words right after" in response.content.decode()  # the text is kept
    assert Post.objects.filter(thread=thread, is_opening=False).count() == 1
