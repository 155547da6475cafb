"""Access matrix for every discussions URL (docs/access.md): N = 404, F = 403, L = login redirect."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.discussions.services import post_create, thread_create
from communities.models import Space
from members.models import Role

pytestmark = pytest.mark.django_db

# (name, method, needs) — needs: "read" (readers), "member" (participation), "staff", "author".
URLS = [
    ("community-home", "get", "landing"),
    ("space-list", "get", "read"),
    ("community-search", "get", "read"),
    ("thread-detail-short", "get", "read"),
    ("thread-first-unread", "get", "read"),
    ("post-permalink", "get", "read"),
    ("thread-new", "get", "member"),
    ("thread-new", "post", "member"),
    ("post-preview", "post", "member"),
    ("community-mark-read", "post", "member"),
    ("thread-reply", "post", "member"),
    ("thread-subscribe", "post", "member"),
    ("post-react", "post", "member"),
    ("post-edit", "get", "author"),
    ("post-edit", "post", "author"),
    ("post-delete", "post", "author"),
    ("post-history", "get", "author"),
    ("post-restore", "post", "staff"),
    ("space-new", "get", "staff"),
    ("space-new", "post", "staff"),
    ("space-edit", "get", "staff"),
    ("space-delete", "post", "staff"),
    ("thread-moderate:pin", "post", "staff"),
    ("thread-moderate:lock", "post", "staff"),
    ("thread-moderate:move", "post", "staff"),
]


def _url(name: str, community, thread, post, space) -> str:
    slug = community.slug
    if name.startswith("thread-moderate"):
        return reverse("thread-moderate", args=[slug, thread.pk, name.split(":")[1]])
    if name in {
        "community-home",
        "space-list",
        "community-search",
        "thread-new",
        "post-preview",
        "community-mark-read",
        "space-new",
    }:
        return reverse(name, args=[slug])
    if name.startswith("thread-"):
        return reverse(name, args=[slug, thread.pk])
    if name.startswith("post-"):
        return reverse(name, args=[slug, post.pk])
    return reverse(name, args=[slug, space.pk])


def _data(name: str, space) -> dict:
    return {
        "body": "hello there",
        "kind": "heart",
        "level": "muted",
        "space": space.pk,
        "title": "T",
        "name": "N",
        "position": 1,
    }


@pytest.fixture
def world(make_community, make_member, make_user):
    listed = make_community(visibility="listed")
    secret = make_community(visibility="secret")
    out = {}
    for c in (listed, secret):
        author = make_member(c)
        t = thread_create(
            author=author, space=Space.objects.get(community=c, slug="general"), title="Topic", body_md="body"
        )
        post = post_create(author=author, thread=t, body_md="a reply here")
        post.removed_at = None
        out[c.visibility] = (c, author, t, post, Space.objects.get(community=c, slug="general"))
    return out


@pytest.mark.parametrize(("name", "method", "needs"), URLS)
@pytest.mark.parametrize("visibility", ["listed", "secret"])
def test_outsider_and_anonymous(client, world, make_user, name, method, needs, visibility):
    community, _author, thread, post, space = world[visibility]
    url = _url(name, community, thread, post, space)
    call = getattr(client, method)
    client.force_login(make_user())
    resp = call(url, _data(name, space)) if method == "post" else call(url)
    if visibility == "secret":
        assert resp.status_code == 404
    elif needs == "landing":
        assert resp.status_code == 200 and b"Topic" not in resp.content
    else:
        assert resp.status_code == 403
    client.logout()
    resp = call(url, _data(name, space)) if method == "post" else call(url)
    if visibility == "secret":
        assert resp.status_code == 404
    elif needs == "landing":
        assert resp.status_code == 200 and b"Topic" not in resp.content
    else:
        assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


@pytest.mark.parametrize(("name", "method", "needs"), [u for u in URLS if u[2] in {"staff", "author"}])
def test_plain_member_is_forbidden(client, world, make_member, name, method, needs):
    community, _author, thread, post, space = world["listed"]
    if name == "post-restore":
        post.removed_at = post.created_at
        post.save()
    client.force_login(make_member(community).user)
    url = _url(name, community, thread, post, space)
    resp = getattr(client, method)(url, _data(name, space)) if method == "post" else client.get(url)
    # A removed post is invisible to plain members (N), so restoring it is 404 for them.
    assert resp.status_code == (404 if name == "post-restore" else 403)


NO_ID = {
    "community-home",
    "space-list",
    "community-search",
    "thread-new",
    "post-preview",
    "community-mark-read",
    "space-new",
}


@pytest.mark.parametrize(("name", "method", "needs"), [u for u in URLS if u[0] not in NO_ID])
def test_object_of_another_community_is_404(client, world, make_member, name, method, needs):
    """/c/mine/.../<id of something elsewhere>/ is N and changes nothing, even for an owner."""
    mine, _, _, _, _ = world["listed"]
    _, _, thread, post, space = world["secret"]
    me = make_member(mine, role=Role.OWNER)
    client.force_login(me.user)
    url = _url(name, mine, thread, post, space)
    resp = getattr(client, method)(url, _data(name, space)) if method == "post" else client.get(url)
    assert resp.status_code == 404
    thread.refresh_from_db()
    assert not thread.pinned and not thread.locked and thread.space_id == space.pk
