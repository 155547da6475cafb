"""The home page: a personal home for signed-in people, the public directory for visitors."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from communities.home.selectors import home_for
from communities.selectors import home_communities


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "home.html", {"communities": home_communities(request.user)})
    return render(request, "home_member.html", {"home": home_for(request.user)})
