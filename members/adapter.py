"""allauth adapter: gates public sign-up when the site is invite-only."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest

# The invite flow stores the token here when a visitor opens a valid invite link.
INVITE_SESSION_KEY = "hearth_invite_token"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        if not settings.HEARTH_INVITE_ONLY_SIGNUP:
            return True
        token = request.session.get(INVITE_SESSION_KEY) if hasattr(request, "session") else None
        if not token:
            return False
        from members.models import Invite

        invite = Invite.objects.filter(token=token).first()
        return invite is not None and invite.is_usable()
