"""The Highlights page and the feature / unfeature actions on a post."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from communities.highlights import selectors, services
from members import access


@require_GET
def highlights(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_reader(request.user, slug)
    qs = selectors.community_highlights(community=acc.community, membership=acc.membership)
    page = Paginator(qs, selectors.HIGHLIGHTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "communities/highlights/list.html",
        {
            "community": acc.community,
            "access": acc,
            "nav": "highlights",
            "page": page,
            "p_base": reverse("post-permalink", args=[slug, 0])[: -len("0/")],
        },
    )


@require_POST
def post_feature(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post, acc = access.post_for_featurer(request.user, slug, post_id)
    try:
        services.post_feature(actor=acc.member, post=post, note=request.POST.get("note", "")[:1000])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Featured: the post is on the Highlights page and its author is told.")
    return redirect(reverse("post-permalink", args=[slug, post.pk]))


@require_POST
def post_unfeature(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post, acc = access.post_for_featurer(request.user, slug, post_id)
    if services.post_unfeature(actor=acc.member, post=post):
        messages.success(request, "No longer featured.")
    return redirect(reverse("post-permalink", args=[slug, post.pk]))
