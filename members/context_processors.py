from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from members.messages.selectors import (
    UNREAD_CONVERSATIONS_TTL,
    unread_conversations_key,
    unread_conversations_q,
)
from members.models import User
from members.notifications.models import Notification
from members.notifications.selectors import UNREAD_COUNT_TTL, unread_count_key, visible_notifications_q


def _count_of(qs: QuerySet) -> Coalesce:
    grouped = qs.order_by().annotate(one=Count("pk")).values("one")
    return Coalesce(Subquery(grouped[:1], output_field=IntegerField()), 0)


def _cached(value: object, stamp: float) -> int | None:
    if isinstance(value, tuple) and len(value) == 2 and value[0] == stamp:
        return int(value[1])
    return None


def header_counts(user: User) -> tuple[int, int]:
    """The header's unread counts: notifications for the bell (what the notifications page
    shows, ``visible_notifications_q``) and conversations with unread private messages.

    Both are cached per member (one cache read, no query) and forgotten by the writes that
    change them (``unread_count_forget``, ``unread_conversations_forget``); when either is
    missing, one query counts both. Cached values carry the account's creation time, so an
    account that reuses an id (SQLite test databases) never reads another's counts."""
    stamp = user.date_joined.timestamp()
    bell_key, conv_key = unread_count_key(user.pk), unread_conversations_key(user.pk)
    found = cache.get_many([bell_key, conv_key])
    unread, conversations = _cached(found.get(bell_key), stamp), _cached(found.get(conv_key), stamp)
    if unread is not None and conversations is not None:
        return unread, conversations
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
    unread, conversations = row if row is not None else (0, 0)
    cache.set_many(
        {bell_key: (stamp, unread), conv_key: (stamp, conversations)},
        min(UNREAD_COUNT_TTL, UNREAD_CONVERSATIONS_TTL),
    )
    return unread, conversations


def site(request: HttpRequest) -> dict:
    """Site name and the header's unread counts (``header_counts``)."""
    unread = conversations = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        unread, conversations = header_counts(user)
    return {
        "site_name": settings.SITE_NAME,
        "unread_notifications": unread,
        "unread_conversations": conversations,
    }
