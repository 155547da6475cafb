"""The Celery app. Every periodic schedule lives here, with a comment saying when it runs."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hearth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task modules not named tasks.py (autodiscovery only finds <app>.tasks).
app.conf.imports = ("communities.ritual_tasks",)

# Beat schedule: apps register nothing themselves; each entry is listed here.
app.conf.beat_schedule = {
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
}
