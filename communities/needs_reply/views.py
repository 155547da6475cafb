"""The staff's "needs a reply" view: threads nobody but their author answered after N hours."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from communities.needs_reply import selectors
from members import access


@require_GET
def needs_reply(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_staff(request.user, slug)
    now = timezone.now()
    qs = selectors.needs_reply_threads(community=acc.community, membership=acc.membership, now=now)
    page = Paginator(qs, selectors.PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"thread": t, "hours": selectors.waited_hours(t, now)} for t in page.object_list]
    return render(
        request,
        "communities/needs_reply/list.html",
        {
            "community": acc.community,
            "access": acc,
            "nav": "mod",
            "page": page,
            "rows": rows,
            "hours": acc.community.needs_reply_hours,
        },
    )
