"""The Celery app. Every periodic schedule lives here, with a comment saying when it runs."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.schedules import crontab
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

log = logging.getLogger(__name__)


class HearthTask(DjangoTask):
    """A task whose publishing never takes a request down with the broker.

    If the broker (Redis) is unreachable, the call is recorded in the database
    (``members.DeferredTask``) and re-sent by a periodic sweep once the broker is back, so nothing
    is lost and posting does not hang. Publishing itself is bounded by the short broker timeouts
    in settings. (A DjangoTask, so ``delay_on_commit`` is there too.)
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
# Task modules not named tasks.py (autodiscovery only finds <app>.tasks), and config's own
# tasks (config is not a Django app, so autodiscovery does not see it).
app.conf.imports = (
    "communities.discussions.tasks",
    "communities.onboarding.tasks",
    "communities.portability.tasks",
    "communities.rituals.tasks",
    "members.notifications.tasks",
    "members.tokens.tasks",
    "config.tasks",
)

# Beat schedule: apps register nothing themselves; each entry is listed here.
app.conf.beat_schedule = {
    # Every minute: the worker records a heartbeat that /healthz reports ("is a worker running?").
    "worker-heartbeat": {"task": "config.tasks.heartbeat", "schedule": 60.0},
    # Every hour at :17: delete community archives whose download link has expired, and
    # leftover import uploads older than a day (communities/export_services.exports_cleanup).
    "cleanup-expired-exports": {
        "task": "communities.tasks.cleanup_exports",
        "schedule": crontab(minute=17),
    },
    # Metrics: every 15 minutes, each community whose local midnight has passed since its last
    # computed day gets that day computed and the 3 days before it refreshed (metrics.tasks).
    "metrics-compute-due": {"task": "metrics.tasks.compute_due", "schedule": crontab(minute="*/15")},
    # Rituals: every minute, post each due ritual occurrence exactly once (claimed atomically,
    # unique per occurrence) and auto-lock old ritual threads. `expires` drops ticks that queued
    # up while no worker ran: the next tick catches up on its own.
    "rituals-post-due": {
        "task": "communities.post_due_rituals",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Onboarding: every 5 minutes, welcome people who joined in the last day but whose welcome
    # task was never delivered (e.g. Redis was down at join time). Each welcome is sent once.
    "onboarding-welcome-sweep": {
        "task": "communities.welcome_sweep",
        "schedule": 300.0,
        "options": {"expires": 280},
    },
    # Every 15 minutes: send daily/weekly email digests to members whose local digest hour has
    # come (each member's time zone and chosen hour; idempotent per member per period).
    "members-dispatch-digests": {
        "task": "members.tasks.dispatch_digests",
        "schedule": crontab(minute="*/15"),
    },
    # Every hour at :41: forget API Idempotency-Key answers older than a day (members.tokens).
    "api-prune-idempotent-requests": {
        "task": "members.tokens.prune_idempotent_requests",
        "schedule": crontab(minute=41),
    },
    # Every minute: re-send tasks that could not be published while the broker was down.
    "republish-deferred-tasks": {"task": "members.tasks.republish_deferred_tasks", "schedule": 60.0},
}
