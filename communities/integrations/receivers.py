"""Connects Hearth's events to webhook delivery (imported by the communities app config)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from communities.integrations import events, services, tasks


@receiver(events.hearth_event, dispatch_uid="integrations.queue_webhooks")
def queue_webhooks(
    sender: object,
    *,
    event: str,
    event_id: str,
    community_id: int,
    occurred_at: datetime,
    refs: dict[str, Any],
    **kwargs: object,
) -> None:
    """Runs after the write committed: queue the dispatch job if some webhook wants the event."""
    if not services.webhooks_wanting(event=event, community_id=community_id, refs=refs):
        return
    tasks.dispatch_event.delay(event, event_id, community_id, occurred_at.isoformat(), refs)
