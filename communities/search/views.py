"""Search within a community and across the member's communities."""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from communities.search import selectors as search_selectors
from communities.search.forms import SearchForm
from communities.tags import selectors as tag_selectors
from config.clientip import client_ip
from config.errors import too_many_requests
from members import access
from moderation import ratelimit

# Anonymous searches (public communities) per client address; members are not limited here.
ANONYMOUS_SEARCH_LIMIT = ratelimit.Limit("search-anon", 30, 60)
ANONYMOUS_SEARCH_MESSAGE = "That's a lot of searching in a short time from your address."


class CappedPaginator(Paginator):
    """Counts matches only up to ``SEARCH_COUNT_CAP`` (the page says "1,000+ results"): counting
    every match of a common word cost a second on a large community, for a number nobody
    pages through (bench/RESULTS.md, "Large community")."""

    @cached_property
    def _found(self) -> int:
        cap = search_selectors.SEARCH_COUNT_CAP
        ids = self.object_list.order_by().values_list("pk", flat=True)  # type: ignore[attr-defined]
        return len(ids[: cap + 1])

    @cached_property
    def count(self) -> int:
        return min(self._found, search_selectors.SEARCH_COUNT_CAP)

    @property
    def capped(self) -> bool:
        """More matches than were counted: the page says "1000+"."""
        return self._found > search_selectors.SEARCH_COUNT_CAP


def _results(request: HttpRequest, query: str, **scope: object) -> tuple[object, bool]:
    results = search_selectors.search_posts(user=request.user, query=query, **scope)
    if isinstance(results, list):  # nothing to search for
        page = Paginator(results, search_selectors.SEARCH_PER_PAGE).get_page(1)
        return page, bool(query.strip())
    with search_selectors.search_transaction():
        # Rank and page over post ids only (a narrow sort of every match), then fetch the page's
        # rows, with their snippets, by id: sorting whole rows of a common word's matches spilled
        # tens of megabytes to disk (bench/RESULTS.md, "Large community").
        ranked = results.values_list("pk", flat=True)
        page = CappedPaginator(ranked, search_selectors.SEARCH_PER_PAGE).get_page(request.GET.get("page"))
        ids = list(page.object_list)
        rows = {post.pk: post for post in results.filter(pk__in=ids)}
        page.object_list = [rows[pk] for pk in ids if pk in rows]
    text, _tags = search_selectors.split_tags(query)
    if connection.vendor != "postgresql" or not text:
        for post in page.object_list:
            post.snippet = search_selectors.plain_snippet(post.body_md, text)
    # Each result shows its thread's tags (one query for the page).
    tags = tag_selectors.tags_for_threads([post.thread_id for post in page.object_list])
    for post in page.object_list:
        post.thread_tag_list = tags.get(post.thread_id, [])
    return page, bool(query.strip())


@require_GET
def community_search(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_reader(request.user, slug)
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    if query.strip() and not request.user.is_authenticated:
        # Full-text search is the most expensive page a stranger can ask for: per address.
        try:
            ratelimit.hit(ANONYMOUS_SEARCH_LIMIT, client_ip(request), message=ANONYMOUS_SEARCH_MESSAGE)
        except ratelimit.RateLimited as exc:
            return too_many_requests(request, exc.messages[0], exc.retry_after)
    page, searched = _results(request, query, community=acc.community, membership=acc.membership)
    return render(
        request,
        "communities/search.html",
        {
            "community": acc.community,
            "access": acc,
            "form": form,
            "page": page,
            "query": query,
            "searched": searched,
        },
    )


@require_GET
def global_search(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        raise access.LoginRequired
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page, searched = _results(request, query)
    return render(
        request,
        "communities/search_all.html",
        {"form": form, "page": page, "query": query, "searched": searched},
    )
