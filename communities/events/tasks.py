"""Celery tasks for events: thin wrappers over ``communities.events.services``. The beat entry
that runs ``send_event_reminders`` every minute is in ``config/celery.py``."""

from __future__ import annotations

from celery import shared_task

from communities.events import services


@shared_task(name="events.send_reminders", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_event_reminders() -> int:
    """Send every due 24-hour and 1-hour reminder once. Safe to run twice or concurrently."""
    return services.reminders_send_due()
