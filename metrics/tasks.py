"""Thin Celery wrappers over ``metrics.services`` (tests call the services directly)."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from communities.models import Community
from metrics import services


@shared_task(
    name="metrics.tasks.compute_range", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def compute_range(community_id: int, start_iso: str, end_iso: str) -> None:
    """Recompute a range of local days of one community (idempotent: overwrites each day)."""
    services.metrics_compute_range(
        community_id=community_id, start=date.fromisoformat(start_iso), end=date.fromisoformat(end_iso)
    )


@shared_task(name="metrics.tasks.compute_day", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def compute_day(community_id: int, day_iso: str) -> None:
    services.metrics_compute_day(community_id=community_id, day=date.fromisoformat(day_iso))


@shared_task(name="metrics.tasks.compute_due", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def compute_due() -> None:
    """Beat entry: for each community whose local midnight passed since its last computed day,
    compute the day that ended and refresh the days before it."""
    for community in Community.objects.only("pk", "time_zone", "created_at").iterator():
        due = services.due_days(community)
        if due is not None:
            compute_range.delay(community.pk, due[0].isoformat(), due[1].isoformat())
