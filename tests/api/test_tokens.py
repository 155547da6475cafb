"""Personal access tokens: scopes, expiry, revocation, inactive and banned people, the one-community
restriction, hashed storage, last-used throttling, the settings page and the admin action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from communities.discussions.models import Thread
from members.models import Membership, Role
from members.notifications.services import notification_create
from members.tokens.models import ApiToken
from members.tokens.services import LAST_USED_EVERY, digest_of, token_create
from moderation.sanctions import member_ban

pytestmark = pytest.mark.django_db


def _threads(api, community, token):
    return api.get(f"/communities/{community.slug}/threads", token=token)


def _new_thread(api, community, token, title="From a script"):
    return api.post(
        f"/communities/{community.slug}/threads",
        {"space": "general", "title": title, "body": "Posted with a token"},
        token=token,
    )


def test_read_scope_reads_but_cannot_write(api, member, make_token):
    token = make_token(member.user, scopes=["read"])
    assert _threads(api, member.community, token).status_code == 200
    response = _new_thread(api, member.community, token)
    assert response.status_code == 403
    assert response.json()["detail"] == "This token does not have the “write” scope."
    assert not Thread.objects.filter(title="From a script").exists()


def test_write_scope_alone_cannot_read(api, member, make_token):
    token = make_token(member.user, scopes=["write"])
    assert _new_thread(api, member.community, token).status_code == 201
    assert _threads(api, member.community, token).status_code == 403


def test_moderate_and_metrics_scopes(api, community, owner, make_token):
    plain = make_token(owner.user, scopes=["read", "write"])
    assert api.get(f"/communities/{community.slug}/review-queue", token=plain).status_code == 403
    assert api.get(f"/communities/{community.slug}/metrics", token=plain).status_code == 403
    full = make_token(owner.user, scopes=["moderate", "metrics"])
    assert api.get(f"/communities/{community.slug}/review-queue", token=full).status_code == 200
    assert api.get(f"/communities/{community.slug}/metrics", token=full).status_code == 200


def test_scopes_never_add_rights(api, member, make_token):
    """A member's token with every scope still can't see the review queue: 403 as on the pages."""
    token = make_token(member.user)
    assert api.get(f"/communities/{member.community.slug}/review-queue", token=token).status_code == 403


@pytest.mark.parametrize("state", ["expired", "revoked", "inactive", "unknown", "not-bearer"])
def test_dead_tokens_are_refused_with_401(api, member, make_token, state):
    token = make_token(member.user)
    row = ApiToken.objects.get(user=member.user)
    headers = {}
    if state == "expired":
        ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "revoked":
        ApiToken.objects.filter(pk=row.pk).update(revoked_at=timezone.now())
    elif state == "inactive":
        type(member.user).objects.filter(pk=member.user_id).update(is_active=False)
    elif state == "unknown":
        token = token[:-4] + "AAAA"
    else:
        headers["HTTP_AUTHORIZATION"] = f"Token {token}"
        token = None
    response = api.call("get", f"/communities/{member.community.slug}/threads", token=token, **headers)
    assert response.status_code == 401
    assert "Bearer" in response["WWW-Authenticate"]
    # A token that doesn't work never falls back to anything else, even on a public read.
    assert "Matrix" not in response.content.decode()


def test_expired_token_cannot_write_either(api, member, make_token):
    token = make_token(member.user)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert _new_thread(api, member.community, token).status_code == 401
    assert not Thread.objects.filter(title="From a script").exists()


def test_token_that_expires_later_works_until_then(api, member, make_token):
    token = make_token(member.user, expires_at=timezone.now() + timedelta(days=1))
    assert _threads(api, member.community, token).status_code == 200


def test_banned_person_token_refused_in_that_community_only(api, make_community, make_member, make_token):
    public = make_community(visibility="public", join_policy="open")
    other = make_community(visibility="public", join_policy="open")
    victim = make_member(public)
    make_member(other, user=victim.user)
    owner = Membership.objects.get(community=public, role=Role.OWNER)
    member_ban(actor=owner, target=victim)
    token = make_token(victim.user)
    refused = _threads(api, public, token)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Tokens can't be used in a community you are banned from."
    assert api.get(f"/communities/{public.slug}", token=token).status_code == 403
    assert _threads(api, other, token).status_code == 200
    # Anonymous readers (and the banned person's own session) still read a public community.
    assert _threads(api, public, None).status_code == 200


def test_community_restriction(api, make_community, make_member, make_token):
    mine = make_community(visibility="public", join_policy="open")
    elsewhere = make_community(visibility="public", join_policy="open")
    me = make_member(mine)
    make_member(elsewhere, user=me.user)
    token = make_token(me.user, community=mine)
    assert _threads(api, mine, token).status_code == 200
    # Another community, even a public one the person belongs to: as if it didn't exist.
    hidden = _threads(api, elsewhere, token)
    assert hidden.status_code == 404 and hidden.json() == {"detail": "Not found."}
    assert _new_thread(api, elsewhere, token).status_code == 404
    listed = [c["slug"] for c in api.get("/communities", token=token).json()["items"]]
    assert listed == [mine.slug]
    mine_only = [m["community"] for m in api.get("/me", token=token).json()["memberships"]]
    assert mine_only == [mine.slug]
    notification_create(recipient_id=me.user_id, kind="mention", text="here", community_id=mine.pk)
    notification_create(recipient_id=me.user_id, kind="mention", text="there", community_id=elsewhere.pk)
    texts = [n["text"] for n in api.get("/notifications", token=token).json()["items"]]
    assert texts == ["here"]


def test_secret_is_stored_only_as_its_digest(member):
    new = token_create(user=member.user, name="cli", scopes=["read"])
    row = ApiToken.objects.get(pk=new.token.pk)
    assert row.digest == digest_of(new.secret) and len(row.digest) == 64
    assert new.secret.startswith("hearth_pat_") and len(new.secret) > 40
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM members_apitoken")
        stored = " ".join(str(v) for v in cur.fetchone())
    assert new.secret not in stored
    assert new.secret[len("hearth_pat_") + 8 :] not in stored


def test_last_used_is_written_at_most_every_few_minutes(api, member, make_token, django_assert_num_queries):
    token = make_token(member.user)
    assert ApiToken.objects.get().last_used_at is None
    assert _threads(api, member.community, token).status_code == 200
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    assert _threads(api, member.community, token).status_code == 200
    assert ApiToken.objects.get().last_used_at == first  # no second write within the window
    ApiToken.objects.update(last_used_at=timezone.now() - LAST_USED_EVERY - timedelta(seconds=1))
    assert _threads(api, member.community, token).status_code == 200
    assert ApiToken.objects.get().last_used_at > first


def test_session_calls_need_csrf_for_writes(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    url = f"/api/v1/communities/{member.community.slug}/threads"
    body = '{"space": "general", "title": "Same origin", "body": "From the page"}'
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert client.get(url).status_code == 200  # reads need no CSRF token
    client.get("/settings/tokens/")  # any page sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    ok = client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert ok.status_code == 201


def test_token_calls_need_no_csrf(member, make_token):
    client = Client(enforce_csrf_checks=True)
    token = make_token(member.user)
    response = client.post(
        f"/api/v1/communities/{member.community.slug}/threads",
        '{"space": "general", "title": "Scripted", "body": "No cookie"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201


def test_settings_page_shows_the_secret_once(client, member, api):
    client.force_login(member.user)
    response = client.post(
        "/settings/tokens/",
        {"name": "newsletter sync", "scopes": ["read", "write"], "community": "", "expires": "30"},
    )
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    row = ApiToken.objects.get(user=member.user)
    secret = response.content.decode().split(
        'id="new-token" class="token-secret" type="text" readonly value="'
    )[1]
    secret = secret.split('"')[0]
    assert digest_of(secret) == row.digest
    assert row.scopes == ["read", "write"] and row.community is None
    assert timedelta(days=29) < row.expires_at - timezone.now() <= timedelta(days=30)
    later = client.get("/settings/tokens/")
    assert secret not in later.content.decode() and "newsletter sync" in later.content.decode()
    assert api.get("/me", token=secret).json()["handle"] == member.user.handle


def test_settings_page_rejects_bad_input_keeping_it(client, member, make_community):
    client.force_login(member.user)
    foreign = make_community()
    response = client.post(
        "/settings/tokens/", {"name": "kept name", "scopes": [], "community": str(foreign.pk), "expires": "7"}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Choose at least one scope." in text and 'value="kept name"' in text
    assert not ApiToken.objects.exists()
    # A community the person isn't in can't be chosen (the form offers only theirs).
    response = client.post(
        "/settings/tokens/", {"name": "x", "scopes": ["read"], "community": str(foreign.pk), "expires": "7"}
    )
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_revoke_own_token_only(client, member, make_member, make_token, api):
    token = make_token(member.user)
    other = make_member(member.community)
    row = ApiToken.objects.get(user=member.user)
    client.force_login(other.user)
    client.post(f"/settings/tokens/{row.pk}/revoke/")
    assert api.get("/me", token=token).status_code == 200
    client.force_login(member.user)
    response = client.post(f"/settings/tokens/{row.pk}/revoke/")
    assert response.status_code == 302
    assert api.get("/me", token=token).status_code == 401


def test_admin_action_revokes_all_of_a_persons_tokens(
    client, member, make_member, make_user, make_token, api
):
    first, second = make_token(member.user), make_token(member.user)
    bystander = make_member(member.community)
    kept = make_token(bystander.user)
    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/members/user/",
        {"action": "revoke_api_tokens", "_selected_action": [member.user_id]},
    )
    assert response.status_code == 302
    assert api.get("/me", token=first).status_code == 401
    assert api.get("/me", token=second).status_code == 401
    assert api.get("/me", token=kept).status_code == 200
