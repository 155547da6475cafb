"""SECURITY.md's access matrix re-run through the REST API: the same people (owner, moderator,
member, pending applicant, banned, non-member, anonymous) and visibilities (public, listed,
secret) as tests/members/test_access_matrix.py, on every API endpoint of a community.

Codes as on the pages, with the API's answers: A = 2xx, F = 403, N = 404 with exactly the body
of a community that never existed, L = 401 (where the pages redirect to the login form).
Logged-in people call with a personal access token holding every scope.
"""

from __future__ import annotations

import pytest

from communities.discussions.services import post_create, thread_create
from communities.models import Space
from members.models import User
from members.services import membership_join
from moderation.models import Flag
from tests.members.test_access_matrix import landing, member_only, owner_only, reader, staff
from tests.members.world import ROLES, World, build_world

MISSING_BODY = {"detail": "Not found."}


def _seed(w: World) -> dict:
    """A thread by the member with a reply, and another member's post flagged into the review queue."""
    member = w.member
    space = Space.objects.get(community=w.community, slug="general")
    thread = thread_create(author=member, space=space, title="Matrix topic", body_md="Opening words")
    reply = post_create(author=member, thread=thread, body_md="A reply to react to")
    other = membership_join(
        user=User.objects.create_user(handle=f"other{w.community.pk}"), community=w.community
    )
    flagged = post_create(author=other, thread=thread, body_md="Something flagged")
    Flag.objects.create(community=w.community, post=flagged, flagger=member.user, reason="spam")
    return {"thread": thread, "reply": reply, "flagged": flagged}


def author_only(vis: str, role: str) -> str:
    """Editing the member's post: only its author; other members get 403."""
    code = member_only(vis, role)
    return "F" if code == "A" and role != "member" else code


def dashboard(vis: str, role: str) -> str:
    return owner_only(vis, role)


# (name, method, path builder, rule, body builder)
ENDPOINTS = [
    ("community", "get", lambda w, s: f"/communities/{w.community.slug}", landing, None),
    ("spaces", "get", lambda w, s: f"/communities/{w.community.slug}/spaces", reader, None),
    ("threads", "get", lambda w, s: f"/communities/{w.community.slug}/threads", reader, None),
    ("thread", "get", lambda w, s: f"/communities/{w.community.slug}/threads/{s['thread'].pk}", reader, None),
    (
        "posts",
        "get",
        lambda w, s: f"/communities/{w.community.slug}/threads/{s['thread'].pk}/posts",
        reader,
        None,
    ),
    ("post", "get", lambda w, s: f"/communities/{w.community.slug}/posts/{s['reply'].pk}", reader, None),
    ("members", "get", lambda w, s: f"/communities/{w.community.slug}/members", reader, None),
    (
        "thread-create",
        "post",
        lambda w, s: f"/communities/{w.community.slug}/threads",
        member_only,
        lambda w, s: {"space": "general", "title": "From the API", "body": "Hello from a script"},
    ),
    (
        "reply",
        "post",
        lambda w, s: f"/communities/{w.community.slug}/threads/{s['thread'].pk}/posts",
        member_only,
        lambda w, s: {"body": "A reply from a script"},
    ),
    (
        "react",
        "put",
        lambda w, s: f"/communities/{w.community.slug}/posts/{s['reply'].pk}/reactions/heart",
        member_only,
        lambda w, s: {},
    ),
    (
        "follow",
        "put",
        lambda w, s: f"/communities/{w.community.slug}/threads/{s['thread'].pk}/subscription",
        member_only,
        lambda w, s: {"level": "muted"},
    ),
    (
        "edit",
        "patch",
        lambda w, s: f"/communities/{w.community.slug}/posts/{s['reply'].pk}",
        author_only,
        lambda w, s: {"body": "Edited through the API"},
    ),
    ("queue", "get", lambda w, s: f"/communities/{w.community.slug}/review-queue", staff, None),
    (
        "decide",
        "post",
        lambda w, s: f"/communities/{w.community.slug}/review-queue/flag/{s['flagged'].pk}",
        staff,
        lambda w, s: {"decision": "keep"},
    ),
    ("metrics", "get", lambda w, s: f"/communities/{w.community.slug}/metrics", dashboard, None),
]


def with_token(rule, vis: str, role: str) -> str:
    """Tokens are refused in a community their person is banned from, even where the pages let a
    banned person read (a public community) or see the landing page."""
    code = rule(vis, role)
    return "F" if role == "banned" and code == "A" else code


STATUS = {"A": (200, 201), "F": (403,), "N": (404,), "L": (401,)}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", ["public", "listed", "secret"])
@pytest.mark.parametrize(("name", "method", "path", "rule", "body"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_api_access_matrix(
    api, make_user, make_community, make_token, name, method, path, rule, body, visibility, role
):
    world = build_world(make_user, make_community, visibility)
    seeded = _seed(world)
    person = world.people[role]
    token = make_token(person) if person is not None else None
    response = api.call(method, path(world, seeded), body(world, seeded) if body else None, token=token)
    expected = with_token(rule, visibility, role)
    assert response.status_code in STATUS[expected], (expected, response.status_code, response.content[:300])
    text = response.content.decode()
    if expected == "N":
        assert response.json() == MISSING_BODY
        never = api.call(
            method,
            path(world, seeded).replace(world.community.slug, "no-such-place"),
            body(world, seeded) if body else None,
            token=token,
        )
        assert never.status_code == 404 and never.content == response.content
    if expected in ("F", "N", "L") and visibility == "secret":
        assert world.community.name not in text and world.community.purpose not in text
    if expected != "A":
        assert "Matrix topic" not in text and "Opening words" not in text


@pytest.mark.parametrize("role", ["owner", "moderator", "member", "banned", "nonmember"])
@pytest.mark.parametrize("visibility", ["public", "listed", "secret"])
def test_session_reads_follow_the_same_matrix(client, api, make_user, make_community, visibility, role):
    """The same-origin session (the site's own pages calling the API) answers as a token does,
    except that a banned person keeps the pages' read-only access to a public community."""
    world = build_world(make_user, make_community, visibility)
    seeded = _seed(world)
    client.force_login(world.people[role])
    for name, method, path, rule, _ in ENDPOINTS:
        if method != "get" or name in ("queue", "metrics"):
            continue
        response = api.call(method, path(world, seeded))
        expected = rule(visibility, role)
        assert response.status_code in STATUS[expected], (name, expected, response.status_code)


@pytest.mark.parametrize("visibility", ["public", "listed", "secret"])
def test_directory_lists_what_the_caller_may_see(api, make_user, make_community, make_token, visibility):
    world = build_world(make_user, make_community, visibility)
    for role in ROLES:
        person = world.people[role]
        token = make_token(person) if person is not None else None
        slugs = [c["slug"] for c in api.get("/communities", token=token).json()["items"]]
        visible = role in ("owner", "moderator", "member") or visibility != "secret"
        assert (world.community.slug in slugs) == visible, role
