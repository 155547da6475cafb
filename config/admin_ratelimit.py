"""Rate limit for the Django admin's login form (allauth's limits don't cover it).

POSTs to the admin login URL are counted on the shared cache per client IP and per username;
over the limit the request is answered with the 429 page and ``Retry-After`` before the
password is checked.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from config.clientip import client_ip
from config.errors import too_many_requests
from moderation import ratelimit

ADMIN_LOGIN_PER_IP = ratelimit.Limit("admin-login-ip", 10, 15 * 60)
ADMIN_LOGIN_PER_USERNAME = ratelimit.Limit("admin-login-user", 5, 15 * 60)
MESSAGE = "Too many sign-in attempts. You can try again {when}."


class AdminLoginRateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._login_path: str | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            if self._login_path is None:
                self._login_path = reverse("admin:login")
            if request.path == self._login_path:
                username = (request.POST.get("username") or "").strip().lower()
                try:
                    ratelimit.hit(ADMIN_LOGIN_PER_IP, client_ip(request), message=MESSAGE)
                    if username:
                        ratelimit.hit(ADMIN_LOGIN_PER_USERNAME, ratelimit.digest(username), message=MESSAGE)
                except ratelimit.RateLimited as exc:
                    return too_many_requests(request, exc.messages[0], exc.retry_after)
        return self.get_response(request)
