"""The access matrix of docs/access.md, table-driven over every page of this area:
page × visibility (public/listed/secret) × person (owner, moderator, member, pending applicant,
banned, non-member, anonymous).

Codes: A = allowed (GET: 200; POST: a success redirect), R = a redirect elsewhere (not to login),
F = 403, N = 404, L = redirect to login with ?next=.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.members.world import ROLES, World, build_world

MEMBERS = ("owner", "moderator", "member")


def landing(vis: str, role: str) -> str:
    if role in MEMBERS:
        return "A"
    return "N" if vis == "secret" else "A"


def reader(vis: str, role: str) -> str:
    if role in MEMBERS or vis == "public":
        return "A"
    if vis == "secret":
        return "N"
    return "L" if role == "anonymous" else "F"


def member_only(vis: str, role: str) -> str:
    if role in MEMBERS:
        return "A"
    if vis == "secret":
        return "N"
    return "L" if role == "anonymous" else "F"


def staff(vis: str, role: str) -> str:
    if role == "member":
        return "F"
    return member_only(vis, role)


def owner_only(vis: str, role: str) -> str:
    if role in ("moderator", "member"):
        return "F"
    return member_only(vis, role)


def own_invite(vis: str, role: str) -> str:
    # The member's invite: the owner sees all invites, the member their own; a moderator
    # doesn't see other people's invites at all.
    if role == "moderator":
        return "N"
    return member_only(vis, role)


def joiner(vis: str, role: str) -> str:
    """Join/apply/withdraw: logged-in people who can see the landing page; banned: 403."""
    if role in MEMBERS:
        return "R"
    if vis == "secret":
        return "N"
    if role == "anonymous":
        return "L"
    if role == "banned":
        return "F"
    return "A"


def join_get(vis: str, role: str) -> str:
    code = joiner(vis, role)
    return "R" if code == "A" and role == "pending" else code


def pending_get(vis: str, role: str) -> str:
    code = joiner(vis, role)
    return "R" if code == "A" and role == "nonmember" else code


def leave_rule(vis: str, role: str) -> str:
    return member_only(vis, role)


def _settings_data(w: World) -> dict:
    c = w.community
    return {
        "name": c.name + " renamed",
        "purpose": c.purpose,
        "guidelines_md": c.guidelines_md,
        "visibility": c.visibility,
        "join_policy": c.join_policy,
        "time_zone": "Europe/Berlin",
        "rejoin_cooldown_days": 3,
        "flag_threshold": 3,
        "hold_first_posts": 0,
        "allow_member_invites": "on",
    }


# (name, method, url builder, rule, POST data builder)
PAGES = [
    ("home", "get", lambda w: reverse("community-home", args=[w.community.slug]), landing, None),
    ("guidelines", "get", lambda w: reverse("community-guidelines", args=[w.community.slug]), reader, None),
    ("members", "get", lambda w: reverse("members-list", args=[w.community.slug]), reader, None),
    ("invites", "get", lambda w: reverse("invites", args=[w.community.slug]), member_only, None),
    (
        "invite-detail",
        "get",
        lambda w: reverse("invite-detail", args=[w.community.slug, w.member_invite.pk]),
        own_invite,
        None,
    ),
    ("requests", "get", lambda w: reverse("join-requests", args=[w.community.slug]), staff, None),
    ("settings", "get", lambda w: reverse("community-settings", args=[w.community.slug]), owner_only, None),
    ("join", "get", lambda w: reverse("community-join", args=[w.community.slug]), join_get, None),
    ("join-pending", "get", lambda w: reverse("join-pending", args=[w.community.slug]), pending_get, None),
    (
        "invite-create",
        "post",
        lambda w: reverse("invites", args=[w.community.slug]),
        member_only,
        lambda w: {"max_uses": "1", "expires_in": "7d", "note": "for a friend"},
    ),
    (
        "invite-revoke",
        "post",
        lambda w: reverse("invite-revoke", args=[w.community.slug, w.member_invite.pk]),
        own_invite,
        lambda w: {},
    ),
    (
        "request-approve",
        "post",
        lambda w: reverse("join-request-approve", args=[w.community.slug, w.join_request.pk]),
        staff,
        lambda w: {"reason": ""},
    ),
    (
        "request-reject",
        "post",
        lambda w: reverse("join-request-reject", args=[w.community.slug, w.join_request.pk]),
        staff,
        lambda w: {"reason": "Not now"},
    ),
    (
        "role-change",
        "post",
        lambda w: reverse("member-role", args=[w.community.slug, w.member.pk]),
        owner_only,
        lambda w: {"role": "welcomer"},
    ),
    (
        "settings-save",
        "post",
        lambda w: reverse("community-settings", args=[w.community.slug]),
        owner_only,
        _settings_data,
    ),
    (
        "hand-over",
        "post",
        lambda w: reverse("community-hand-over", args=[w.community.slug]),
        owner_only,
        lambda w: {"handle": w.people["moderator"].handle, "keep_role": "moderator"},
    ),
    (
        "leave",
        "post",
        lambda w: reverse("community-leave", args=[w.community.slug]),
        leave_rule,
        lambda w: {},
    ),
    (
        "join-submit",
        "post",
        lambda w: reverse("community-join", args=[w.community.slug]),
        joiner,
        lambda w: {"answer_1": "I love this"},
    ),
    ("withdraw", "post", lambda w: reverse("join-withdraw", args=[w.community.slug]), joiner, lambda w: {}),
]


def _check(response, code: str, method: str) -> None:
    location = response.get("Location", "")
    if code == "N":
        assert response.status_code == 404
    elif code == "F":
        assert response.status_code == 403
    elif code == "L":
        assert response.status_code == 302
        assert location.startswith(reverse("account_login") + "?next=")
    elif code == "R" or (code == "A" and method == "post"):
        assert response.status_code == 302, response.content[:500]
        assert not location.startswith(reverse("account_login"))
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", ["public", "listed", "secret"])
@pytest.mark.parametrize(("name", "method", "url", "rule", "data"), PAGES, ids=[p[0] for p in PAGES])
def test_access_matrix(client, make_user, make_community, name, method, url, rule, data, visibility, role):
    world = build_world(make_user, make_community, visibility)
    person = world.people[role]
    if person is not None:
        client.force_login(person)
    target = url(world)
    response = client.get(target) if method == "get" else client.post(target, data(world))
    expected = rule(visibility, role)
    _check(response, expected, method)
    if expected == "N":
        # Indistinguishable from a community that never existed.
        assert world.community.name not in response.content.decode()
    if expected in ("F", "N", "L") and visibility == "secret":
        assert world.community.purpose not in response.content.decode()
