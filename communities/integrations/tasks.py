"""Webhook jobs: thin wrappers over ``communities.integrations.services``. Idempotent: a
delivery is stored once per event and each try is claimed atomically, so a duplicated task
does nothing.

Retries: a short wait (up to ``RETRY_BACKOFF_MAX``, 10 minutes) is a countdown task on the queue
the current task came from; longer waits are left to the beat sweep ``integrations.retry_due``,
which queues each try once its ``next_attempt_at`` has passed (a countdown longer than the broker's
visibility timeout would be delivered twice)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery import Task, shared_task

from communities.integrations import services
from config.celery import RETRY_BACKOFF_MAX


def _same_queue(task: Task) -> dict[str, str]:
    info = getattr(task.request, "delivery_info", None) or {}
    queue = info.get("routing_key")
    return {"queue": queue} if queue else {}


@shared_task(
    bind=True,
    name="integrations.dispatch_event",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def dispatch_event(
    self: Task, event: str, event_id: str, community_id: int, occurred_at: str, refs: dict[str, Any]
) -> None:
    """Store the deliveries of one event and queue their first tries."""
    ids = services.deliveries_create(
        event=event,
        event_id=event_id,
        community_id=community_id,
        occurred_at=datetime.fromisoformat(occurred_at),
        refs=refs,
    )
    for delivery_id in ids:
        deliver.apply_async((delivery_id, 1), **_same_queue(self))


@shared_task(
    bind=True, name="integrations.deliver", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def deliver(self: Task, delivery_id: int, number: int) -> None:
    """Try ``number`` of a delivery; on failure queue the next try after the backoff delay."""
    delay = services.delivery_attempt(delivery_id=delivery_id, number=number)
    if delay is None:
        return
    if self.request.is_eager and delay > 1:
        # Running eagerly (no worker: the request's own thread) Celery would ignore the countdown
        # and retry at once; leave the try to the beat sweep (next_attempt_at is stored).
        return
    if delay > RETRY_BACKOFF_MAX:
        # A countdown longer than the broker's visibility timeout would be handed out twice
        # (docs/tasks.md); the beat sweep queues this try once next_attempt_at has passed.
        return
    deliver.apply_async((delivery_id, number + 1), countdown=delay, **_same_queue(self))


@shared_task(name="integrations.retry_due", ignore_result=True)
def retry_due() -> None:
    """Re-queue tries whose countdown task was lost (scheduled in config/celery.py)."""
    for delivery_id, number in services.deliveries_due():
        deliver.delay(delivery_id, number)
