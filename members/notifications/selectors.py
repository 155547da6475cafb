"""Reads of notifications and email delivery preferences."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
)

from members.models import ROLE_RANK, Membership, MembershipStatus, User
from members.notifications.models import (
    DEFAULT_EMAIL_DELIVERY,
    EmailDelivery,
    Notification,
    NotificationPreference,
)

# --- Notifications ---------------------------------------------------------------------------------

NOTIFICATIONS_PER_PAGE = settings.HEARTH_NOTIFICATIONS_PER_PAGE


def visible_notifications_q(user: User) -> Q:
    """Which of ``user``'s notifications they can still see, as one filter (EXISTS subqueries,
    no query of its own): notifications not about a thread, and notifications about a thread in
    a community where they are an active member whose role reaches the thread's space."""

    def member_with(roles: list[str] | None = None) -> Exists:
        ms = Membership.objects.filter(
            user_id=user.pk, status=MembershipStatus.ACTIVE, community_id=OuterRef("community_id")
        )
        return Exists(ms.filter(role__in=roles) if roles is not None else ms)

    scopes = Q(thread__isnull=True) | (Q(thread__space__min_role="") & member_with())
    for role, rank in ROLE_RANK.items():
        reaching = [r.value for r, r_rank in ROLE_RANK.items() if r_rank >= rank]
        scopes |= Q(thread__space__min_role=role.value) & member_with(reaching)
    return scopes


def visible_notifications(user: User) -> QuerySet[Notification]:
    """The user's notifications about things they can still see: notifications about a thread
    disappear if they left the community or the thread's space is now above their role.
    The header bell counts the unread ones with the same filter."""
    return (
        Notification.objects.filter(recipient=user)
        .filter(visible_notifications_q(user))
        .select_related("actor", "community")
        .order_by("-created_at", "-id")
    )


def email_delivery_for(user_id: int, kind: str) -> str:
    """What ``user`` chose for this kind: immediately, digest or never (default per kind)."""
    chosen = (
        NotificationPreference.objects.filter(user_id=user_id, kind=kind)
        .values_list("delivery", flat=True)
        .first()
    )
    return chosen or DEFAULT_EMAIL_DELIVERY.get(kind, EmailDelivery.NEVER)


def email_deliveries(user: User) -> dict[str, str]:
    """Every kind with the user's choice (or the default)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, default) for kind, default in DEFAULT_EMAIL_DELIVERY.items()}


# The header bell's count is read on every page a member opens and changes only when a
# notification is made or read: cached per member, forgotten after commit of either
# (``members.notifications.services.unread_count_forget``). The TTL bounds what no write
# path forgets: a notification becoming invisible when its reader leaves a community.
UNREAD_COUNT_TTL = 120


def unread_count_key(user_id: int) -> str:
    return f"notif-unread:{user_id}"


def unread_count(user: User) -> int:
    """Unread notifications the notifications page would show (the bell's number): no query
    when cached. The cached value carries the account's creation time, so an account that
    reuses an id (SQLite test databases do) never reads another's count."""
    stamp = user.date_joined.timestamp()
    cached = cache.get(unread_count_key(user.pk))
    if isinstance(cached, tuple) and len(cached) == 2 and cached[0] == stamp:
        return int(cached[1])
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    count = unread.filter(visible_notifications_q(user)).count()
    cache.set(unread_count_key(user.pk), (stamp, count), UNREAD_COUNT_TTL)
    return count
