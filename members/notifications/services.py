"""Creating notifications; each may queue an email after commit."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from config.jobs import enqueue_on_commit
from members.notifications.models import DeliveryStatus, Notification, NotificationEmail
from members.notifications.selectors import unread_count_key
from members.profiles.models import MutedMember


def unread_count_forget(user_id: int) -> None:
    """The member's unread count changed (a notification made or read): recount on their next
    page. Forgotten now and again after commit (a page counting before the commit may have
    stored the old number in between)."""
    cache.delete(unread_count_key(user_id))
    transaction.on_commit(lambda: cache.delete(unread_count_key(user_id)))


def notification_create(
    *,
    recipient_id: int,
    kind: str,
    text: str,
    url: str = "",
    community_id: int | None = None,
    actor_id: int | None = None,
    thread_id: int | None = None,
    post_id: int | None = None,
    send_email: bool = True,
) -> Notification:
    """Create an in-app notification: the one place notifications are made.

    Email delivery hangs off the row: once the surrounding transaction commits, a task decides
    per the recipient's preference (immediately / in the digest / never) and re-checks access
    at send time. Pass ``send_email=False`` for notices that must stay in-app only.

    Mentions, replies and quotes by someone the recipient has muted are not stored at all; the
    returned instance is then unsaved (``pk`` is None).
    """

    notification = Notification(
        recipient_id=recipient_id,
        kind=kind,
        text=text[:300],
        url=url[:300],
        community_id=community_id,
        actor_id=actor_id,
        thread_id=thread_id,
        post_id=post_id,
    )

    if (
        actor_id is not None
        and kind in {Notification.Kind.REPLY, Notification.Kind.MENTION, Notification.Kind.QUOTE}
        and MutedMember.objects.filter(user_id=recipient_id, muted_user_id=actor_id).exists()
    ):
        return notification
    notification.save()
    # The email row is written with the notification, in the same transaction: a notification
    # whose email task is lost (worker killed, broker down, database error) still has a row
    # "pending", which the stuck-work sweep finds and finishes (docs/tasks.md).
    NotificationEmail.objects.create(
        notification=notification,
        recipient_id=recipient_id,
        status=DeliveryStatus.PENDING if send_email else DeliveryStatus.SKIPPED,
        reason="" if send_email else "in-app only",
    )
    unread_count_forget(recipient_id)
    if send_email:
        # Once the event is committed, trouble queueing its email (broker down, or an SMTP error
        # when tasks run eagerly) is logged by the helper, never turned into an error page.
        enqueue_on_commit("members.tasks.send_notification_email", notification.pk)
    return notification
