"""Site-level pages: home and the health endpoint."""

from __future__ import annotations

import os
import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
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


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check(_db), "cache": _check(_cache), "broker": _check(_broker)}
    ok = all(c["ok"] for c in checks.values())
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
    return JsonResponse(body, status=200 if checks["database"]["ok"] else 503)
