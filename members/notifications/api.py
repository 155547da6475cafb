"""API: your notifications (only those about things you can still see)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from members.notifications.selectors import visible_notifications
from members.tokens.auth import require
from members.tokens.models import TokenScope
from members.tokens.paging import DEFAULT_LIMIT, MAX_LIMIT, cursor_page, page_of
from members.tokens.schemas import PersonOut, responses

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    url: str | None
    community: str | None
    actor: PersonOut | None
    created_at: datetime
    read: bool


class NotificationFilters(Schema):
    unread: bool = Field(False, description="Only unread notifications.")
    cursor: str | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


@router.get("/notifications", response=responses(page_of(NotificationOut)), summary="Your notifications")
def notifications(request: HttpRequest, filters: Query[NotificationFilters]) -> dict:
    """Newest first, as on the notifications page: a notification about a thread disappears when
    you can no longer see it (you left, or its space is now above your role)."""
    caller = require(request, TokenScope.READ, login=True)
    qs = visible_notifications(caller.person)
    if caller.community_id is not None:
        qs = qs.filter(community_id=caller.community_id)
    if filters.unread:
        qs = qs.filter(read_at__isnull=True)
    rows, next_cursor = cursor_page(
        qs, order=["-created_at", "-id"], cursor=filters.cursor, limit=filters.limit, salt="notifications"
    )
    return {
        "items": [
            {
                "id": n.pk,
                "kind": n.kind,
                "text": n.text,
                "url": request.build_absolute_uri(n.url) if n.url else None,
                "community": n.community.slug if n.community else None,
                "actor": {"handle": n.actor.handle, "name": n.actor.name} if n.actor else None,
                "created_at": n.created_at,
                "read": n.read_at is not None,
            }
            for n in rows
        ],
        "next_cursor": next_cursor,
    }
