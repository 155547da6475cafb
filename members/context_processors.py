from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from members.notifications.selectors import unread_count


def site(request: HttpRequest) -> dict:
    """Site name and the unread-notification count for the header bell: counting only what the
    notifications page shows, one query on a cache miss and none while cached
    (``members.notifications.selectors.unread_count``)."""
    unread = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        unread = unread_count(user)
    return {"site_name": settings.SITE_NAME, "unread_notifications": unread}
