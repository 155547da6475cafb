"""Celery tasks of discussions: thin wrappers over ``communities.discussions.services``."""

from __future__ import annotations

from celery import shared_task

from communities.discussions.services import post_notify


@shared_task(
    name="communities.tasks.notify_post", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def notify_post(post_id: int, mentions_only: bool = False) -> None:
    post_notify(post_id=post_id, mentions_only=mentions_only)
