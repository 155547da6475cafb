"""The Celery app. Every periodic schedule lives here, with a comment saying when it runs."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hearth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# config is not a Django app, so autodiscovery does not see its tasks module.
app.conf.imports = ("config.tasks",)

# Beat schedule: apps register nothing themselves; each entry is listed here.
app.conf.beat_schedule = {
    # Every minute: the worker records a heartbeat that /healthz reports ("is a worker running?").
    "worker-heartbeat": {"task": "config.tasks.heartbeat", "schedule": 60.0},
}
