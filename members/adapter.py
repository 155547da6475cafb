"""allauth glue: the adapter (gates public sign-up when the site is invite-only) and the login
backend that does the same work for registered and unknown people."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse

from config.clientip import client_ip
from members.models import Invite

# The invite flow stores the token here when a visitor opens a valid invite link.
INVITE_SESSION_KEY = "hearth_invite_token"


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        """allauth's per-IP rate limits use the same client IP as Hearth's own limits."""

        return client_ip(request)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        if not settings.HEARTH_INVITE_ONLY_SIGNUP:
            return True
        token = request.session.get(INVITE_SESSION_KEY) if hasattr(request, "session") else None
        if not token:
            return False

        invite = Invite.objects.filter(token=token).first()
        return invite is not None and invite.is_usable()

    def _pending_invite_url(self, request: HttpRequest) -> str | None:
        """Where a visitor who opened an invite link should land after logging in or
        confirming their email: the accept page, to join with one click."""
        token = request.session.get(INVITE_SESSION_KEY) if hasattr(request, "session") else None
        if not token:
            return None

        invite = Invite.objects.filter(token=token).first()
        if invite is None or not invite.is_usable():
            return None
        return reverse("invite-accept")

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return self._pending_invite_url(request) or super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return self._pending_invite_url(request) or super().get_signup_redirect_url(request)

    def get_email_verification_redirect_url(self, email_address: object) -> str:
        request = getattr(self, "request", None)
        url = self._pending_invite_url(request) if request is not None else None
        return url or super().get_email_verification_redirect_url(email_address)


class LoginBackend(AuthenticationBackend):
    """allauth's login by email or handle, with the same number of password hashes whether the
    address is registered or not (login timing must not tell who has an account).

    allauth tries a login string as an email, then as a handle, then the ``email`` credential
    again: a registered email's password was hashed twice, an unknown one once (plus the
    ModelBackend's dummy hash in both cases). Here each candidate is checked at most once per
    attempt, an attempt that checked nobody hashes once, and a failed attempt stops the chain
    (PermissionDenied), so allauth's own backend, kept in AUTHENTICATION_BACKENDS after this one
    so existing sessions stay valid, never adds its checks.
    """

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> Any:
        if not credentials.get("password"):
            return None
        self._checked: dict[int, Any] = {}
        user = super().authenticate(request, **credentials)
        if user is None:
            raise PermissionDenied("wrong login or password")
        return user

    def _check_password(self, user: Any, password: str) -> Any:
        if not user:
            return None
        if user.pk not in self._checked:
            self._checked[user.pk] = super()._check_password(user, password)
        return self._checked[user.pk]
