"""Account flows through the real allauth views: sign-up, verification, log in/out, passwords, email."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from members.adapter import INVITE_SESSION_KEY
from members.models import Invite, User
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new password 77"


def link_in_last_mail(pattern: str) -> str:
    assert mail.outbox, "no email was sent"
    match = re.search(pattern, mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)


def logged_in_user_id(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def signup(client, handle: str = "newbie", email: str = "newbie@example.org"):
    return client.post(
        reverse("account_signup"),
        {"email": email, "username": handle, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


@pytest.mark.django_db
def test_signup_sends_verification_then_confirm_by_post_logs_in(client):
    response = signup(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(handle="newbie")
    assert logged_in_user_id(client) is None  # mandatory verification: not logged in yet
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["newbie@example.org"]

    sent = client.get(reverse("account_email_verification_sent"))
    assert b"Verify Your Email Address" in sent.content and b"skip-link" in sent.content

    confirm_url = link_in_last_mail(r"/accounts/confirm-email/[^/\s]+/")
    page = client.get(confirm_url)  # GET only shows the confirmation button
    assert page.status_code == 200 and b'method="post"' in page.content
    assert not EmailAddress.objects.get(user=user).verified

    done = client.post(confirm_url)
    assert done.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert logged_in_user_id(client) == user.pk


@pytest.mark.django_db
def test_signup_with_bad_input_keeps_what_was_typed(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "not-an-email", "username": "ok_handle", "password1": "abc", "password2": "abd"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="ok_handle"' in body and 'value="not-an-email"' in body
    assert "Enter a valid email address." in body
    assert 'aria-invalid="true"' in body
    assert not User.objects.filter(handle="ok_handle").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("login", ["person@example.com", "PERSON@example.com", "person", "Person"])
def test_login_by_email_or_handle(client, make_user, login):
    user = make_user("person", email="person@example.com")
    response = client.post(reverse("account_login"), {"login": login, "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_user_id(client) == user.pk


@pytest.mark.django_db
def test_login_with_wrong_password_shows_error_and_keeps_login(client, make_user):
    make_user("person", email="person@example.com")
    response = client.post(reverse("account_login"), {"login": "person", "password": "nope"})
    assert response.status_code == 200
    assert b"not correct" in response.content and b'value="person"' in response.content
    assert logged_in_user_id(client) is None


@pytest.mark.django_db
def test_unverified_email_cannot_log_in_until_verified(client, make_user):
    make_user("pending", email="pending@example.com", verified=False)
    response = client.post(reverse("account_login"), {"login": "pending", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert logged_in_user_id(client) is None


@pytest.mark.django_db
def test_logout_is_post_only(client, make_user):
    client.force_login(make_user())
    page = client.get(reverse("account_logout"))
    assert page.status_code == 200 and b'method="post"' in page.content
    assert logged_in_user_id(client) is not None  # GET changed nothing
    client.post(reverse("account_logout"))
    assert logged_in_user_id(client) is None


@pytest.mark.django_db
def test_password_reset_full_flow(client, make_user):
    user = make_user("forgetful", email="forgetful@example.com")
    response = client.post(reverse("account_reset_password"), {"email": "forgetful@example.com"})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200  # "check your email" page
    key_url = link_in_last_mail(r"/accounts/password/reset/key/[^/\s]+/")

    # allauth moves the key into the session and redirects to a URL without it.
    page = client.get(key_url)
    assert page.status_code == 302
    form_url = page["Location"]
    assert client.get(form_url).status_code == 200
    done = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # The link works once.
    assert b"Bad Token" in client.get(key_url, follow=True).content
    assert client.login(username="forgetful", password=NEW_PASSWORD)


@pytest.mark.django_db
def test_password_reset_for_unknown_email_looks_the_same(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")


@pytest.mark.django_db
def test_change_password(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_change_password_wrong_old_password(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200 and b"errorlist" in response.content
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_add_email_address_sends_verification(client, make_user):
    user = make_user()
    client.force_login(user)
    page = client.get(reverse("account_email"))
    assert page.status_code == 200 and user.email.encode() in page.content
    response = client.post(reverse("account_email"), {"action_add": "", "email": "second@example.org"})
    assert response.status_code == 302
    added = EmailAddress.objects.get(user=user, email="second@example.org")
    assert not added.verified and not added.primary
    assert mail.outbox[-1].to == ["second@example.org"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "account_login",
        "account_signup",
        "account_reset_password",
        "account_reset_password_done",
        "account_email_verification_sent",
    ],
)
def test_account_pages_render_in_site_layout(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    body = response.content.decode()
    assert "css/hearth.css" in body and 'class="skip-link"' in body
    assert 'id="main"' in body and "<script>" not in body


# --- Invite-only sign-up -------------------------------------------------------------------


@pytest.mark.django_db
def test_signup_open_when_not_invite_only(client, settings):
    settings.HEARTH_INVITE_ONLY_SIGNUP = False
    assert b'name="username"' in client.get(reverse("account_signup")).content
    signup(client)
    assert User.objects.filter(handle="newbie").exists()


@pytest.mark.django_db
def test_signup_closed_to_strangers_when_invite_only(client, settings):
    settings.HEARTH_INVITE_ONLY_SIGNUP = True
    page = client.get(reverse("account_signup"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Sign-up is by invitation" in body and "invite link" in body
    assert 'name="password1"' not in body
    signup(client)
    assert not User.objects.filter(handle="newbie").exists()


@pytest.mark.django_db
def test_invite_in_session_opens_signup_when_invite_only(client, settings, community, owner):
    settings.HEARTH_INVITE_ONLY_SIGNUP = True
    invite = Invite.objects.create(
        community=community, created_by=owner.user, created_by_staff=True, token="t" * 43, max_uses=1
    )
    session = client.session
    session[INVITE_SESSION_KEY] = invite.token
    session.save()
    assert b'name="password1"' in client.get(reverse("account_signup")).content
    signup(client)
    assert User.objects.filter(handle="newbie").exists()


@pytest.mark.django_db
def test_expired_invite_does_not_open_signup(client, settings, community, owner):
    settings.HEARTH_INVITE_ONLY_SIGNUP = True
    invite = Invite.objects.create(
        community=community,
        created_by=owner.user,
        token="e" * 43,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    session = client.session
    session[INVITE_SESSION_KEY] = invite.token
    session.save()
    assert b"Sign-up is by invitation" in client.get(reverse("account_signup")).content
    signup(client)
    assert not User.objects.filter(handle="newbie").exists()
