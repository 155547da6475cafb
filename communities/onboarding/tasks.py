"""communities/onboarding/tasks.py (moved here by the reshape)."""

from __future__ import annotations

import logging

from celery import shared_task

from communities.onboarding import services as onboarding_services

log = logging.getLogger(__name__)


@shared_task(
    name="communities.welcome_newcomer", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def welcome_newcomer(membership_id: int) -> bool:
    """Send the welcome and notify welcomers (once per membership)."""
    return onboarding_services.onboarding_welcome(membership_id=membership_id)


@shared_task(name="communities.welcome_sweep", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def welcome_sweep() -> int:
    """Catch up on welcomes whose task was never delivered (the broker was down at join time)."""
    return onboarding_services.onboarding_welcome_sweep()


def enqueue_welcome(membership_id: int) -> None:
    """Queue the welcome; if the broker is unreachable, log it and let ``welcome_sweep`` catch
    up, rather than failing the join request (it has already committed)."""
    try:
        welcome_newcomer.delay(membership_id)
    except Exception:  # any broker/connection error: the sweep will welcome them
        log.warning("could not queue the welcome for membership %s; the sweep will retry", membership_id)
