"""Celery tasks of onboarding: thin wrappers over ``communities.onboarding.services``."""

from __future__ import annotations

from celery import shared_task

from communities.onboarding import services as onboarding_services


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
