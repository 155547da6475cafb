"""A muted member on the discussion pages: the composers say until when, a reply is refused
with the message and the typed text kept, and reacting is refused (htmx and plain POST)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.discussions.models import Post, Reaction
from moderation.sanctions import member_mute

pytestmark = pytest.mark.django_db

NOTICE = "so you can't post or react here until then"


@pytest.fixture
def muted(moderator, member, thread):
    member_mute(actor=moderator, target=member, days=2, reason="Cool down")  # after the thread exists
    member.refresh_from_db()
    return member


def test_composers_show_the_mute_notice(client, muted, thread):
    client.force_login(muted.user)
    assert NOTICE in client.get(thread.get_absolute_url()).content.decode()
    assert NOTICE in client.get(reverse("thread-new", args=[thread.community.slug])).content.decode()


def test_composers_have_no_notice_when_not_muted(client, member, thread):
    client.force_login(member.user)
    assert NOTICE not in client.get(thread.get_absolute_url()).content.decode()


def test_muted_reply_is_refused_with_message_and_text_kept(client, muted, thread):
    client.force_login(muted.user)
    before = Post.objects.count()
    resp = client.post(
        reverse("thread-reply", args=[thread.community.slug, thread.pk]),
        {"body": "My carefully typed reply"},
    )
    assert resp.status_code == 400
    content = resp.content.decode()
    assert "You are muted in this community until" in content
    assert "My carefully typed reply" in content
    assert Post.objects.count() == before


def test_muted_new_thread_is_refused_with_message_and_text_kept(client, muted, general_space):
    client.force_login(muted.user)
    resp = client.post(
        reverse("thread-new", args=[muted.community.slug]),
        {"title": "A title I typed", "space": general_space.pk, "body": "A body I typed"},
    )
    assert resp.status_code == 400
    content = resp.content.decode()
    assert "You are muted in this community until" in content
    assert "A title I typed" in content and "A body I typed" in content


def test_muted_member_cannot_react_htmx(client, muted, thread):
    post = thread.posts.get()
    client.force_login(muted.user)
    url = reverse("post-react", args=[thread.community.slug, post.pk])
    resp = client.post(url, {"kind": "heart"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 403
    assert "You are muted in this community until" in resp.content.decode()
    assert "can't react" in resp.content.decode()
    assert not Reaction.objects.filter(post=post).exists()


def test_muted_member_cannot_react_plain_post(client, muted, thread):
    post = thread.posts.get()
    client.force_login(muted.user)
    url = reverse("post-react", args=[thread.community.slug, post.pk])
    resp = client.post(url, {"kind": "heart"}, follow=True)
    assert resp.status_code == 200
    assert "You are muted in this community until" in resp.content.decode()
    assert not Reaction.objects.filter(post=post).exists()


def test_unmuted_member_reacts(client, member, thread):
    post = thread.posts.get()
    client.force_login(member.user)
    url = reverse("post-react", args=[thread.community.slug, post.pk])
    assert client.post(url, {"kind": "heart"}, HTTP_HX_REQUEST="true").status_code == 200
    assert Reaction.objects.filter(post=post, user=member.user, kind="heart").exists()
