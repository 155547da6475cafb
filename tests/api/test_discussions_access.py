"""tests/communities/test_discussions_access.py through the API: outsiders and anonymous visitors
of listed and secret communities, plain members on author- and staff-only endpoints, and ids of
another community (404, nothing changes), also restricted spaces and held/removed posts."""

from __future__ import annotations

import pytest

from communities.discussions.models import Post, Reaction, Thread
from communities.discussions.services import post_create, thread_create
from communities.models import Space
from members.models import Role

pytestmark = pytest.mark.django_db

# (name, method, needs, path template, body) — {slug}, {thread}, {post}
ENDPOINTS = [
    ("community", "get", "landing", "/communities/{slug}", None),
    ("spaces", "get", "read", "/communities/{slug}/spaces", None),
    ("threads", "get", "read", "/communities/{slug}/threads", None),
    ("thread", "get", "read", "/communities/{slug}/threads/{thread}", None),
    ("posts", "get", "read", "/communities/{slug}/threads/{thread}/posts", None),
    ("post", "get", "read", "/communities/{slug}/posts/{post}", None),
    ("members", "get", "read", "/communities/{slug}/members", None),
    (
        "thread-create",
        "post",
        "member",
        "/communities/{slug}/threads",
        {"space": "general", "title": "T", "body": "b"},
    ),
    ("reply", "post", "member", "/communities/{slug}/threads/{thread}/posts", {"body": "hello there"}),
    ("react", "put", "member", "/communities/{slug}/posts/{post}/reactions/heart", {}),
    ("follow", "put", "member", "/communities/{slug}/threads/{thread}/subscription", {"level": "muted"}),
    ("edit", "patch", "author", "/communities/{slug}/posts/{post}", {"body": "changed"}),
    ("queue", "get", "staff", "/communities/{slug}/review-queue", None),
    ("decide", "post", "staff", "/communities/{slug}/review-queue/held/{post}", {"decision": "approve"}),
    ("metrics", "get", "staff", "/communities/{slug}/metrics", None),
]


def _path(template: str, community, thread, post) -> str:
    return template.format(slug=community.slug, thread=thread.pk, post=post.pk)


@pytest.fixture
def world(make_community, make_member):
    out = {}
    for visibility in ("listed", "secret"):
        c = make_community(visibility=visibility)
        author = make_member(c)
        space = Space.objects.get(community=c, slug="general")
        t = thread_create(author=author, space=space, title="Topic", body_md="body")
        post = post_create(author=author, thread=t, body_md="a reply here")
        out[visibility] = (c, author, t, post)
    return out


@pytest.mark.parametrize(
    ("name", "method", "needs", "template", "body"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS]
)
@pytest.mark.parametrize("visibility", ["listed", "secret"])
def test_outsider_and_anonymous(
    api, world, make_user, make_token, name, method, needs, template, body, visibility
):
    community, _author, thread, post = world[visibility]
    path = _path(template, community, thread, post)
    token = make_token(make_user())
    for who in (token, None):
        response = api.call(method, path, body, token=who)
        if visibility == "secret":
            assert response.status_code == 404 and response.json() == {"detail": "Not found."}
        elif needs == "landing":
            assert response.status_code == 200 and "Topic" not in response.content.decode()
        else:
            assert response.status_code == (403 if who else 401)
    assert not Reaction.objects.exists() and Thread.objects.filter(community=community).count() == 1


@pytest.mark.parametrize(
    ("name", "method", "needs", "template", "body"),
    [e for e in ENDPOINTS if e[2] in ("staff", "author")],
    ids=[e[0] for e in ENDPOINTS if e[2] in ("staff", "author")],
)
def test_plain_member_is_forbidden(api, world, make_member, make_token, name, method, needs, template, body):
    community, _author, thread, post = world["listed"]
    token = make_token(make_member(community).user)
    response = api.call(method, _path(template, community, thread, post), body, token=token)
    assert response.status_code == 403
    assert Post.objects.get(pk=post.pk).body_md == "a reply here"


@pytest.mark.parametrize(
    ("name", "method", "needs", "template", "body"),
    [e for e in ENDPOINTS if "{thread}" in e[3] or "{post}" in e[3]],
    ids=[e[0] for e in ENDPOINTS if "{thread}" in e[3] or "{post}" in e[3]],
)
def test_object_of_another_community_is_404(
    api, world, make_member, make_token, name, method, needs, template, body
):
    """/communities/mine/…/<id of something elsewhere> is 404 and changes nothing, even for an owner."""
    mine, _, _, _ = world["listed"]
    _, _, thread, post = world["secret"]
    token = make_token(make_member(mine, role=Role.OWNER).user)
    response = api.call(method, _path(template, mine, thread, post), body, token=token)
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    assert Post.objects.get(pk=post.pk).body_md == "a reply here"
    assert not Reaction.objects.exists() and thread.posts.count() == 2


def test_restricted_space_is_invisible_below_its_role(api, make_community, make_member, make_token):
    community = make_community(visibility="listed")
    staff_space = Space.objects.create(community=community, name="Mods", slug="mods", min_role=Role.MODERATOR)
    mod = make_member(community, role=Role.MODERATOR)
    secret_thread = thread_create(author=mod, space=staff_space, title="Mod talk", body_md="between us")
    member_token = make_token(make_member(community).user)
    mod_token = make_token(mod.user)
    slug = community.slug
    listed = api.get(f"/communities/{slug}/threads", token=member_token).json()["items"]
    assert "Mod talk" not in [t["title"] for t in listed]
    assert [s["slug"] for s in api.get(f"/communities/{slug}/spaces", token=member_token).json()] == [
        "general"
    ]
    for path in (
        f"/communities/{slug}/threads/{secret_thread.pk}",
        f"/communities/{slug}/threads/{secret_thread.pk}/posts",
        f"/communities/{slug}/threads?space=mods",
    ):
        response = api.get(path, token=member_token)
        assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    refused = api.post(
        f"/communities/{slug}/threads", {"space": "mods", "title": "x", "body": "y"}, token=member_token
    )
    assert refused.status_code == 404
    assert "Mod talk" in [
        t["title"] for t in api.get(f"/communities/{slug}/threads", token=mod_token).json()["items"]
    ]
    mods = api.get(f"/communities/{slug}/spaces", token=mod_token).json()
    assert {"slug": "mods", "restricted": True}.items() <= next(
        s for s in mods if s["slug"] == "mods"
    ).items()


def test_removed_and_held_posts_as_on_the_thread_page(api, community, member, owner, make_member, make_token):
    from moderation.services import post_hide

    thread = thread_create(
        author=member, space=Space.objects.get(community=community, slug="general"), title="T", body_md="open"
    )
    hidden = post_create(author=member, thread=thread, body_md="rude words")
    post_hide(actor=owner, post=hidden, reason="tone")
    held = Post.objects.create(
        thread=thread,
        community=community,
        author=member.user,
        body_md="waiting",
        body_html="<p>waiting</p>",
        status="held",
    )
    reader = make_member(community)

    def posts(token):
        return {
            p["id"]: p
            for p in api.get(f"/communities/{community.slug}/threads/{thread.pk}/posts", token=token).json()[
                "items"
            ]
        }

    as_reader = posts(make_token(reader.user))
    assert as_reader[hidden.pk]["removed"] is True and as_reader[hidden.pk]["body_html"] is None
    assert held.pk not in as_reader
    assert (
        api.get(f"/communities/{community.slug}/posts/{held.pk}", token=make_token(reader.user)).status_code
        == 404
    )
    as_author = posts(make_token(member.user))
    assert as_author[hidden.pk]["body_markdown"] == "rude words" and as_author[held.pk]["status"] == "held"
    as_owner = posts(make_token(owner.user))
    assert as_owner[hidden.pk]["body_html"] and held.pk in as_owner
