"""Celery tasks of members: re-sending task calls deferred while the broker was down."""

from __future__ import annotations

from celery import shared_task

from members.deferred import republish_deferred


@shared_task(name="members.tasks.republish_deferred_tasks", ignore_result=True)
def republish_deferred_tasks() -> int:
    """Every minute (config/celery.py): re-send task calls deferred while the broker was down."""
    return republish_deferred()
