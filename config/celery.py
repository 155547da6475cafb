"""The Celery app. Every periodic schedule lives here, with a comment saying when it runs."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hearth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Beat schedule: apps register nothing themselves; each entry is listed here.
app.conf.beat_schedule = {
    # Metrics: every 15 minutes, each community whose local midnight has passed since its last
    # computed day gets that day computed and the 3 days before it refreshed (metrics.tasks).
    "metrics-compute-due": {"task": "metrics.tasks.compute_due", "schedule": 15 * 60},
}
