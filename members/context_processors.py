from __future__ import annotations

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from members.messages.selectors import unread_conversations_q
from members.models import User
from members.notifications.models import Notification
from members.notifications.selectors import visible_notifications_q


def _count_of(qs: QuerySet) -> Coalesce:
    grouped = qs.order_by().annotate(one=Count("pk")).values("one")
    return Coalesce(Subquery(grouped[:1], output_field=IntegerField()), 0)


def site(request: HttpRequest) -> dict:
    """Site name and the header's unread counts, in one query: notifications for the bell
    (counting only what the notifications page shows, ``visible_notifications_q``) and
    conversations with unread private messages (``members.messages.selectors``)."""
    unread = conversations = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        notifications = (
            Notification.objects.filter(recipient_id=OuterRef("pk"), read_at__isnull=True)
            .filter(visible_notifications_q(user))
            .values("recipient_id")
        )
        row = (
            User.objects.filter(pk=user.pk)
            .annotate(n=_count_of(notifications), m=_count_of(unread_conversations_q(user)))
            .values_list("n", "m")
            .first()
        )
        if row is not None:
            unread, conversations = row
    return {
        "site_name": settings.SITE_NAME,
        "unread_notifications": unread,
        "unread_conversations": conversations,
    }
