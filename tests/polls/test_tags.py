"""Tags: the owner's list, tagging in the composer and on the thread, filtering, access."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from communities.discussions.models import Thread
from communities.discussions.services import space_create, thread_create
from communities.tags.models import Tag, ThreadTag
from communities.tags.services import tag_create, thread_set_tags
from moderation.models import AuditLogEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def tags(community, owner):
    return [
        tag_create(community=community, actor=owner, name=n) for n in ("Gardening", "Help wanted", "Events")
    ]


def test_owner_manages_the_list(client, community, owner, member):
    url = reverse("tag-list", args=[community.slug])
    client.force_login(member.user)
    assert client.post(url, {"name": "Nope"}).status_code == 403
    client.force_login(owner.user)
    assert (
        client.post(url, {"name": "Seeds & Bulbs", "description": "All things planting"}).status_code == 302
    )
    tag = Tag.objects.get(community=community)
    assert (tag.name, tag.slug) == ("Seeds & Bulbs", "seeds-bulbs")
    resp = client.post(url, {"name": "seeds bulbs"})
    assert resp.status_code == 400 and "already a tag" in resp.content.decode()
    assert (
        client.post(reverse("tag-edit", args=[community.slug, tag.pk]), {"name": "Seeds"}).status_code == 302
    )
    assert client.post(reverse("tag-delete", args=[community.slug, tag.pk])).status_code == 302
    assert not Tag.objects.exists()


def test_tag_ids_of_another_community_are_404(client, make_community, owner, community):
    other = make_community()
    from members.models import Membership

    foreign = tag_create(
        community=other, actor=Membership.objects.get(community=other, role="owner"), name="X"
    )
    client.force_login(owner.user)
    assert client.post(reverse("tag-delete", args=[community.slug, foreign.pk])).status_code == 404
    assert client.get(reverse("tag-edit", args=[community.slug, foreign.pk])).status_code == 404
    assert Tag.objects.filter(pk=foreign.pk).exists()


def test_composer_tags_a_new_thread(client, community, member, tags, general_space):
    client.force_login(member.user)
    resp = client.post(
        reverse("thread-new", args=[community.slug]),
        {
            "title": "Tomatoes",
            "space": general_space.pk,
            "body": "Which ones?",
            "tags-tags": [str(tags[0].pk), str(tags[1].pk)],
        },
    )
    assert resp.status_code == 302
    thread = Thread.objects.get(title="Tomatoes")
    assert sorted(tt.tag.name for tt in ThreadTag.objects.filter(thread=thread)) == [
        "Gardening",
        "Help wanted",
    ]
    page = client.get(community.get_absolute_url()).content.decode()
    assert "#Gardening" in page


def test_members_add_new_tags_only_when_allowed(client, community, member, tags, general_space):
    client.force_login(member.user)
    data = {"title": "Bees", "space": general_space.pk, "body": "Hives?", "tags-new_tags": "beekeeping"}
    resp = client.post(reverse("thread-new", args=[community.slug]), data)
    # The field isn't offered: the new tag is ignored, the thread still starts.
    assert resp.status_code == 302 and not Tag.objects.filter(slug="beekeeping").exists()
    community.members_may_add_tags = True
    community.save()
    data["title"] = "Bees again"
    assert client.post(reverse("thread-new", args=[community.slug]), data).status_code == 302
    assert ThreadTag.objects.filter(thread__title="Bees again", tag__slug="beekeeping").exists()


def test_refused_tags_keep_the_composer_and_start_no_thread(client, community, member, tags, general_space):
    client.force_login(member.user)
    for i in range(3):
        tag_create(community=community, actor=community.memberships.get(role="owner"), name=f"extra{i}")
    ids = [str(t.pk) for t in Tag.objects.filter(community=community)]
    resp = client.post(
        reverse("thread-new", args=[community.slug]),
        {"title": "Too many", "space": general_space.pk, "body": "Body kept", "tags-tags": ids},
    )
    assert resp.status_code == 400
    assert "at most 5 tags" in resp.content.decode() and "Body kept" in resp.content.decode()
    assert not Thread.objects.filter(title="Too many").exists()


def test_thread_tags_page(client, thread, member, make_member, moderator, tags):
    url = reverse("thread-tags", args=[thread.community.slug, thread.pk])
    client.force_login(make_member(thread.community).user)
    assert client.get(url).status_code == 403
    client.force_login(member.user)
    assert client.post(url, {"tags": [str(tags[2].pk)]}).status_code == 302
    assert [tt.tag_id for tt in ThreadTag.objects.filter(thread=thread)] == [tags[2].pk]
    assert not AuditLogEntry.objects.filter(action="thread_retagged").exists()
    client.force_login(moderator.user)
    assert client.post(url, {"tags": [str(tags[0].pk)]}).status_code == 302
    assert AuditLogEntry.objects.filter(action="thread_retagged", target_thread=thread).count() == 1


def test_a_tag_of_another_community_cannot_be_set(thread, member, make_community):
    from members.models import Membership

    other = make_community()
    foreign = tag_create(
        community=other, actor=Membership.objects.get(community=other, role="owner"), name="X"
    )
    with pytest.raises(ValidationError):
        thread_set_tags(actor=member, thread=thread, tag_ids=[foreign.pk])
    assert not ThreadTag.objects.exists()


def test_filter_by_tag_hides_restricted_threads(client, community, owner, member, tags, make_thread):
    staff_space = space_create(community=community, name="Staff", min_role="moderator")
    secret = thread_create(author=owner, space=staff_space, title="Staff gardening plans", body_md="x")
    thread_set_tags(actor=owner, thread=secret, tag_ids=[tags[0].pk])
    open_thread = make_thread(member, title="Open gardening chat")
    thread_set_tags(actor=member, thread=open_thread, tag_ids=[tags[0].pk])
    client.force_login(member.user)
    html = client.get(community.get_absolute_url() + "?tag=gardening").content.decode()
    assert "Open gardening chat" in html and "Staff gardening plans" not in html
    # The tags page counts only what the viewer can see.
    tags_page = client.get(reverse("tag-list", args=[community.slug]))
    counts = {t.slug: t.n_threads for t in tags_page.context["tags"]}
    assert counts["gardening"] == 1
    assert client.get(community.get_absolute_url() + "?tag=no-such-tag").status_code == 404


def test_tags_page_follows_community_visibility(client, make_community, outsider):
    secret = make_community(visibility="secret")
    client.force_login(outsider)
    assert client.get(reverse("tag-list", args=[secret.slug])).status_code == 404
    listed = make_community(visibility="listed")
    assert client.get(reverse("tag-list", args=[listed.slug])).status_code == 403


def test_search_by_tag_and_tags_in_results(
    client, community, owner, member, tags, make_thread, make_community
):
    from communities.tags.services import thread_set_tags as set_tags

    tomato = make_thread(member, title="Tomato blight", body="My tomatoes have spots")
    set_tags(actor=member, thread=tomato, tag_ids=[tags[0].pk, tags[1].pk])
    make_thread(member, title="Tomato recipes", body="Soup with tomatoes")
    staff_space = space_create(community=community, name="Staff", min_role="moderator")
    hidden = thread_create(author=owner, space=staff_space, title="Tomato budget", body_md="tomatoes cost")
    set_tags(actor=owner, thread=hidden, tag_ids=[tags[0].pk])
    client.force_login(member.user)
    url = reverse("community-search", args=[community.slug])
    # Words and a tag.
    resp = client.get(url, {"q": "tomatoes tag:gardening"})
    titles = [p.thread.title for p in resp.context["page"].object_list]
    assert titles == ["Tomato blight"]
    html = resp.content.decode()
    assert "#Gardening" in html and "#Help wanted" in html
    # A tag alone: the tagged threads the viewer may read (never the restricted one).
    resp = client.get(url, {"q": "#gardening"})
    assert [p.thread.title for p in resp.context["page"].object_list] == ["Tomato blight"]
    # Unknown tag: nothing, with a message, no error.
    resp = client.get(url, {"q": "tag:nope"})
    assert resp.status_code == 200 and not resp.context["page"].object_list
    # Global search too, and never another community's threads.
    elsewhere = make_community()
    resp = client.get(reverse("search"), {"q": "tag:gardening"})
    assert [p.thread.title for p in resp.context["page"].object_list] == ["Tomato blight"]
    assert elsewhere.pk
