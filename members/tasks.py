from __future__ import annotations

from celery import shared_task

from members.deferred import republish_deferred


@shared_task(ignore_result=True)
def republish_deferred_tasks() -> int:
    return republish_deferred()
