"""Member profiles."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from members.models import User


@require_GET
def profile(request: HttpRequest, handle: str) -> HttpResponse:
    user = User.objects.filter(handle__iexact=handle, is_active=True).first()
    if user is None:
        raise Http404
    return render(request, "members/profile.html", {"profile_user": user})
