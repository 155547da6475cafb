"""The floor of bench/pages.py: plain Django pages that show the same posts and threads as
Hearth's thread page and thread list, each from 3 queries, with a minimal layout and no
middleware work beyond what the project already does.

Served by the same gunicorn settings as Hearth (``DJANGO_SETTINGS_MODULE=bench.floor_settings``
adds these two URLs in front of the project's), so the ratio Hearth/floor holds on a noisy
machine. Never imported by the application.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path

from communities.discussions.models import Post, Thread
from communities.models import Community


def floor_thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = Thread.objects.filter(pk=thread_id).first()  # 1
    if thread is None:
        raise Http404
    per_page = settings.HEARTH_POSTS_PER_PAGE
    page = max(1, int(request.GET.get("page") or 1))
    posts = Post.objects.filter(thread=thread).select_related("author").order_by("created_at", "id")
    total = posts.count()  # 2
    rows = list(posts[(page - 1) * per_page : page * per_page])  # 3
    return render(request, "bench/floor_thread.html", {"thread": thread, "posts": rows, "total": total})


def floor_list(request: HttpRequest, slug: str) -> HttpResponse:
    community = Community.objects.filter(slug=slug).first()  # 1
    if community is None:
        raise Http404
    threads = Thread.objects.filter(community=community).select_related("author").order_by("-last_post_at")
    total = threads.count()  # 2
    rows = list(threads[: settings.HEARTH_THREADS_PER_PAGE])  # 3
    return render(request, "bench/floor_list.html", {"community": community, "threads": rows, "total": total})


urlpatterns = [
    path("bench-floor/t/<int:thread_id>/", floor_thread),
    path("bench-floor/c/<slug:slug>/", floor_list),
    path("", include("config.urls")),
]
