"""A Redis cache that degrades to misses when Redis is unreachable.

Losing Redis must not take pages down: reads return the default, writes are dropped, and a
warning is logged (at most once a minute per process).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is a hard dependency
    RedisError = OSError  # type: ignore[misc,assignment]

_ERRORS = (RedisError, OSError)
_last_warning = 0.0


def _warn(exc: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 60:
        _last_warning = now
        log.warning("cache unavailable, continuing without it: %s", exc.__class__.__name__)


class ResilientRedisCache(RedisCache):
    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except _ERRORS as exc:
            _warn(exc)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        try:
            return super().get_many(keys, version)
        except _ERRORS as exc:
            _warn(exc)
            return {}

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except _ERRORS as exc:
            _warn(exc)

    def set_many(self, data: dict, timeout: Any = None, version: int | None = None) -> list:
        try:
            return super().set_many(data, timeout, version)
        except _ERRORS as exc:
            _warn(exc)
            return list(data)

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except _ERRORS as exc:
            _warn(exc)
            # Report "added" so callers that throttle with add() do their work rather than skip it.
            return True

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except _ERRORS as exc:
            _warn(exc)
            return False

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except _ERRORS as exc:
            _warn(exc)
            raise ValueError("cache unavailable") from exc

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        try:
            return super().touch(key, timeout, version)
        except _ERRORS as exc:
            _warn(exc)
            return False
