"""The worker heartbeat: proof that a Celery worker is consuming the queue.

The ``config.tasks.heartbeat`` task (scheduled every minute in ``config/celery.py``) calls
:func:`record` in the worker; ``/healthz`` calls :func:`last` in the web process. The beat is
stored in the cache (shared through Redis in production) and in a small file under the var
folder (shared on one machine, which is how the embedded ``make run`` worker talks to the web
process, whose cache is per-process local memory).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

CACHE_KEY = "worker-heartbeat"
CACHE_TTL = 24 * 3600


def _file() -> Path:
    return Path(settings.VAR_DIR) / "worker-heartbeat.json"


def record(token: str = "") -> dict:
    """Write a heartbeat from the current (worker) process and return it."""
    database_ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # a heartbeat reports a broken database, it does not fail on it
        database_ok = False
    beat = {
        "at": timezone.now().isoformat(),
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "token": token,
        "database_ok": database_ok,
        "database_name": str(connection.settings_dict.get("NAME", "")),
    }
    cache.set(CACHE_KEY, beat, CACHE_TTL)
    try:
        path = _file()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(beat), encoding="utf-8")
        tmp.replace(path)  # atomic: a reader never sees half a file
    except OSError:
        pass  # the cache copy is enough (e.g. a read-only var folder in a container)
    return beat


def last() -> dict | None:
    """The most recent heartbeat any worker recorded, or None."""
    candidates = []
    beat = cache.get(CACHE_KEY)
    if isinstance(beat, dict):
        candidates.append(beat)
    with contextlib.suppress(OSError, ValueError):
        candidates.append(json.loads(_file().read_text(encoding="utf-8")))
    if not candidates:
        return None
    return max(candidates, key=lambda b: b.get("at", ""))


def age_seconds(beat: dict, now: datetime | None = None) -> float | None:
    try:
        at = datetime.fromisoformat(beat["at"])
    except (KeyError, TypeError, ValueError):
        return None
    return round(((now or timezone.now()) - at).total_seconds(), 1)
