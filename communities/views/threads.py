"""Discussion pages: threads and posts. Views are thin: access, then a selector or service."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from members import access


@require_GET
def thread_detail(request: HttpRequest, slug: str, thread_id: int, thread_slug: str = "") -> HttpResponse:
    thread, acc = access.thread_for_reader(request.user, slug, thread_id)
    posts = (
        thread.posts.filter(access.visible_posts_q(acc.membership))
        .select_related("author")
        .order_by("created_at", "id")[:200]
    )
    return render(
        request,
        "communities/thread.html",
        {"community": acc.community, "access": acc, "thread": thread, "posts": posts},
    )
