from __future__ import annotations

import pytest
from django.urls import reverse

from communities.discussions.models import Post, PostEvent, PostEventKind
from members.notifications.models import Notification
from moderation.hooks import FlagError, flag_create
from moderation.models import Flag
from moderation.ratelimit import RateLimited


def _opening(thread) -> Post:
    return thread.posts.get(is_opening=True)


def test_threshold_of_distinct_flaggers_hides_post_pending_review(community, thread, flag_post):
    post = _opening(thread)
    flag_post(post, n=2)
    post.refresh_from_db()
    assert post.removed_at is None
    flag_post(post, n=1, reason="harassment", note="rude")
    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.removed_at is not None
    assert thread.removed_at is not None  # opening post removes its thread
    event = PostEvent.objects.get(post=post)
    assert event.kind == PostEventKind.REMOVED and event.actor_id is None
    assert Notification.objects.filter(recipient_id=post.author_id, post=post).exists()


def test_threshold_follows_owner_setting(community, thread, make_post, member, make_member, flag_post):
    community.flag_threshold = 1
    community.save()
    reply = make_post(make_member(community), thread)
    thread.refresh_from_db()
    assert thread.reply_count == 1
    flag_post(reply)
    reply.refresh_from_db()
    thread.refresh_from_db()
    assert reply.removed_at is not None
    assert thread.reply_count == 0  # counts keep meaning "published and not removed"
    assert thread.removed_at is None


def test_one_flag_per_member_per_post(community, thread, make_member):
    post = _opening(thread)
    flagger = make_member(community)
    flag_create(membership=flagger, post=post, reason="spam")
    with pytest.raises(FlagError, match="already flagged"):
        flag_create(membership=flagger, post=post, reason="other", note="again")
    assert Flag.objects.filter(post=post).count() == 1


def test_cannot_flag_own_post(member, thread):
    with pytest.raises(FlagError, match="own post"):
        flag_create(membership=member, post=_opening(thread), reason="spam")
    assert not Flag.objects.exists()


def test_other_reason_needs_a_note(community, thread, make_member):
    with pytest.raises(FlagError, match="note"):
        flag_create(membership=make_member(community), post=_opening(thread), reason="other")


def test_flag_page_flow(client, community, thread, make_member):
    post = _opening(thread)
    flagger = make_member(community)
    client.force_login(flagger.user)
    url = reverse("post-flag", args=[community.slug, post.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b"Harassment" in page.content
    response = client.post(url, {"reason": "harassment", "note": "Called me names"})
    assert response.status_code == 302
    flag = Flag.objects.get(post=post)
    assert (flag.flagger_id, flag.reason, flag.note) == (flagger.user_id, "harassment", "Called me names")
    again = client.post(url, {"reason": "spam"})
    assert again.status_code == 400
    assert b"already flagged" in again.content


def test_flag_page_refuses_own_post(client, community, member, thread):
    client.force_login(member.user)
    response = client.get(reverse("post-flag", args=[community.slug, _opening(thread).pk]))
    assert response.status_code == 403
    assert b"your own post" in response.content


def test_thread_page_links_to_flag_form(client, community, thread, make_member):
    client.force_login(make_member(community).user)
    page = client.get(thread.get_absolute_url())
    assert reverse("post-flag", args=[community.slug, _opening(thread).pk]).encode() in page.content


def test_flag_rate_limit_per_day_keeps_the_note(client, settings, community, make_member, make_thread):
    author = make_member(community)
    flagger = make_member(community)
    threads = [make_thread(author, body=f"Post number {i}") for i in range(21)]
    settings.RATE_LIMITS_ENABLED = True
    for t in threads[:20]:
        flag_create(membership=flagger, post=_opening(t), reason="spam")
    with pytest.raises(RateLimited) as exc:
        flag_create(membership=flagger, post=_opening(threads[20]), reason="spam")
    assert "20 posts a day" in exc.value.messages[0]
    assert exc.value.retry_after > 23 * 3600
    client.force_login(flagger.user)
    response = client.post(
        reverse("post-flag", args=[community.slug, _opening(threads[20]).pk]),
        {"reason": "other", "note": "My carefully written note"},
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 23 * 3600
    assert b"You can flag again in 24 hours" in response.content
    assert b"My carefully written note" in response.content
    assert Flag.objects.filter(flagger_id=flagger.user_id).count() == 20


def test_hidden_reply_visible_only_to_author_and_moderators(
    client, community, thread, make_member, moderator
):
    from moderation.services import post_hide

    author = make_member(community)
    reply = post_create_reply(author, thread, "A heated reply")
    post_hide(actor=moderator, post=reply, reason="Too heated")
    other = make_member(community)
    client.force_login(other.user)
    assert b"A heated reply" not in client.get(thread.get_absolute_url()).content
    client.force_login(author.user)
    page = client.get(thread.get_absolute_url()).content
    assert b"A heated reply" in page and b"Hidden by the moderators" in page
    client.force_login(moderator.user)
    page = client.get(thread.get_absolute_url()).content
    assert b"A heated reply" in page and b'value="restore"' in page


def post_create_reply(author, thread, body):
    from communities.discussions.services import post_create

    return post_create(author=author, thread=thread, body_md=body)
