"""Invites: creation defaults, expiry, revocation, max uses, races, attribution, secret reach."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from members.adapter import INVITE_SESSION_KEY
from members.models import Invite, InviteRedemption, Membership, MembershipEvent, MembershipStatus
from members.services import InviteError, invite_create, invite_redeem, membership_join
from moderation.models import AuditAction, AuditLogEntry
from moderation.sanctions import member_ban

PG_ONLY = "needs real concurrent connections (PostgreSQL)"


def _strip_csrf(body: bytes) -> bytes:
    return re.sub(rb'"X-CSRFToken": "[^"]*"', b"", body)


def landing(client, invite):
    return client.get(reverse("invite-landing", args=[invite.token]))


def accept(client, invite):
    """Open the link (puts the token in the session), then accept on /invite/accept/."""
    client.get(reverse("invite-landing", args=[invite.token]))
    return client.post(reverse("invite-accept"))


def test_create_defaults_and_token(client, owner, member):
    client.force_login(member.user)
    response = client.post(
        reverse("invites", args=[member.community.slug]), {"max_uses": "1", "expires_in": "7d", "note": "Sam"}
    )
    assert response.status_code == 302
    invite = Invite.objects.get(created_by=member.user)
    assert invite.max_uses == 1
    assert timedelta(days=6, hours=23) < invite.expires_at - timezone.now() <= timedelta(days=7)
    assert len(invite.token) >= 43  # 256 bits, url-safe base64
    assert invite.created_by_staff is False
    staff_invite = invite_create(membership=owner)
    assert staff_invite.created_by_staff is True
    assert staff_invite.token != invite.token


def test_bad_form_keeps_input(client, member):
    client.force_login(member.user)
    response = client.post(
        reverse("invites", args=[member.community.slug]),
        {"max_uses": "0", "expires_in": "7d", "note": "keep me"},
    )
    assert response.status_code == 400
    assert "keep me" in response.content.decode()
    assert not Invite.objects.exists()


def test_members_cannot_invite_when_owner_disallows(client, member):
    member.community.allow_member_invites = False
    member.community.save()
    client.force_login(member.user)
    response = client.post(reverse("invites", args=[member.community.slug]), {"expires_in": "7d"})
    assert response.status_code == 403
    assert not Invite.objects.exists()


def test_landing_valid_anonymous_shows_name_purpose_and_stores_session(client, owner):
    invite = invite_create(membership=owner)
    response = landing(client, invite)
    assert response.status_code == 200
    body = response.content.decode()
    assert owner.community.name in body and owner.community.purpose in body
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert client.session[INVITE_SESSION_KEY] == invite.token
    assert "next=" in body


@pytest.mark.parametrize("state", ["unknown", "expired", "revoked", "used_up"])
def test_unusable_links_all_look_the_same(client, owner, make_user, state):
    invite = invite_create(membership=owner)
    token = invite.token
    if state == "unknown":
        token = "x" * 43
    elif state == "expired":
        Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "revoked":
        Invite.objects.filter(pk=invite.pk).update(revoked_at=timezone.now())
    else:
        invite_redeem(token=token, user=make_user())
    reference = client.get(reverse("invite-landing", args=["y" * 43]))
    response = client.get(reverse("invite-landing", args=[token]))
    assert response.status_code == reference.status_code == 404
    assert _strip_csrf(response.content) == _strip_csrf(reference.content)
    assert response["Referrer-Policy"] == "no-referrer"
    assert owner.community.name not in response.content.decode()
    # Accepting fails the same way and makes nobody a member.
    outsider = make_user()
    client.force_login(outsider)
    assert client.get(reverse("invite-landing", args=[token])).status_code == 404
    assert client.post(reverse("invite-accept")).status_code == 404
    assert not Membership.objects.filter(user=outsider).exists()


def test_accept_makes_member_with_attribution(client, member, make_user):
    invite = invite_create(membership=member, max_uses=2)
    newcomer = make_user()
    client.force_login(newcomer)
    opened = landing(client, invite)
    assert opened.status_code == 302 and opened["Location"] == reverse("invite-accept")
    assert opened["Referrer-Policy"] == "no-referrer"
    page = client.get(reverse("invite-accept"))
    assert "Accept and join" in page.content.decode() and page["Cache-Control"] == "no-store"
    assert invite.token not in page.content.decode()
    response = client.post(reverse("invite-accept"))
    assert response.status_code == 302
    assert response["Location"] == member.community.get_absolute_url()
    m = Membership.objects.get(user=newcomer, community=member.community)
    assert m.status == MembershipStatus.ACTIVE
    assert m.invite == invite and m.invited_by == member.user
    assert InviteRedemption.objects.filter(invite=invite, user=newcomer).count() == 1
    assert MembershipEvent.objects.get(membership=m, kind="joined").invite == invite
    invite.refresh_from_db()
    assert invite.uses == 1
    # The invites page shows who joined through it.
    client.force_login(member.user)
    page = client.get(reverse("invites", args=[member.community.slug])).content.decode()
    assert newcomer.name in page


def test_already_member_consumes_nothing(client, owner, member):
    invite = invite_create(membership=owner)
    client.force_login(member.user)
    response = client.get(reverse("invite-landing", args=[invite.token]), follow=True)
    assert "already a member" in response.content.decode()
    accept(client, invite)
    invite.refresh_from_db()
    assert invite.uses == 0


def test_max_uses_and_double_redemption_sequential(owner, make_user):
    invite = invite_create(membership=owner, max_uses=2)
    a, b, c = make_user(), make_user(), make_user()
    invite_redeem(token=invite.token, user=a)
    assert invite_redeem(token=invite.token, user=a).already_member is True
    invite_redeem(token=invite.token, user=b)
    with pytest.raises(InviteError):
        invite_redeem(token=invite.token, user=c)
    invite.refresh_from_db()
    assert invite.uses == 2
    assert Membership.objects.filter(invite=invite).count() == 2


def test_ban_survives_invite(client, owner, make_user):
    banned = make_user()
    member_ban(actor=owner, target=membership_join(user=banned, community=owner.community))
    invite = invite_create(membership=owner, max_uses=5)
    client.force_login(banned)
    assert landing(client, invite).status_code == 404
    assert accept(client, invite).status_code == 404
    assert Membership.objects.get(user=banned, community=owner.community).status == MembershipStatus.BANNED
    invite.refresh_from_db()
    assert invite.uses == 0


def test_revoke_records_audit_and_blocks(client, owner, member, make_user):
    invite = invite_create(membership=member)
    client.force_login(owner.user)
    response = client.post(reverse("invite-revoke", args=[owner.community.slug, invite.pk]))
    assert response.status_code == 302
    invite.refresh_from_db()
    assert invite.revoked_at is not None
    assert AuditLogEntry.objects.filter(action=AuditAction.INVITE_REVOKED, actor=owner.user).count() == 1
    with pytest.raises(InviteError):
        invite_redeem(token=invite.token, user=make_user())


def test_secret_community_reachable_only_through_valid_invite(client, make_community, make_user):
    secret = make_community(visibility="secret", name="Hidden Grove")
    owner = Membership.objects.get(community=secret, role="owner")
    visitor = make_user()
    client.force_login(visitor)
    assert client.get(secret.get_absolute_url()).status_code == 404
    assert "Hidden Grove" not in client.get(reverse("community-directory")).content.decode()
    assert client.get(reverse("community-join", args=[secret.slug])).status_code == 404
    invite = invite_create(membership=owner)
    assert (
        "Hidden Grove"
        in client.get(reverse("invite-landing", args=[invite.token]), follow=True).content.decode()
    )
    accept(client, invite)
    assert client.get(secret.get_absolute_url()).status_code == 200
    assert "Hidden Grove" in client.get(reverse("community-directory")).content.decode()


def test_invite_id_of_another_community_is_404(client, owner, make_community):
    other = make_community()
    other_owner = Membership.objects.get(community=other, role="owner")
    foreign = invite_create(membership=other_owner)
    client.force_login(owner.user)
    slug = owner.community.slug
    assert client.get(reverse("invite-detail", args=[slug, foreign.pk])).status_code == 404
    assert client.post(reverse("invite-revoke", args=[slug, foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_invite_rate_limit_per_day(owner):
    for _ in range(10):
        invite_create(membership=owner)
    with pytest.raises(InviteError):
        invite_create(membership=owner)


def test_invite_only_site_allows_signup_through_invite(client, owner, settings):
    settings.HEARTH_INVITE_ONLY_SIGNUP = True
    signup = reverse("account_signup")
    assert "closed" in client.get(signup).content.decode().lower()
    invite = invite_create(membership=owner)
    landing(client, invite)
    assert "closed" not in client.get(signup).content.decode().lower()


def test_owner_sees_per_inviter_totals(client, owner, member, make_user):
    invite = invite_create(membership=member, max_uses=3)
    for _ in range(2):
        invite_redeem(token=invite.token, user=make_user())
    client.force_login(owner.user)
    body = client.get(reverse("invites", args=[owner.community.slug])).content.decode()
    assert "Referrals by inviter" in body
    assert f"@{member.user.handle}" in body
    client.force_login(member.user)
    body = client.get(reverse("invites", args=[owner.community.slug])).content.decode()
    assert "Referrals by inviter" not in body


@pytest.mark.skipif(connection.vendor != "postgresql", reason=PG_ONLY)
@pytest.mark.django_db(transaction=True)
def test_race_for_last_uses_postgres(make_community, make_user):
    community = make_community()
    owner = Membership.objects.get(community=community, role="owner")
    invite = invite_create(membership=owner, max_uses=3)
    people = [make_user() for _ in range(12)]
    barrier = threading.Barrier(len(people))
    outcomes: list[str] = []

    def go(user):
        try:
            barrier.wait()
            invite_redeem(token=invite.token, user=user)
            outcomes.append("in")
        except InviteError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go, args=(u,)) for u in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    invite.refresh_from_db()
    assert outcomes.count("in") == 3
    assert invite.uses == 3
    assert Membership.objects.filter(community=community, invite=invite).count() == 3
    assert InviteRedemption.objects.filter(invite=invite).count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason=PG_ONLY)
@pytest.mark.django_db(transaction=True)
def test_same_person_double_accept_postgres(make_community, make_user):
    community = make_community()
    owner = Membership.objects.get(community=community, role="owner")
    invite = invite_create(membership=owner, max_uses=5)
    person = make_user()
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def go():
        try:
            barrier.wait()
            invite_redeem(token=invite.token, user=person)
        except Exception as exc:  # any error (IntegrityError) fails the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    invite.refresh_from_db()
    assert invite.uses == 1
    assert Membership.objects.filter(user=person, community=community).count() == 1


def test_login_after_opening_link_returns_to_accept(client, owner, make_user):
    from tests.conftest import PASSWORD

    invite = invite_create(membership=owner)
    person = make_user()
    body = landing(client, invite).content.decode()
    assert "next=%2Finvite%2Faccept%2F" in body
    response = client.post(
        reverse("account_login"), {"login": person.handle, "password": PASSWORD, "next": "/invite/accept/"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("invite-accept")
    assert client.post(reverse("invite-accept")).status_code == 302
    assert Membership.objects.get(user=person, community=owner.community).invite == invite


def test_accept_without_opened_link_is_unusable(client, make_user):
    client.force_login(make_user())
    assert client.get(reverse("invite-accept")).status_code == 404
    assert client.post(reverse("invite-accept")).status_code == 404
