from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    """Site name and the unread-notification count for the header bell (one cheap query)."""
    unread = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from members.models import Notification

        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"site_name": settings.SITE_NAME, "unread_notifications": unread}
