from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from members.notifications.models import Notification
from members.notifications.selectors import visible_notifications_q


def site(request: HttpRequest) -> dict:
    """Site name and the unread-notification count for the header bell: one query, counting only
    what the notifications page shows (``communities.selectors.visible_notifications_q``)."""
    unread = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        unread = (
            Notification.objects.filter(recipient=user, read_at__isnull=True)
            .filter(visible_notifications_q(user))
            .count()
        )
    return {"site_name": settings.SITE_NAME, "unread_notifications": unread}
