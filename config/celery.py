"""The Celery app. Every periodic schedule lives here, with a comment saying when it runs."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.schedules import crontab
from django.db import InterfaceError
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

log = logging.getLogger(__name__)


# Database trouble (a restarted server, a terminated connection, SQLite's "database is locked")
# is retried with exponential backoff: ~5 s, 10 s, 20 s ... capped at 10 minutes, 8 times. Every
# Hearth task is idempotent (docs/tasks.md), so running one again is always safe.
DATABASE_ERRORS = (DatabaseOperationalError, InterfaceError)
RETRY_BACKOFF_MAX = 600  # seconds; the broker's visibility timeout must stay above it (settings)


class HearthTask(DjangoTask):
    """The base of every Hearth task: delivery semantics and publishing that never hangs.

    Delivery (docs/tasks.md): acknowledged late and re-queued when the worker dies
    (``acks_late``, ``reject_on_worker_lost``); database errors retried with backoff. A task
    that needs other retries sets its own ``autoretry_for`` and includes DATABASE_ERRORS.

    Publishing: if the broker (Redis) is unreachable or recently failed (the circuit breaker of
    ``config.cache``), the call is recorded in the database (``members.DeferredTask``) and re-sent
    by the stuck-work sweep once the broker is back, so nothing is lost and posting does not
    hang. (A DjangoTask, so ``delay_on_commit`` is there too.)
    """

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = DATABASE_ERRORS
    retry_backoff = 5
    retry_backoff_max = RETRY_BACKOFF_MAX
    retry_jitter = True
    max_retries = 8

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        if self.app.conf.task_always_eager:
            return super().apply_async(args, kwargs, **options)
        from config.cache import is_open, trip

        broker_url = str(self.app.conf.broker_url or "")
        uses_redis = broker_url.startswith(("redis://", "rediss://"))
        if uses_redis and is_open(broker_url):
            return self._defer(args, kwargs, "broker circuit open")
        try:
            return super().apply_async(args, kwargs, **options)
        except (OperationalError, OSError) as exc:
            if uses_redis:
                trip(broker_url)
            return self._defer(args, kwargs, exc)

    def _defer(self, args: Any, kwargs: Any, why: object) -> None:
        from members.deferred import defer_task

        defer_task(self.name, args or (), kwargs or {}, error=why if isinstance(why, Exception) else None)
        reason = why.__class__.__name__ if isinstance(why, Exception) else why
        log.warning("broker unavailable; deferred %s for a later sweep (%s)", self.name, reason)
        return None


app = Celery("hearth", task_cls=HearthTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task modules not named tasks.py (autodiscovery only finds <app>.tasks), and config's own
# tasks (config is not a Django app, so autodiscovery does not see it).
app.conf.imports = (
    "communities.discussions.tasks",
    "communities.events.tasks",
    "communities.integrations.tasks",
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
    # Events: every minute, send the 24-hour and 1-hour reminders that came due, each once per
    # (event, person, kind): a conditional UPDATE claims each event's reminder and a unique row
    # per person backs it, so two beat processes or a restart never remind twice
    # (communities/events/services.reminders_send_due). `expires` drops ticks queued while no
    # worker ran: the next tick sends whatever is still due.
    "events-send-reminders": {
        "task": "events.send_reminders",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
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
    # Every minute: webhook tries whose countdown task was lost (broker or worker restart) are
    # queued again; each try is claimed atomically, so a duplicate does nothing.
    "webhooks-retry-due": {
        "task": "integrations.retry_due",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Every minute: re-send tasks that could not be published while the broker was down.
    "republish-deferred-tasks": {"task": "members.tasks.republish_deferred_tasks", "schedule": 60.0},
    # Every 5 minutes: the stuck-work sweep (docs/tasks.md). Finds work a dead worker, a lost
    # message or a database outage left behind and finishes each piece exactly once: notifications
    # without an email row, emails pending or "sending" for too long (each re-queued once per
    # sweep window by a conditional UPDATE), and deferred task calls. `expires` drops ticks that
    # queued up while no worker ran.
    "sweep-stuck-work": {
        "task": "members.tasks.sweep_stuck_work",
        "schedule": 300.0,
        "options": {"expires": 280},
    },
}
