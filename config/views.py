"""Site-level pages: home, the health endpoint and the error views."""

from __future__ import annotations

import hmac
import logging
import os
import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from communities.selectors import home_communities
from config import heartbeat
from config.celery import app


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"communities": home_communities(request.user)})


def _check(fn: object) -> dict:
    started = time.monotonic()
    try:
        fn()  # type: ignore[operator]
    except Exception as exc:  # report any failure as "down", never a 500
        return {
            "ok": False,
            "error": exc.__class__.__name__,
            "ms": round((time.monotonic() - started) * 1000, 1),
        }
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def _db() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    if settings.REDIS_URL:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5).ping()
    else:
        cache.set("healthz", "1", 5)
        if cache.get("healthz") != "1":
            raise RuntimeError("cache round trip failed")


def _broker() -> None:

    if settings.REDIS_URL:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
    else:
        # The embedded default uses kombu's filesystem transport: the queue folder must be writable.

        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
        if not os.access(folder, os.W_OK):
            raise PermissionError(folder)


def _is_operator(request: HttpRequest) -> bool:
    """Staff, a monitoring system presenting HEARTH_HEALTHZ_TOKEN as a bearer token, or anyone
    on a DEBUG (development) site."""
    if settings.DEBUG:
        return True
    token = settings.HEARTH_HEALTHZ_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].strip(), token):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check(_db), "cache": _check(_cache), "broker": _check(_broker)}
    ok = all(c["ok"] for c in checks.values())
    status = 200 if checks["database"]["ok"] else 503
    if not _is_operator(request):
        # Strangers learn whether the site is up, not what it runs on.
        body = {"status": "ok" if ok else "degraded", **{name: {"ok": c["ok"]} for name, c in checks.items()}}
        return JsonResponse(body, status=status)
    beat = heartbeat.last()
    body = {
        "status": "ok" if ok else "degraded",
        "database": {**checks["database"], "vendor": settings.DB_VENDOR},
        "cache": {**checks["cache"], "backend": "redis" if settings.REDIS_URL else "local-memory"},
        "broker": {**checks["broker"], "transport": "redis" if settings.REDIS_URL else "filesystem"},
        # Informational: a worker records a heartbeat every minute (config.tasks.heartbeat).
        "worker": {
            "last_heartbeat": beat["at"] if beat else None,
            "age_seconds": heartbeat.age_seconds(beat) if beat else None,
            "hostname": beat.get("hostname") if beat else None,
        },
    }
    # The database is essential; cache and broker problems degrade but do not take the site down.
    return JsonResponse(body, status=status)


# --- Error views ------------------------------------------------------------------------------------
# Django's defaults are wrapped in ``requires_csrf_token``, which runs the CSRF check again and so
# reads ``request.POST`` again: for a body Django refuses (a form in charset=utf-16) that raised
# inside the error handler, ending in a raw 500 with dozens of chained tracebacks. These views
# never look at the body; the 500 view doesn't even use the request (the database may be down).

log = logging.getLogger(__name__)


def _error_page(request: HttpRequest | None, template: str, status: int, context: dict) -> HttpResponse:
    base = {"site_name": settings.SITE_NAME, **context}
    try:
        html = render_to_string(template, base, request=request)
    except Exception:  # the page itself failed (database down?): render it without the request
        if request is None:
            return HttpResponse(f"<!doctype html><title>Error {status}</title><h1>Error {status}</h1>",
                                status=status)  # fmt: skip
        return _error_page(None, template, status, context)
    return HttpResponse(html, status=status)


def _message(exception: Exception | None) -> str:
    # Only our own messages are meant for people; Django's internal ones stay generic.
    text = str(exception or "")
    if not text or text.startswith(("Resolver404", "{")) or "\n" in text:
        return ""
    return text


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from django.core.exceptions import BadRequest, RequestDataTooBig

    if isinstance(exception, RequestDataTooBig):
        message = "That was too large to send. Posts are limited to 32,000 characters."
        return _error_page(None, "400.html", 413, {"exception": message})
    message = ""  # SuspiciousOperation texts can name internals (hosts, paths): not shown
    if isinstance(exception, BadRequest) and "UTF-8" in str(exception):
        message = "Forms must be sent as UTF-8. Reload the page and send it again from there."
    # The request's user and session are fine to use; its body is never touched.
    return _error_page(request, "400.html", 400, {"exception": message})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, "403.html", 403, {"exception": _message(exception)})


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The same page for "never existed" and "hidden from you" (no exception text is shown).
    return _error_page(request, "404.html", 404, {"request_path": request.path})


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_page(None, "500.html", 500, {})
