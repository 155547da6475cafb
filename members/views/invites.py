"""Invite pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from members.models import Invite


@require_GET
def invite_landing(request: HttpRequest, token: str) -> HttpResponse:
    invite = Invite.objects.select_related("community").filter(token=token).first()
    usable = invite is not None and invite.is_usable()
    response = render(
        request,
        "members/invite_landing.html",
        {"invite": invite if usable else None, "community": invite.community if usable else None},
        status=200 if usable else 404,
    )
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response
