"""Email delivery of notifications: the decision, the message, the send, the unsubscribe.

Flow: ``members.services.notification_create`` stores the in-app row and, on commit, enqueues
``members.tasks.send_notification_email``, which calls :func:`notification_email_send`. That
function decides per the recipient's preference (immediately / digest / never), re-checks access
at send time, claims the row's :class:`NotificationEmail` (unique per notification) before sending
and records the outcome, so a retried or duplicated task never sends twice.
"""

from __future__ import annotations

import contextlib
import html
import logging
import smtplib
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlparse

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.text import Truncator

from communities.discussions.models import Post, SubscriptionLevel, Thread, ThreadSubscription
from config.celery import DATABASE_ERRORS
from config.jobs import enqueue_on_commit
from members import access
from members.models import User
from members.notifications.models import (
    DeliveryStatus,
    EmailDelivery,
    Notification,
    NotificationEmail,
    NotificationPreference,
)
from members.notifications.selectors import email_delivery_for
from members.profiles.models import DigestFrequency, Profile
from members.profiles.selectors import is_muted_by, profile_of

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "members.email.unsubscribe"
DIGEST_KIND = "digest"  # the unsubscribe "kind" that turns digests off
# Kinds that carry someone else's words: muting the actor silences them.
CONTENT_KINDS = frozenset({Notification.Kind.REPLY, Notification.Kind.MENTION, Notification.Kind.QUOTE})
EXCERPT_CHARS = 400


class PermanentEmailFailure(Exception):
    """The server refused this message for good (bad address, 5xx): do not retry."""


# --- Who may receive email at all ---------------------------------------------------------------


def email_blocker(user: User) -> str:
    """Why nothing may be emailed to ``user`` ("" when mail is fine)."""
    if not user.is_active or user.is_bot:
        return "inactive account"
    if not user.email:
        return "no email address"
    if user.email_undeliverable:
        return "email marked undeliverable"

    if not EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists():
        return "email address not verified"
    return ""


# --- Tokens and URLs ----------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path if path.startswith(settings.SITE_URL + "/") else settings.SITE_URL + "/"
    if not path.startswith("/"):
        path = "/" + path
    return settings.SITE_URL + path


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A signed, unforgeable token naming one person and one preference (a kind, or "digest")."""
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(user_id: int, kind: str) -> str:
    return absolute_url(reverse("email-unsubscribe", args=[unsubscribe_token(user_id, kind)]))


@dataclass(frozen=True)
class Unsubscribe:
    user: User
    kind: str

    @property
    def label(self) -> str:
        if self.kind == DIGEST_KIND:
            return "digest emails"
        return f"emails about: {Notification.Kind(self.kind).label.lower()}"


def unsubscribe_read(token: str) -> Unsubscribe | None:
    """The person and preference a token names, or None when it was tampered with or is stale."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    kind = data.get("k")
    if kind != DIGEST_KIND and kind not in Notification.Kind.values:
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    return Unsubscribe(user, kind) if user else None


@transaction.atomic
def unsubscribe_apply(unsub: Unsubscribe) -> None:
    """Turn off exactly the one preference the token names."""
    if unsub.kind == DIGEST_KIND:
        profile_of(unsub.user)
        Profile.objects.filter(user=unsub.user).update(digest_frequency=DigestFrequency.OFF)
    else:
        NotificationPreference.objects.update_or_create(
            user=unsub.user, kind=unsub.kind, defaults={"delivery": EmailDelivery.NEVER}
        )


# --- Rendering ----------------------------------------------------------------------------------


def user_zone(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def user_language(user: User) -> str:
    language = profile_of(user).language or settings.LANGUAGE_CODE
    return language if translation.check_for_language(language) else settings.LANGUAGE_CODE


def excerpt_of(post: Post | None, chars: int = EXCERPT_CHARS) -> str:
    """Plain text from the post's stored sanitized HTML (escaped again by the templates)."""
    if post is None:
        return ""
    text = html.unescape(strip_tags(post.body_html))
    return Truncator(" ".join(text.split())).chars(chars)


def post_link(post: Post) -> str:
    return post.thread.get_absolute_url() + f"#post-{post.pk}"


def notification_link(n: Notification) -> str:
    """The exact place the notification is about, as an absolute URL."""
    if n.url:
        return absolute_url(n.url)
    if n.post_id:
        return absolute_url(post_link(n.post))
    if n.thread_id:
        return absolute_url(n.thread.get_absolute_url())
    if n.community_id:
        return absolute_url(n.community.get_absolute_url())
    return absolute_url("/")


def render_email(template: str, context: dict, user: User) -> tuple[str, str, str]:
    """Subject, text body and HTML body of ``templates/emails/<template>_*``, rendered in the
    user's language and time zone."""
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "recipient": user,
        "preferences_url": absolute_url(reverse("settings-notifications")),
        **context,
    }
    with translation.override(user_language(user)), timezone.override(user_zone(user)):
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        text = render_to_string(f"emails/{template}_body.txt", context)
        body_html = render_to_string(f"emails/{template}_body.html", context)
    subject = " ".join(subject.split())[:200]
    return subject, text, body_html


def build_message(
    *, user: User, template: str, context: dict, unsubscribe_kind: str
) -> EmailMultiAlternatives:
    unsub = unsubscribe_url(user.pk, unsubscribe_kind)
    context = {**context, "unsubscribe_url": unsub}
    subject, text, body_html = render_email(template, context, user)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            # RFC 2369 / RFC 8058: mail clients offer a one-click unsubscribe that POSTs here.
            "List-Unsubscribe": f"<{unsub}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(body_html, "text/html")
    return message


def notification_message(n: Notification) -> EmailMultiAlternatives:
    with_content = n.kind not in access.STANDING_NOTICE_KINDS
    context = {
        "notification": n,
        "kind_label": Notification.Kind(n.kind).label,
        "community": n.community,
        "thread": n.thread if with_content else None,
        "post": n.post if with_content else None,
        "actor": n.actor,
        "excerpt": excerpt_of(n.post) if with_content else "",
        "link": notification_link(n),
        "event_time": n.post.created_at if (with_content and n.post) else n.created_at,
    }
    message = build_message(
        user=n.recipient, template="notification", context=context, unsubscribe_kind=n.kind
    )
    # The same Message-ID every time this notification is sent: if the stuck-work sweep re-sends
    # an email whose first attempt did reach the mail server after all, mail systems see one
    # message twice (and drop the copy), not two messages.
    message.extra_headers["Message-ID"] = notification_message_id(n)
    return message


def notification_message_id(n: Notification) -> str:
    host = urlparse(settings.SITE_URL).hostname or "localhost"
    return f"<notification-{n.pk}.{int(n.created_at.timestamp())}@{host}>"


# --- Sending ------------------------------------------------------------------------------------


def is_transient(exc: BaseException) -> bool:
    """Connection trouble and 4xx answers are worth retrying; 5xx answers and refused
    recipients are not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused):
        return False
    if isinstance(exc, smtplib.SMTPResponseException):
        return not 500 <= exc.smtp_code < 600
    return isinstance(exc, OSError)


def deliver(message: EmailMultiAlternatives) -> None:
    """Send through Django's email backend. Re-raises transient errors (the task retries with
    backoff); turns permanent ones into PermanentEmailFailure."""
    try:
        message.send(fail_silently=False)
    except Exception as exc:
        if is_transient(exc):
            raise
        raise PermanentEmailFailure(str(exc)[:200]) from exc


def _set_status(row: NotificationEmail, status: str, reason: str = "", **extra: object) -> None:
    NotificationEmail.objects.filter(pk=row.pk).update(status=status, reason=reason[:200], **extra)
    row.status = status


def _load_notification(notification_id: int) -> Notification | None:
    return (
        Notification.objects.select_related(
            "recipient",
            "recipient__profile",
            "community",
            "actor",
            "thread",
            "thread__space",
            "thread__community",
            "post",
            "post__thread",
            "post__thread__space",
            "post__thread__community",
        )
        .filter(pk=notification_id)
        .first()
    )


def thread_muted(user_id: int, thread_id: int | None) -> bool:
    if thread_id is None:
        return False
    return ThreadSubscription.objects.filter(
        user_id=user_id, thread_id=thread_id, level=SubscriptionLevel.MUTED
    ).exists()


def skip_reason(n: Notification) -> str:
    """Why this notification must not reach the recipient by email now ("" if it may)."""
    blocker = email_blocker(n.recipient)
    if blocker:
        return blocker
    if n.kind in CONTENT_KINDS and is_muted_by(n.recipient_id, n.actor_id):
        return "actor muted"
    if n.kind in CONTENT_KINDS and thread_muted(
        n.recipient_id, n.thread_id or (n.post.thread_id if n.post else None)
    ):
        return "thread muted"
    thread: Thread | None = n.thread
    if not access.notification_still_visible(
        n.recipient, kind=n.kind, community=n.community, thread=thread, post=n.post
    ):
        return "no access"
    if n.kind == Notification.Kind.MESSAGE and not access.message_notice_still_visible(
        n.recipient, actor_id=n.actor_id, url=n.url
    ):
        return "no access to the conversation"
    return ""


def notification_email_send(*, notification_id: int) -> str:
    """Decide and, if due now, send the email for one notification. Returns the final status.

    Idempotent: the NotificationEmail row is unique per notification and is claimed with a
    conditional UPDATE (pending/retrying -> sending) before anything is sent; a duplicate task
    finds it claimed or done and returns. A crash after sending but before recording leaves the
    row "sending", which is never re-sent (at most once beats twice).
    """
    n = _load_notification(notification_id)
    if n is None:
        return "missing"
    row, _ = NotificationEmail.objects.get_or_create(
        notification=n, defaults={"recipient_id": n.recipient_id}
    )
    if row.status not in (DeliveryStatus.PENDING, DeliveryStatus.RETRYING):
        return row.status

    preference = email_delivery_for(n.recipient_id, n.kind)
    if preference == EmailDelivery.NEVER:
        _set_status(row, DeliveryStatus.SKIPPED, "preference: never")
        return row.status
    if preference == EmailDelivery.DIGEST:
        # Access and muting are re-checked when the digest is built.
        _set_status(row, DeliveryStatus.DIGEST)
        return row.status
    reason = skip_reason(n)
    if reason:
        _set_status(row, DeliveryStatus.SKIPPED, reason)
        return row.status

    claimed = NotificationEmail.objects.filter(
        pk=row.pk, status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING]
    ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now())
    if claimed != 1:
        return NotificationEmail.objects.get(pk=row.pk).status  # another worker has it
    try:
        deliver(notification_message(n))
    except PermanentEmailFailure as exc:
        log.warning("notification email %s to user %s failed for good: %s", n.pk, n.recipient_id, exc)
        _set_status(row, DeliveryStatus.FAILED, str(exc))
        return row.status
    except Exception as exc:
        # If the database is gone too, the row stays "sending" and the sweep takes it back.
        with contextlib.suppress(DATABASE_ERRORS):
            _set_status(row, DeliveryStatus.RETRYING, f"{type(exc).__name__}: {exc}")
        raise
    _set_status(row, DeliveryStatus.SENT, sent_at=timezone.now())
    return row.status


# --- The stuck-work sweep (docs/tasks.md) ---------------------------------------------------------

# An email may wait this long before the sweep decides its task was lost (the task normally runs
# within seconds of the commit; a retry waits at most 10 minutes, config/celery.py).
PENDING_STALE = timedelta(minutes=10)
RETRYING_STALE = timedelta(minutes=30)
MISSING_WINDOW = timedelta(days=2)  # notifications older than this are not emailed any more
MAX_EMAIL_ATTEMPTS = 8
SWEEP_BATCH = 500


def _requeue(row: NotificationEmail, now: datetime, *, enqueue: bool) -> bool:
    """Take a stuck row back exactly once: a conditional UPDATE on the status and claim time we
    read, so of two sweeps (or a sweep and a late worker) only one wins. Returns True if re-queued."""
    same = NotificationEmail.objects.filter(pk=row.pk, status=row.status)
    same = same.filter(claimed_at=row.claimed_at) if row.claimed_at else same.filter(claimed_at__isnull=True)
    with transaction.atomic():
        if row.attempts >= MAX_EMAIL_ATTEMPTS:
            same.update(status=DeliveryStatus.FAILED, reason=f"gave up after {row.attempts} attempts")
            return False
        status = DeliveryStatus.RETRYING if row.status == DeliveryStatus.SENDING else row.status
        if same.update(status=status, claimed_at=now) != 1:
            return False
        if enqueue:
            enqueue_on_commit("members.tasks.send_notification_email", row.notification_id)
    return True


def email_sweep(*, now: datetime | None = None, enqueue: bool = True) -> dict[str, int]:
    """Find notification emails whose task was lost and queue each once more. Counts by case:

    * ``missing``: a recent notification without an email row (written by older code, or its
      transaction's row lost): the row is created and the email queued;
    * ``pending``/``retrying``: waiting much longer than a task or a retry takes;
    * ``stale_sending``: claimed by a worker that died mid-send (HEARTH_EMAIL_STALE_SECONDS):
      set back to "retrying" and queued; the re-send carries the same Message-ID.

    Rows past MAX_EMAIL_ATTEMPTS are marked failed instead. Safe to run concurrently.
    """
    now = now or timezone.now()
    counts = {"missing": 0, "pending": 0, "retrying": 0, "stale_sending": 0}
    missing = (
        Notification.objects.filter(
            created_at__gte=now - MISSING_WINDOW, created_at__lt=now - PENDING_STALE, email__isnull=True
        )
        .order_by("pk")
        .values_list("pk", "recipient_id")[:SWEEP_BATCH]
    )
    for notification_id, recipient_id in missing:
        with transaction.atomic():
            _row, created = NotificationEmail.objects.get_or_create(
                notification_id=notification_id, defaults={"recipient_id": recipient_id, "claimed_at": now}
            )
            if created:
                counts["missing"] += 1
                if enqueue:
                    enqueue_on_commit("members.tasks.send_notification_email", notification_id)
    stale = settings.HEARTH_EMAIL_STALE_SECONDS
    cases = [
        ("pending", DeliveryStatus.PENDING, PENDING_STALE),
        ("retrying", DeliveryStatus.RETRYING, RETRYING_STALE),
        ("stale_sending", DeliveryStatus.SENDING, timedelta(seconds=stale)),
    ]
    for name, status, age in cases:
        cutoff = now - age
        rows = (
            NotificationEmail.objects.filter(status=status)
            .filter(Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, created_at__lt=cutoff))
            .order_by("pk")[:SWEEP_BATCH]
        )
        for row in list(rows):
            counts[name] += _requeue(row, now, enqueue=enqueue)
    counts["requeued"] = counts["pending"] + counts["retrying"] + counts["stale_sending"]
    return counts
