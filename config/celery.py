"""The Celery app. Every periodic schedule lives here, with a comment saying when it runs."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, Task
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

log = logging.getLogger(__name__)


class HearthTask(Task):
    """A task whose publishing never takes a request down with the broker.

    If the broker (Redis) is unreachable, the call is recorded in the database
    (``members.DeferredTask``) and re-sent by a periodic sweep once the broker is back, so nothing
    is lost and posting does not hang. Publishing itself is bounded by the short broker timeouts
    in settings.
    """

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        if self.app.conf.task_always_eager:
            return super().apply_async(args, kwargs, **options)
        try:
            return super().apply_async(args, kwargs, **options)
        except (OperationalError, OSError) as exc:
            from members.deferred import defer_task

            defer_task(self.name, args or (), kwargs or {}, error=exc)
            log.warning(
                "broker unavailable; deferred %s for a later sweep (%s)", self.name, exc.__class__.__name__
            )
            return None


app = Celery("hearth", task_cls=HearthTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Beat schedule: apps register nothing themselves; each entry is listed here.
app.conf.beat_schedule = {
    # Every minute: re-send tasks that could not be published while the broker was down.
    "republish-deferred-tasks": {"task": "members.tasks.republish_deferred_tasks", "schedule": 60.0},
}
