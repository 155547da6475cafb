"""The Celery app. Every periodic schedule lives here, with a comment saying when it runs."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hearth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Beat schedule: apps register nothing themselves; each entry is listed here.
app.conf.beat_schedule = {
    # Every hour at :17: delete community archives whose download link has expired, and
    # leftover import uploads older than a day (communities/export_services.exports_cleanup).
    "cleanup-expired-exports": {
        "task": "communities.tasks.cleanup_exports",
        "schedule": crontab(minute=17),
    },
}
