"""Celery tasks for rituals and onboarding: thin wrappers over ``communities.ritual_services``.

Registered with the worker through ``imports`` in ``config/celery.py``; the beat entry that
runs ``post_due_rituals`` every minute is there too.
"""

from __future__ import annotations

import logging

from celery import shared_task

from communities import ritual_services

log = logging.getLogger(__name__)


@shared_task(
    name="communities.post_due_rituals", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def post_due_rituals() -> int:
    """Post every due ritual occurrence once, and auto-lock old ones. Safe to run twice."""
    return ritual_services.ritual_post_due()


@shared_task(
    name="communities.welcome_newcomer", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def welcome_newcomer(membership_id: int) -> bool:
    """Send the welcome and notify welcomers (once per membership)."""
    return ritual_services.onboarding_welcome(membership_id=membership_id)


@shared_task(name="communities.welcome_sweep", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def welcome_sweep() -> int:
    """Catch up on welcomes whose task was never delivered (the broker was down at join time)."""
    return ritual_services.onboarding_welcome_sweep()


def enqueue_welcome(membership_id: int) -> None:
    """Queue the welcome; if the broker is unreachable, log it and let ``welcome_sweep`` catch
    up, rather than failing the join request (it has already committed)."""
    try:
        welcome_newcomer.delay(membership_id)
    except Exception:  # any broker/connection error: the sweep will welcome them
        log.warning("could not queue the welcome for membership %s; the sweep will retry", membership_id)
