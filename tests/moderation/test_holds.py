from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from communities.discussions.models import Post, PostEvent, PostEventKind, PostStatus, Thread
from communities.discussions.services import post_create, thread_create
from members.notifications.models import Notification
from moderation.hooks import PostingRefused
from moderation.models import WordFilter
from moderation.services import post_approve, post_reject


@pytest.fixture
def held_community(community):
    community.hold_first_posts = 1
    community.save()
    return community


def test_first_post_of_new_member_is_held_and_invisible_to_others(
    client, held_community, general_space, make_member, moderator
):
    newcomer = make_member(held_community)
    thread = thread_create(author=newcomer, space=general_space, title="Hello all", body_md="My first words")
    post = thread.posts.get()
    thread.refresh_from_db()
    assert post.status == PostStatus.HELD and post.published_at is None
    assert thread.removed_at is not None
    assert Notification.objects.filter(
        recipient=newcomer.user, post=post, text__contains="awaiting review"
    ).exists()

    other = make_member(held_community)
    client.force_login(other.user)
    assert client.get(thread.get_absolute_url()).status_code == 404
    assert b"Hello all" not in client.get(held_community.get_absolute_url()).content

    client.force_login(newcomer.user)
    page = client.get(thread.get_absolute_url())
    assert page.status_code == 200
    assert b"My first words" in page.content and b"Awaiting review" in page.content

    post_approve(actor=moderator, post=post)
    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED and post.published_at is not None
    assert thread.removed_at is None
    assert PostEvent.objects.get(post=post).kind == PostEventKind.APPROVED
    client.force_login(other.user)
    assert b"My first words" in client.get(thread.get_absolute_url()).content
    assert b"Hello all" in client.get(held_community.get_absolute_url()).content

    # Only the first N posts wait: the next one is published at once.
    reply = post_create(author=newcomer, thread=thread, body_md="Second post")
    assert reply.status == PostStatus.PUBLISHED


def test_held_reply_does_not_count_until_approved(held_community, thread, make_member, moderator):
    newcomer = make_member(held_community)
    reply = post_create(author=newcomer, thread=thread, body_md="A careful reply")
    thread.refresh_from_db()
    assert reply.status == PostStatus.HELD
    assert thread.reply_count == 0
    post_approve(actor=moderator, post=reply)
    thread.refresh_from_db()
    assert thread.reply_count == 1


def test_rejected_held_post_stays_invisible(client, held_community, thread, make_member, moderator):
    newcomer = make_member(held_community)
    reply = post_create(author=newcomer, thread=thread, body_md="Buy cheap watches")
    post_reject(actor=moderator, post=reply, reason="Advertising")
    reply.refresh_from_db()
    assert reply.status == PostStatus.REJECTED
    assert PostEvent.objects.get(post=reply).kind == PostEventKind.REJECTED
    client.force_login(newcomer.user)
    assert b"Buy cheap watches" not in client.get(thread.get_absolute_url()).content
    assert Notification.objects.filter(recipient=newcomer.user, text__contains="Advertising").exists()


def test_staff_posts_are_never_held(held_community, general_space, moderator):
    thread = thread_create(author=moderator, space=general_space, title="Rules", body_md="Be kind")
    assert thread.posts.get().status == PostStatus.PUBLISHED


def test_word_filter_hold(community, thread, make_member):
    WordFilter.objects.create(community=community, phrase="crypto", action="hold")
    author = make_member(community)
    held = post_create(author=author, thread=thread, body_md="Let's talk about CRYPTO today")
    assert held.status == PostStatus.HELD
    fine = post_create(author=author, thread=thread, body_md="Cryptography is fun")  # whole words only
    assert fine.status == PostStatus.PUBLISHED


def test_word_filter_block_refuses_with_message(community, general_space, thread, make_member):
    WordFilter.objects.create(community=community, phrase="idiot", action="block")
    author = make_member(community)
    with pytest.raises(PostingRefused) as exc:
        post_create(author=author, thread=thread, body_md="You idiot.")
    assert isinstance(exc.value, ValidationError)
    assert "“idiot”" in exc.value.messages[0] and "text is kept" in exc.value.messages[0]
    with pytest.raises(PostingRefused):
        thread_create(author=author, space=general_space, title="Idiot question", body_md="hi")
    assert not Post.objects.filter(author=author.user).exists()
    assert not Thread.objects.filter(author=author.user).exists()


def test_word_filter_page(client, community, moderator, member):
    url = reverse("mod-word-filters", args=[community.slug])
    client.force_login(moderator.user)
    assert client.post(url, {"phrase": "  Spam  Word ", "action": "block"}).status_code == 302
    wf = WordFilter.objects.get(community=community)
    assert (wf.phrase, wf.action) == ("spam word", "block")
    duplicate = client.post(url, {"phrase": "spam word", "action": "hold"})
    assert duplicate.status_code == 400 and b"already in the filter" in duplicate.content
    delete = client.post(reverse("mod-word-filter-delete", args=[community.slug, wf.pk]))
    assert delete.status_code == 302 and not WordFilter.objects.exists()


def test_approved_held_reply_notifies_followers_quoted_and_mentioned_once(
    held_community, thread, make_member, moderator, django_capture_on_commit_callbacks
):
    from communities.discussions.models import SubscriptionLevel
    from communities.discussions.services import thread_subscribe
    from moderation.queue import queue_decide_held
    from moderation.services import AlreadyHandled

    opener = thread.posts.get()
    if opener.status == PostStatus.HELD:  # the cast member's own first post waits too
        post_approve(actor=moderator, post=opener)
        opener.refresh_from_db()
    follower = make_member(held_community)
    thread_subscribe(user_id=follower.user_id, thread=thread, level=SubscriptionLevel.FOLLOWING)
    mentioned = make_member(held_community)
    newcomer = make_member(held_community)
    with django_capture_on_commit_callbacks(execute=True):
        reply = post_create(
            author=newcomer, thread=thread, body_md=f"Hello @{mentioned.user.handle}", reply_to=opener
        )
    assert reply.status == PostStatus.HELD
    # Held: nobody but the author hears about it yet.
    assert not Notification.objects.filter(post=reply).exclude(recipient=newcomer.user).exists()

    with django_capture_on_commit_callbacks(execute=True):
        queue_decide_held(actor=moderator, post=reply, approve=True)
    by_recipient = dict(
        Notification.objects.filter(post=reply)
        .exclude(recipient=newcomer.user)
        .values_list("recipient", "kind")
    )
    assert by_recipient == {
        follower.user_id: Notification.Kind.REPLY,
        mentioned.user_id: Notification.Kind.MENTION,
        opener.author_id: Notification.Kind.QUOTE,
    }
    # A second approval is refused and sends nothing more.
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AlreadyHandled):
        post_approve(actor=moderator, post=reply)
    assert Notification.objects.filter(post=reply).exclude(recipient=newcomer.user).count() == 3


def test_approved_held_thread_notifies_mentioned(
    held_community, general_space, make_member, moderator, django_capture_on_commit_callbacks
):
    mentioned = make_member(held_community)
    newcomer = make_member(held_community)
    with django_capture_on_commit_callbacks(execute=True):
        thread = thread_create(
            author=newcomer, space=general_space, title="Hi", body_md=f"Ping @{mentioned.user.handle}"
        )
    post = thread.posts.get()
    assert not Notification.objects.filter(recipient=mentioned.user).exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        post_approve(actor=moderator, post=post)
    assert len(callbacks) >= 1
    assert Notification.objects.filter(recipient=mentioned.user, post=post, kind="mention").count() == 1
