"""Thin Celery wrappers over communities services."""

from __future__ import annotations

from celery import shared_task

from communities.services import post_notify


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def notify_post(post_id: int, mentions_only: bool = False) -> None:
    post_notify(post_id=post_id, mentions_only=mentions_only)
