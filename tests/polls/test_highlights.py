"""Highlights: moderators feature posts (audit log, the author is notified), members see them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.discussions.services import post_create, post_delete, space_create, thread_create
from communities.highlights.models import Highlight
from members.notifications.models import Notification
from moderation.models import AuditLogEntry

pytestmark = pytest.mark.django_db


def test_moderator_features_a_post(client, thread, member, moderator, make_member):
    reply = post_create(author=make_member(thread.community), thread=thread, body_md="A **great** answer")
    client.force_login(moderator.user)
    resp = client.post(
        reverse("post-feature", args=[thread.community.slug, reply.pk]), {"note": "So helpful"}
    )
    assert resp.status_code == 302
    h = Highlight.objects.get()
    assert (h.post_id, h.note, h.featured_by_id) == (reply.pk, "So helpful", moderator.user_id)
    entry = AuditLogEntry.objects.get(action="post_featured")
    assert entry.target_post_id == reply.pk and entry.actor_id == moderator.user_id
    note = Notification.objects.get(kind="featured")
    assert note.recipient_id == reply.author_id and note.post_id == reply.pk
    # Featuring twice is one highlight, one notification.
    client.post(reverse("post-feature", args=[thread.community.slug, reply.pk]))
    assert Highlight.objects.count() == 1 and Notification.objects.filter(kind="featured").count() == 1
    # Members see it on the Highlights page and marked in the thread.
    client.force_login(member.user)
    page = client.get(reverse("highlights", args=[thread.community.slug]))
    assert page.status_code == 200 and "A <strong>great</strong> answer" in page.content.decode()
    assert "★ Featured" in client.get(thread.get_absolute_url()).content.decode()
    client.force_login(moderator.user)
    assert client.post(reverse("post-unfeature", args=[thread.community.slug, reply.pk])).status_code == 302
    assert not Highlight.objects.exists()
    assert AuditLogEntry.objects.filter(action="post_unfeatured").count() == 1


def test_members_cannot_feature(client, thread, member, make_member):
    post = thread.posts.get(is_opening=True)
    client.force_login(make_member(thread.community).user)
    assert client.post(reverse("post-feature", args=[thread.community.slug, post.pk])).status_code == 403
    assert not Highlight.objects.exists()


def test_outsiders_and_other_communities(
    client, make_community, make_member, make_thread, outsider, moderator
):
    secret = make_community(visibility="secret")
    author = make_member(secret)
    post = make_thread(author).posts.get()
    client.force_login(outsider)
    assert client.get(reverse("highlights", args=[secret.slug])).status_code == 404
    assert client.post(reverse("post-feature", args=[secret.slug, post.pk])).status_code == 404
    # A moderator of another community, through their own community's URL: 404, nothing changes.
    client.force_login(moderator.user)
    assert client.post(reverse("post-feature", args=[moderator.community.slug, post.pk])).status_code == 404
    assert not Highlight.objects.exists()


def test_highlights_page_hides_what_the_viewer_may_not_read(client, community, owner, member, moderator):
    staff = space_create(community=community, name="Staff", min_role="moderator")
    secret_thread = thread_create(author=owner, space=staff, title="Staff plans", body_md="Raise fees")
    from communities.highlights.services import post_feature

    post_feature(actor=moderator, post=secret_thread.posts.get())
    general = thread_create(
        author=member, space=community.spaces.get(slug="general"), title="Open", body_md="Hi all"
    )
    reply = post_create(author=owner, thread=general, body_md="Welcome aboard")
    post_feature(actor=moderator, post=reply)
    client.force_login(member.user)
    html = client.get(reverse("highlights", args=[community.slug])).content.decode()
    assert "Welcome aboard" in html and "Raise fees" not in html
    post_delete(actor=owner, post=reply)
    html = client.get(reverse("highlights", args=[community.slug])).content.decode()
    assert "Welcome aboard" not in html


def test_highlights_page_budget(
    client, community, member, moderator, make_member, django_assert_max_num_queries
):
    from communities.highlights.services import post_feature

    general = community.spaces.get(slug="general")
    for i in range(25):
        t = thread_create(author=make_member(community), space=general, title=f"T{i}", body_md=f"Post {i}")
        post_feature(actor=moderator, post=t.posts.get())
    client.force_login(member.user)
    client.get(community.get_absolute_url())
    with django_assert_max_num_queries(12):
        resp = client.get(reverse("highlights", args=[community.slug]))
    assert len(resp.context["page"].object_list) == 20


def test_member_spotlight_rituals_link_to_highlights(client, community, member, make_ritual):
    ritual = make_ritual(community, kind="spotlight", title_template="Member spotlight: {member}")
    client.force_login(member.user)
    html = client.get(reverse("ritual-detail", args=[community.slug, ritual.pk])).content.decode()
    assert reverse("highlights", args=[community.slug]) in html
