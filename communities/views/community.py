"""Community pages: home, directory, settings. Views are thin: access, then a selector or service."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from communities.views.threads import thread_list_context
from members import access


@require_GET
def community_home(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_landing(request.user, slug)
    ctx = {"community": acc.community, "access": acc, "threads": []}
    if acc.can_read:
        ctx.update(thread_list_context(request, acc))
    return render(request, "communities/home.html", ctx)
