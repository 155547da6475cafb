"""Community pages: home, directory, settings. Views are thin: access, then a selector or service."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from communities.models import Thread
from members import access


@require_GET
def community_home(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_landing(request.user, slug)
    threads = []
    if acc.can_read:
        threads = list(
            Thread.objects.filter(community=acc.community, removed_at__isnull=True)
            .filter(access.visible_spaces_q(acc.membership, prefix="space__"))
            .select_related("space", "author")
            .order_by("-pinned", "-last_post_at")[:50]
        )
    return render(
        request, "communities/home.html", {"community": acc.community, "access": acc, "threads": threads}
    )
