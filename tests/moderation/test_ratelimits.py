from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from communities.discussions.models import Post
from communities.discussions.services import post_create, thread_create
from communities.models import Space
from members.models import Membership
from moderation.models import CommunityLimits
from moderation.ratelimit import Limit, RateLimited, describe_wait, hit, rate_limited_response


@pytest.fixture
def veteran(community, make_member):
    """A member who joined long ago (the regular limits apply)."""
    m = make_member(community)
    Membership.objects.filter(pk=m.pk).update(joined_at=timezone.now() - timedelta(days=30))
    m.refresh_from_db()
    return m


def test_helper_counts_and_says_when(rate_limits_on):
    limit = Limit("test", 2, 60)
    hit(limit, "a", message="Wait {when}.")
    hit(limit, "a", message="Wait {when}.")
    with pytest.raises(RateLimited) as exc:
        hit(limit, "a", message="Wait {when}.")
    assert exc.value.messages == ["Wait in 1 minute."] and exc.value.retry_after == 60
    hit(limit, "b", message="Wait {when}.")  # per identity
    assert describe_wait(1) == "in 1 second" and describe_wait(61) == "in 2 minutes"
    assert describe_wait(7200) == "in 2 hours"


def test_reply_interval_for_regular_and_new_members(rate_limits_on, community, thread, veteran, make_member):
    post_create(author=veteran, thread=thread, body_md="one")
    with pytest.raises(RateLimited) as exc:
        post_create(author=veteran, thread=thread, body_md="two")
    assert exc.value.retry_after == 5
    assert "You can post again in 5 seconds" in exc.value.messages[0]
    newcomer = make_member(community)
    post_create(author=newcomer, thread=thread, body_md="hello")
    with pytest.raises(RateLimited) as exc:
        post_create(author=newcomer, thread=thread, body_md="again")
    assert exc.value.retry_after == 30 and "for new members" in exc.value.messages[0]
    assert Post.objects.filter(body_md__in=["two", "again"]).count() == 0


def test_identical_post_within_five_minutes(rate_limits_on, community, thread, veteran):
    CommunityLimits.objects.create(community=community, post_interval_seconds=0)
    post_create(author=veteran, thread=thread, body_md="Same words")
    with pytest.raises(RateLimited, match="exactly this") as exc:
        post_create(author=veteran, thread=thread, body_md="  Same words ")
    assert 290 < exc.value.retry_after <= 300
    assert post_create(author=veteran, thread=thread, body_md="Different words").pk


def test_threads_per_day_first_day_and_interval(rate_limits_on, community, veteran, make_member):
    space = Space.objects.get(community=community, slug="general")
    CommunityLimits.objects.create(
        community=community,
        thread_interval_seconds=0,
        new_member_thread_interval_seconds=0,
        threads_per_day=4,
    )
    newcomer = make_member(community)
    for i in range(3):
        thread_create(author=newcomer, space=space, title=f"t{i}", body_md=f"b{i}")
    with pytest.raises(RateLimited) as exc:
        thread_create(author=newcomer, space=space, title="t3", body_md="b3")
    assert "3 threads a day here on your first day" in exc.value.messages[0]
    assert exc.value.retry_after > 23 * 3600
    for i in range(4):
        thread_create(author=veteran, space=space, title=f"v{i}", body_md=f"v{i}")
    with pytest.raises(RateLimited, match="4 threads a day"):
        thread_create(author=veteran, space=space, title="v4", body_md="v4")


def test_thread_interval_default(rate_limits_on, community, veteran):
    space = Space.objects.get(community=community, slug="general")
    thread_create(author=veteran, space=space, title="a", body_md="a")
    with pytest.raises(RateLimited) as exc:
        thread_create(author=veteran, space=space, title="b", body_md="b")
    assert exc.value.retry_after == 15


def test_staff_are_not_rate_limited(rate_limits_on, community, thread, moderator):
    for i in range(3):
        post_create(author=moderator, thread=thread, body_md=f"announcement {i}")


def test_limits_off_when_disabled(settings, community, thread, veteran):
    settings.RATE_LIMITS_ENABLED = False
    for _ in range(3):
        post_create(author=veteran, thread=thread, body_md="same")


def test_429_for_htmx_and_json(rate_limits_on):
    exc = RateLimited("Slow down. You can post again in 5 seconds.", retry_after=5)
    factory = RequestFactory()
    response = rate_limited_response(factory.post("/", HTTP_HX_REQUEST="true"), exc)
    assert response.status_code == 429 and response["Retry-After"] == "5"
    assert b"You can post again in 5 seconds" in response.content
    assert rate_limited_response(factory.post("/", HTTP_ACCEPT="application/json"), exc).status_code == 429
    assert rate_limited_response(factory.post("/"), exc) is None  # plain forms re-render instead
