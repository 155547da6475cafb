"""Tasks that could not be published (broker down), kept until a sweep re-sends them."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)


def defer_task(name: str, args: Any, kwargs: Any, *, error: Exception | None = None) -> None:
    from members.models import DeferredTask

    try:
        DeferredTask.objects.create(
            task_name=name,
            args=json.loads(json.dumps(list(args), default=str)),
            kwargs=json.loads(json.dumps(dict(kwargs), default=str)),
            last_error=(error.__class__.__name__ if error else "")[:200],
        )
    except Exception:  # the database is down too: nothing more we can do than say so loudly
        log.exception("could not record deferred task %s", name)


def republish_deferred(limit: int = 500) -> int:
    """Send deferred tasks to the broker; returns how many were sent. Safe to run concurrently."""
    from config.cache import is_open
    from config.celery import app
    from members.models import DeferredTask

    broker_url = str(app.conf.broker_url or "")
    if broker_url.startswith(("redis://", "rediss://")) and is_open(broker_url):
        return 0  # the broker failed a moment ago: don't wait on it, the next sweep tries again
    sent = 0
    with transaction.atomic():
        rows = list(DeferredTask.objects.select_for_update(skip_locked=True).order_by("id")[:limit])
        for row in rows:
            try:
                if app.conf.task_always_eager and row.task_name in app.tasks:
                    app.tasks[row.task_name].apply(args=row.args, kwargs=row.kwargs)  # no broker (tests)
                else:
                    app.send_task(row.task_name, args=row.args, kwargs=row.kwargs)
            except Exception as exc:  # broker still down: keep the rest for the next sweep
                DeferredTask.objects.filter(pk=row.pk).update(
                    attempts=row.attempts + 1, last_error=str(exc)[:200]
                )
                break
            row.delete()
            sent += 1
    return sent
