from __future__ import annotations

import contextlib
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from members.access import LoginRequired
from members.profiles.services import last_seen_touch


class AccessMiddleware:
    """Turns ``LoginRequired`` from the access policy into a login redirect with ``?next=``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, LoginRequired):
            return redirect_to_login(request.get_full_path())
        return None


class LastSeenMiddleware:
    """Records when a logged-in person was last here (for "last seen" and digest skipping).

    At most one UPDATE per person per five minutes: the cache remembers the last write. If the
    cache is down, nothing is written (a missed "last seen" beats a slow page).
    """

    THROTTLE_SECONDS = 300

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if settings.HEARTH_TRACK_LAST_SEEN and user is not None and user.is_authenticated:
            key = f"members:last-seen:{user.pk}"
            try:
                recent = cache.get(key)
            except Exception:
                recent = True
            if not recent:
                last_seen_touch(user_id=user.pk)
                # The cache being down only costs extra writes.
                with contextlib.suppress(Exception):
                    cache.set(key, 1, self.THROTTLE_SECONDS)
        return response
