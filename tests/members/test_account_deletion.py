"""Personal data: the download, and account deletion that keeps the communities' history whole."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from communities.discussions.models import Post, PostEvent, Reaction, Thread
from communities.discussions.services import post_create, thread_create
from members.account.services import account_delete
from members.models import Membership, MembershipEvent, MembershipStatus, Role, User
from members.notifications.models import Notification
from members.notifications.services import notification_create
from members.services import MembershipError
from moderation.models import Flag
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(community, owner, member, make_member, general_space):
    """A member with two weeks of posts in a thread they opened, replies by others, a reaction
    and a flag; all before today."""
    past = timezone.now() - timedelta(days=14)
    other = make_member(community)
    thread = thread_create(author=member, space=general_space, title="My thread", body_md="opening", at=past)
    reply = post_create(author=other, thread=thread, body_md="other's reply", at=past + timedelta(hours=1))
    mine = post_create(author=member, thread=thread, body_md="my reply", at=past + timedelta(hours=2))
    their_thread = thread_create(author=other, space=general_space, title="Theirs", body_md="x", at=past)
    my_reply_elsewhere = post_create(
        author=member, thread=their_thread, body_md="hi", at=past + timedelta(hours=3)
    )
    Reaction.objects.create(post=reply, user=member.user, kind="heart", created_at=past + timedelta(hours=4))
    Flag.objects.create(community=community, post=reply, flagger=member.user, reason="spam", created_at=past)
    notification_create(recipient_id=member.user_id, kind="reply", text="someone replied")
    return {
        "thread": thread,
        "mine": mine,
        "reply": reply,
        "their_thread": their_thread,
        "elsewhere": my_reply_elsewhere,
        "other": other,
    }


def _past_inputs(community, before):
    """What the metrics read for days before ``before``: posts, post events, membership events."""
    return (
        sorted(
            Post.objects.filter(community=community, created_at__lt=before).values_list(
                "pk", "created_at", "author_id"
            )
        ),
        sorted(
            PostEvent.objects.filter(post__community=community, at__lt=before).values_list("pk", "kind", "at")
        ),
        sorted(
            MembershipEvent.objects.filter(community=community, at__lt=before).values_list(
                "pk", "kind", "user_id", "at"
            )
        ),
        sorted(
            Reaction.objects.filter(post__community=community, created_at__lt=before).values_list(
                "pk", "created_at"
            )
        ),
    )


def test_delete_keeping_posts_anonymises_and_records_leaving(client, community, member, history):
    from members.profiles.models import Profile

    Profile.objects.filter(user=member.user).update(bio="I keep bees in Ghent.", share_email_in_exports=True)
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    before = _past_inputs(community, today)
    client.force_login(member.user)
    response = client.post(
        reverse("account-delete"), {"posts": "keep", "password": PASSWORD, "confirm": "on"}
    )
    assert response.status_code == 302

    user = User.objects.get(pk=member.user_id)
    assert user.handle.startswith("deleted_") and user.display_name == "Deleted member"
    assert user.email == "" and not user.has_usable_password() and not user.is_active
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Notification.objects.filter(recipient=user).exists()
    # Profile and settings are erased (no bio, no email sharing left behind).
    assert not Profile.objects.filter(user=user).exclude(bio="").exists()
    assert not Profile.objects.filter(user=user, share_email_in_exports=True).exists()
    # The membership ended with a LEFT event; nothing before today changed.
    m = Membership.objects.get(pk=member.pk)
    assert m.status == MembershipStatus.LEFT
    assert MembershipEvent.objects.filter(membership=m, kind="left").count() == 1
    assert _past_inputs(community, today) == before
    # Threads are whole: their posts are still there, live, by the anonymised account.
    thread = Thread.objects.get(pk=history["thread"].pk)
    assert thread.removed_at is None and thread.posts.filter(removed_at__isnull=True).count() == 3
    assert Post.objects.get(pk=history["mine"].pk).body_md == "my reply"
    # Logged out, and the session no longer authenticates.
    assert client.get(reverse("my-data")).status_code == 302


def test_delete_removing_posts_removes_their_threads_like_a_moderator(client, community, member, history):
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    before = _past_inputs(community, today)
    client.force_login(member.user)
    client.post(reverse("account-delete"), {"posts": "remove", "password": PASSWORD, "confirm": "on"})

    # Their posts are removed (with a removal event now) and their text erased.
    for key in ("mine", "elsewhere"):
        post = Post.objects.get(pk=history[key].pk)
        assert post.removed_at is not None and post.body_md == ""
        assert PostEvent.objects.filter(post=post, kind="removed").count() == 1
    # The thread they opened is removed as a whole; others' threads stay, reply counts follow.
    assert Thread.objects.get(pk=history["thread"].pk).removed_at is not None
    their = Thread.objects.get(pk=history["their_thread"].pk)
    assert their.removed_at is None and their.reply_count == 0
    # Other people's words are untouched.
    assert Post.objects.get(pk=history["reply"].pk).body_md == "other's reply"
    # Past days' metric inputs are the same: removals are recorded today, not rewritten.
    assert _past_inputs(community, today) == before


def test_wrong_password_changes_nothing_and_keeps_the_choice(client, member, history):
    client.force_login(member.user)
    response = client.post(
        reverse("account-delete"), {"posts": "remove", "password": "nope", "confirm": "on"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "That is not your password." in body
    assert re.search(r'<input[^>]*value="remove"[^>]*checked', body)
    assert User.objects.get(pk=member.user_id).is_active
    assert Membership.objects.get(pk=member.pk).status == MembershipStatus.ACTIVE


def test_only_owner_must_hand_over_first(client, community, owner):
    client.force_login(owner.user)
    response = client.post(
        reverse("account-delete"), {"posts": "keep", "password": PASSWORD, "confirm": "on"}
    )
    assert response.status_code == 400
    assert "Hand over ownership first" in response.content.decode()
    assert User.objects.get(pk=owner.user_id).is_active
    with pytest.raises(MembershipError):
        account_delete(user=owner.user)


def test_owner_with_a_co_owner_can_delete(community, owner, make_member):
    make_member(community, role=Role.OWNER)
    account_delete(user=owner.user)
    assert Membership.objects.get(pk=owner.pk).status == MembershipStatus.LEFT


def test_delete_is_post_only_and_needs_login(client):
    assert client.get(reverse("account-delete")).status_code == 405
    response = client.post(reverse("account-delete"), {"posts": "keep", "password": "x", "confirm": "on"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_personal_data_download_has_everything_of_theirs_and_nothing_of_others(client, member, history):
    from members.profiles.models import Profile

    Profile.objects.filter(user=member.user).update(bio="Beekeeper.")
    client.force_login(member.user)
    response = client.get(reverse("my-data-download"))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        profile = json.loads(zf.read("profile.json"))
        posts = [json.loads(line) for line in zf.read("posts.jsonl").splitlines()]
        reactions = zf.read("reactions.jsonl").splitlines()
        flags = zf.read("flags.jsonl").splitlines()
        memberships = [json.loads(line) for line in zf.read("memberships.jsonl").splitlines()]
        notifications = zf.read("notifications.jsonl").splitlines()
    assert profile["handle"] == member.user.handle and profile["email"] == member.user.email
    assert profile["settings"]["profile"][0]["bio"] == "Beekeeper."
    assert {p["body_md"] for p in posts} == {"opening", "my reply", "hi"}
    assert len(reactions) == 1 and len(flags) == 1 and len(notifications) == 1
    assert memberships[0]["community_slug"] == member.community.slug
    assert b"other's reply" not in data


def test_personal_data_download_has_the_reactions_they_took_back(client, member, history):
    """A reaction taken back is kept for the metrics (docs/metrics.md §2), so it is their data too."""
    from communities.discussions.services import reaction_toggle

    assert reaction_toggle(user_id=member.user_id, post=history["mine"], kind="tada") is True
    assert reaction_toggle(user_id=member.user_id, post=history["mine"], kind="tada") is False
    client.force_login(member.user)
    data = b"".join(client.get(reverse("my-data-download")).streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        taken_back = [json.loads(line) for line in zf.read("reactions_taken_back.jsonl").splitlines()]
        still_on = zf.read("reactions.jsonl").splitlines()
    assert [(r["post_id"], r["kind"]) for r in taken_back] == [(history["mine"].pk, "tada")]
    assert taken_back[0]["at"] and taken_back[0]["taken_back_at"]
    assert len(still_on) == 1  # the heart of the history, still on


def test_my_data_page_shows_download_and_delete(client, member):
    client.force_login(member.user)
    body = client.get(reverse("my-data")).content.decode()
    assert reverse("my-data-download") in body and reverse("account-delete") in body


def test_deleted_account_cannot_log_in(client, member, history):
    handle = member.user.handle
    account_delete(user=member.user)
    assert not client.login(username=handle, password=PASSWORD)
    user = User.objects.get(pk=member.user_id)
    assert not client.login(username=user.handle, password=PASSWORD)
