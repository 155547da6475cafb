"""URLs for tests/config/test_errors_and_logging.py: the site's URLs plus views that fail."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.errors import too_many_requests
from config.urls import urlpatterns as site_urlpatterns


def bad_request(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("tampered input")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("Only moderators can open this page.")


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom: secret internal detail")


def slow_down(request: HttpRequest) -> HttpResponse:
    return too_many_requests(request, "Please slow down.", 12.2)


urlpatterns = [
    path("test-errors/400/", bad_request),
    path("test-errors/403/", forbidden),
    path("test-errors/500/", crash),
    path("test-errors/429/", slow_down),
    *site_urlpatterns,
]
