"""A Redis cache that degrades to misses when Redis is unreachable, and a circuit breaker.

Losing Redis must not take pages down: reads return the default, writes are dropped, and a
warning is logged (at most once a minute per process).

A *hung* Redis (it accepts connections and never answers) is worse than a dead one: every call
waits for its socket timeout. So the first failure of a Redis endpoint opens a per-process
circuit breaker for :data:`BREAKER_SECONDS`: until then every cache call on that endpoint
returns at once as a miss, and ``config.celery.HearthTask`` defers task calls to the database
instead of publishing (the broker is usually the same Redis). One request per window pays one
short socket timeout (settings: 0.25 s for the cache) to find out whether Redis is back.

Callers that must not trust a degraded cache (the posting rate limits, which would otherwise let
everything through) ask :func:`degraded` and fall back to the database.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlparse

from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is a hard dependency
    RedisError = OSError  # type: ignore[misc,assignment]

_ERRORS = (RedisError, OSError)
_last_warning = 0.0

# How long a failed Redis endpoint is left alone before one call tries it again.
BREAKER_SECONDS = 10.0
_open_until: dict[str, float] = {}
_lock = threading.Lock()


def endpoint(url: str) -> str:
    """``host:port`` of a redis:// URL (the breaker's key: cache and broker share a server)."""
    parsed = urlparse(url)
    return f"{parsed.hostname or 'localhost'}:{parsed.port or 6379}"


def is_open(url: str) -> bool:
    """True while the breaker of ``url``'s endpoint is open (a recent failure)."""
    until = _open_until.get(endpoint(url))
    return until is not None and time.monotonic() < until


def trip(url: str, exc: BaseException | None = None) -> None:
    """Record a failure of ``url``'s endpoint: calls skip it for BREAKER_SECONDS."""
    with _lock:
        _open_until[endpoint(url)] = time.monotonic() + BREAKER_SECONDS
    if exc is not None:
        _warn(exc)


def close(url: str) -> None:
    with _lock:
        _open_until.pop(endpoint(url), None)


def reset_breakers() -> None:
    """Forget every failure (tests; a fresh process starts closed)."""
    with _lock:
        _open_until.clear()


def degraded() -> bool:
    """True when the default cache is a Redis cache that is failing right now, so counters and
    "seen before" markers kept in it can't be trusted (rate limits fall back to the database)."""
    from django.core.cache import caches

    backend = caches["default"]
    return isinstance(backend, ResilientRedisCache) and backend.is_down()


def _warn(exc: BaseException) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 60:
        _last_warning = now
        log.warning("cache unavailable, continuing without it: %s", exc.__class__.__name__)


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._url: str = self._servers[0]  # type: ignore[attr-defined]  # RedisCache's LOCATION list

    def is_down(self) -> bool:
        return is_open(self._url)

    def _failed(self, exc: BaseException) -> None:
        trip(self._url, exc)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        if self.is_down():
            return default
        try:
            return super().get(key, default, version)
        except _ERRORS as exc:
            self._failed(exc)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        if self.is_down():
            return {}
        try:
            return super().get_many(keys, version)
        except _ERRORS as exc:
            self._failed(exc)
            return {}

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        if self.is_down():
            return
        try:
            super().set(key, value, timeout, version)
        except _ERRORS as exc:
            self._failed(exc)

    def set_many(self, data: dict, timeout: Any = None, version: int | None = None) -> list:
        if self.is_down():
            return list(data)
        try:
            return super().set_many(data, timeout, version)
        except _ERRORS as exc:
            self._failed(exc)
            return list(data)

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        # Report "added" when Redis is down so callers that throttle with add() do their work
        # rather than skip it; the ones that must not be fooled check degraded().
        if self.is_down():
            return True
        try:
            return super().add(key, value, timeout, version)
        except _ERRORS as exc:
            self._failed(exc)
            return True

    def has_key(self, key: Any, version: int | None = None) -> bool:
        # Sessions (cached_db) ask "is this key cached?"; when Redis is down the answer is no
        # and the session is read from the database.
        if self.is_down():
            return False
        try:
            return super().has_key(key, version)
        except _ERRORS as exc:
            self._failed(exc)
            return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        if self.is_down():
            return False
        try:
            return super().delete(key, version)
        except _ERRORS as exc:
            self._failed(exc)
            return False

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        if self.is_down():
            return
        try:
            super().delete_many(keys, version)
        except _ERRORS as exc:
            self._failed(exc)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        if self.is_down():
            raise ValueError("cache unavailable")
        try:
            return super().incr(key, delta, version)
        except _ERRORS as exc:
            self._failed(exc)
            raise ValueError("cache unavailable") from exc

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        if self.is_down():
            return False
        try:
            return super().touch(key, timeout, version)
        except _ERRORS as exc:
            self._failed(exc)
            return False

    def clear(self) -> None:
        if self.is_down():
            return
        try:
            super().clear()
        except _ERRORS as exc:
            self._failed(exc)
