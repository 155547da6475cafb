"""Celery tasks for rituals and onboarding: thin wrappers over ``communities.ritual_services``.

Registered with the worker through ``imports`` in ``config/celery.py``; the beat entry that
runs ``post_due_rituals`` every minute is there too.
"""

from __future__ import annotations

import logging

from celery import shared_task

from communities.rituals import services as ritual_services

log = logging.getLogger(__name__)


@shared_task(
    name="communities.post_due_rituals", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def post_due_rituals() -> int:
    """Post every due ritual occurrence once, and auto-lock old ones. Safe to run twice."""
    return ritual_services.ritual_post_due()
