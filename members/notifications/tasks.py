"""Celery tasks: thin wrappers over the email and digest services."""

from __future__ import annotations

import smtplib
from datetime import datetime

from celery import shared_task

from config.celery import DATABASE_ERRORS, RETRY_BACKOFF_MAX
from members.notifications import digests as services_digest
from members.notifications import emails as services_email

# Transient SMTP trouble (connection refused, timeouts, 4xx) and database errors (a terminated
# connection, a restart) are retried with exponential backoff: ~30 s, 60 s, 120 s ... capped at
# 10 minutes (below the broker's visibility timeout), eight times. Permanent failures are
# recorded by the services and not raised, so they never retry and never block anyone else.
RETRY = {
    "autoretry_for": (OSError, smtplib.SMTPException, *DATABASE_ERRORS),
    "retry_backoff": 30,
    "retry_backoff_max": RETRY_BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(
    name="members.tasks.send_notification_email",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    **RETRY,
)
def send_notification_email(notification_id: int) -> None:
    services_email.notification_email_send(notification_id=notification_id)


@shared_task(
    name="members.tasks.send_digest", acks_late=True, reject_on_worker_lost=True, ignore_result=True, **RETRY
)
def send_digest(user_id: int, period_key: str, now_iso: str) -> None:
    services_digest.digest_send(user_id=user_id, period_key=period_key, now=datetime.fromisoformat(now_iso))


@shared_task(
    name="members.tasks.dispatch_digests", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def dispatch_digests() -> int:
    """Every 15 minutes (config/celery.py): queue the digests that are due."""
    return services_digest.digests_dispatch()
