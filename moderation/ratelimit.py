"""A small rate-limit helper on the shared cache (Redis in production, so limits hold across
processes).

A limit is "at most ``limit`` hits per ``window`` seconds", counted from the first hit of a
window (an anchored window: the window starts with the first action and ends ``window`` seconds
later). Two cache keys per (name, identity): the window's start time (written once with
``add``) and a counter (``add`` then atomic ``incr``). When the limit is exceeded,
:class:`RateLimited` says when the person can try again.

If the cache is unreachable the helper lets the action through: losing Redis must not stop
people from posting.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone


class RateLimited(ValidationError):
    """Too many actions. ``retry_at`` is when the person may try again; ``retry_after`` in seconds.

    A ValidationError so that views already showing service errors on a form show this one too,
    keeping what the person typed. JSON/htmx views answer it with 429 and ``Retry-After``.
    """

    def __init__(self, message: str, *, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        self.retry_at = timezone.now() + timedelta(seconds=self.retry_after)
        super().__init__(message, code="rate_limited")


@dataclass(frozen=True)
class Limit:
    name: str  # e.g. "post", "thread-day", "flag-day"
    limit: int  # hits allowed per window
    window: int  # seconds


def enabled() -> bool:
    """Limits are on unless ``RATE_LIMITS_ENABLED`` is false (tests turn them on where they test them)."""
    return bool(getattr(settings, "RATE_LIMITS_ENABLED", True))


def _key(name: str, identity: str) -> str:
    return f"rl:{name}:{identity}"


def hit(limit: Limit, identity: str, *, message: str) -> None:
    """Count one action; raise :class:`RateLimited` if it goes over the limit.

    ``message`` may contain ``{when}`` (a phrase such as "in 12 seconds").
    """
    if not enabled():
        return
    now = time.time()
    key = _key(limit.name, identity)
    started = now
    if not cache.add(f"{key}:start", now, limit.window):
        started = cache.get(f"{key}:start", now)
    if cache.add(f"{key}:n", 1, limit.window):
        count = 1
    else:
        try:
            count = cache.incr(f"{key}:n")
        except ValueError:  # the key expired just now, or the cache is down: let it through
            count = 1
    if count > limit.limit:
        retry_after = math.ceil(started + limit.window - now)
        if retry_after <= 0:
            return
        raise RateLimited(message.format(when=describe_wait(retry_after)), retry_after=retry_after)


def once(name: str, identity: str, window: int, *, message: str) -> None:
    """Refuse a repeat of the same thing (``identity``) within ``window`` seconds."""
    if not enabled():
        return
    now = time.time()
    key = _key(name, identity)
    if cache.add(key, now, window):
        return
    started = cache.get(key, now)
    retry_after = math.ceil(started + window - now)
    if retry_after > 0:
        raise RateLimited(message.format(when=describe_wait(retry_after)), retry_after=retry_after)


def check_once(name: str, identity: str, window: int, *, message: str) -> None:
    """Like :func:`once` but only looks: raises if the thing was recorded, records nothing."""
    if not enabled():
        return
    started = cache.get(_key(name, identity))
    if started is None:
        return
    retry_after = math.ceil(started + window - time.time())
    if retry_after > 0:
        raise RateLimited(message.format(when=describe_wait(retry_after)), retry_after=retry_after)


def reset(name: str, identity: str) -> None:
    key = _key(name, identity)
    cache.delete_many([f"{key}:start", f"{key}:n", key])


def digest(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()[:32]


def describe_wait(seconds: int) -> str:
    """'in 5 seconds', 'in 3 minutes', 'in 2 hours' (rounded up, so the promise holds)."""
    if seconds < 60:
        return f"in {seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 3600:
        minutes = math.ceil(seconds / 60)
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(seconds / 3600)
    return f"in {hours} hour{'s' if hours != 1 else ''}"


def retry_time(exc: RateLimited) -> datetime:
    return exc.retry_at


def rate_limited_response(request: HttpRequest, exc: RateLimited) -> HttpResponse | None:
    """For JSON/htmx callers (e.g. the discussions composer): 429 with the message and Retry-After.
    Returns None for plain form posts, which re-render the form with the message instead."""
    if not (
        request.headers.get("HX-Request") == "true" or "application/json" in request.headers.get("Accept", "")
    ):
        return None
    response = JsonResponse(
        {
            "error": " ".join(exc.messages),
            "retry_after": exc.retry_after,
            "retry_at": exc.retry_at.isoformat(),
        },
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response
