"""Celery tasks of the API tokens room: thin wrappers over its services."""

from __future__ import annotations

from celery import shared_task

from members.tokens import services


@shared_task(name="members.tokens.prune_idempotent_requests", ignore_result=True)
def prune_idempotent_requests() -> int:
    """Forget Idempotency-Key answers older than a day (idempotent: deleting twice is harmless)."""
    return services.idempotent_requests_prune()
