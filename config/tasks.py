"""Site-level Celery tasks (app tasks live in each app's tasks.py)."""

from __future__ import annotations

from celery import shared_task

from config import heartbeat as heartbeat_store


@shared_task(name="config.tasks.heartbeat", ignore_result=True, acks_late=True)
def heartbeat(token: str = "") -> None:
    """Record that a worker is alive and can reach the database (reported by /healthz)."""
    heartbeat_store.record(token=token)
