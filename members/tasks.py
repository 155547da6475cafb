"""Celery tasks of members: the stuck-work sweep and re-sending deferred task calls."""

from __future__ import annotations

from celery import shared_task

from members.deferred import republish_deferred
from members.notifications.emails import email_sweep
from members.submissions.services import submission_keys_prune


@shared_task(name="members.tasks.republish_deferred_tasks", ignore_result=True)
def republish_deferred_tasks() -> int:
    """Every minute (config/celery.py): re-send task calls deferred while the broker was down."""
    return republish_deferred()


@shared_task(name="members.tasks.sweep_stuck_work", ignore_result=True)
def sweep_stuck_work() -> dict[str, int]:
    """Every 5 minutes (config/celery.py): finish work a dead worker, a lost message or an outage
    left behind, each piece exactly once (docs/tasks.md)."""
    counts = email_sweep()
    counts["deferred"] = republish_deferred()
    counts["submission_keys_pruned"] = submission_keys_prune()
    return counts
