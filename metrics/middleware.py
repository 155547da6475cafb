"""The visit log: at most one row per member per community per local day, cheaply.

Only logged-in active members viewing a community page (``GET /c/<slug>/…`` answered 2xx)
count. Prefetches and htmx background requests (polling, partial refreshes) do not; boosted htmx
navigation does. A cache key per user-community-day means repeat views cost one cache call and
no database write; the insert itself is an idempotent upsert, so a lost cache is harmless.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from communities.models import Community
from metrics.services import visit_record

log = logging.getLogger(__name__)

COMMUNITY_PATH = re.compile(r"^/c/(?P<slug>[-a-zA-Z0-9_]+)/")
COMMUNITY_CACHE_SECONDS = 3600


def _is_background(request: HttpRequest) -> bool:
    purpose = (request.headers.get("Sec-Purpose", "") + " " + request.headers.get("Purpose", "")).lower()
    if "prefetch" in purpose or "prerender" in purpose:
        return True
    # htmx requests are partial updates (polling, lazy loads) unless they are boosted navigation.
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def _community_ref(slug: str) -> tuple[int, str] | None:
    """(id, time zone) of the community with this slug, cached briefly."""
    key = f"metrics:community:{slug}"
    try:
        ref = cache.get(key)
    except Exception:  # a broken cache must not break pages
        ref = None
    if ref is None:
        row = Community.objects.filter(slug=slug).values_list("pk", "time_zone").first()
        if row is None:
            return None
        ref = (row[0], row[1])
        try:
            cache.set(key, ref, COMMUNITY_CACHE_SECONDS)
        except Exception:
            log.debug("cache unavailable for community lookup")
    return ref


class VisitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        try:
            self._record(request, response)
        except Exception:  # recording a visit must never break the page
            log.exception("visit not recorded")
        return response

    def _record(self, request: HttpRequest, response: HttpResponse) -> None:
        if request.method != "GET" or not 200 <= response.status_code < 300:
            return
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or getattr(user, "is_bot", False):
            return
        match = COMMUNITY_PATH.match(request.path_info)
        if match is None or _is_background(request):
            return
        ref = _community_ref(match["slug"])
        if ref is None:
            return
        community_id, tz_name = ref
        now = timezone.now()
        day = now.astimezone(ZoneInfo(tz_name)).date()
        key = f"metrics:visit:{community_id}:{user.pk}:{day.isoformat()}"
        try:
            # Keep the key a little past the end of the local day, whatever the zone.
            first_today = cache.add(key, 1, _seconds_left_in_day(now, tz_name) + 3600)
        except Exception:
            first_today = True  # no cache: fall back to the idempotent upsert
        if not first_today:
            return
        visit_record(user_id=user.pk, community_id=community_id, day=day, at=now)


def _seconds_left_in_day(now: datetime, tz_name: str) -> int:
    local = now.astimezone(ZoneInfo(tz_name))
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=local.tzinfo)
    return max(60, int((midnight - local).total_seconds()))
