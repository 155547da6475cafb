"""Writes for webhooks and feed tokens, and the delivery of one webhook attempt.

Delivery, step by step (the tasks in ``tasks.py`` are thin wrappers over these):

1. A service announces an event (``events.emit``); after commit the room's receiver queues
   ``dispatch_event`` if some active webhook of the community wants it.
2. :func:`deliveries_create` builds the payload once, from fresh rows, as a member would see it
   (or drops the event), and stores one :class:`WebhookDelivery` per subscribed webhook (unique
   per event, so a re-run job creates nothing twice).
3. :func:`delivery_attempt` claims attempt *n* atomically (a duplicate task finds it taken),
   checks the URL again (DNS may have changed), signs and posts, records the attempt, and
   returns the delay before the next try (or None). Tries: 1 + 5 retries after
   base × 6^k seconds (1 min, 6 min, 36 min, 3.6 h, 21.6 h with the default base: about a day).
4. A delivery that fails every try counts against the webhook; when that happens
   ``WEBHOOK_DISABLE_AFTER`` times in a row the webhook is turned off and the owners are emailed.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from communities.integrations import egress, events
from communities.integrations.models import (
    MAX_ATTEMPTS,
    DeliveryStatus,
    FeedToken,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    feed_token_digest,
    new_feed_token,
    new_webhook_secret,
)
from communities.integrations.selectors import absolute, event_payload, ref_id
from communities.models import Community
from members.models import Membership, MembershipStatus, Role, User
from members.notifications.emails import email_blocker
from moderation import ratelimit

log = logging.getLogger(__name__)

MAX_WEBHOOKS_PER_COMMUNITY = 10
# Deliveries in a row that failed all their tries before the webhook is turned off.
WEBHOOK_DISABLE_AFTER = 1
# How late a retry may be before the sweep queues it again (the countdown task had its chance).
SWEEP_GRACE = timedelta(minutes=2)
ATTEMPT_LEASE = timedelta(minutes=5)


# --- Managing webhooks ------------------------------------------------------------------------


def _clean_events(chosen: list[str]) -> list[str]:
    picked = [e for e in dict.fromkeys(chosen or []) if e in events.EVENT_NAMES]
    if not picked:
        raise ValidationError({"events": "Choose at least one event."})
    return picked


def _check_url(url: str) -> str:
    url = (url or "").strip()
    try:
        egress.check_url(url)
    except egress.UnsafeURL as exc:
        raise ValidationError({"url": str(exc)}) from None
    return url


@transaction.atomic
def webhook_create(
    *, community: Community, actor: User, url: str, chosen_events: list[str], description: str = ""
) -> Webhook:
    """A new webhook with a fresh secret. The URL must resolve to addresses Hearth may call."""
    url = _check_url(url)
    picked = _clean_events(chosen_events)
    # Lock the community row so two quick submits can't both pass the cap.
    Community.objects.select_for_update().filter(pk=community.pk).first()
    if Webhook.objects.filter(community=community).count() >= MAX_WEBHOOKS_PER_COMMUNITY:
        raise ValidationError(f"A community can have up to {MAX_WEBHOOKS_PER_COMMUNITY} webhooks.")
    return Webhook.objects.create(
        community=community,
        url=url,
        description=(description or "").strip()[:100],
        events=picked,
        created_by=actor,
    )


@transaction.atomic
def webhook_update(
    *, webhook: Webhook, url: str, chosen_events: list[str], description: str, is_active: bool
) -> Webhook:
    """Change a webhook. Turning it on again clears its failure count."""
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    url = (url or "").strip()
    if url != webhook.url:  # an unchanged URL is checked again at every try anyway
        url = _check_url(url)
    webhook.url = url
    webhook.events = _clean_events(chosen_events)
    webhook.description = (description or "").strip()[:100]
    if is_active and not webhook.is_active:
        webhook.failed_deliveries = 0
        webhook.disabled_at = None
        webhook.disabled_reason = ""
    webhook.is_active = is_active
    webhook.save()
    return webhook


@transaction.atomic
def webhook_rotate_secret(*, webhook: Webhook) -> Webhook:
    """A new secret, used from the next attempt on (retries of older deliveries included)."""
    webhook.secret = new_webhook_secret()
    webhook.secret_rotated_at = timezone.now()
    Webhook.objects.filter(pk=webhook.pk).update(
        secret=webhook.secret, secret_rotated_at=webhook.secret_rotated_at
    )
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: Webhook) -> None:
    """Delete the webhook and its log; queued attempts find it gone and do nothing."""
    Webhook.objects.filter(pk=webhook.pk).delete()


TESTS_PER_HOUR = 10


def webhook_send_test(*, webhook: Webhook) -> None:
    """Queue a ``ping`` delivery to this one webhook (also when it is turned off: a way to check
    the endpoint before turning it on again). One try, no retries, never counted as a failure.
    Limited per webhook (RateLimited), so the button can't be used to hammer someone's server."""
    ratelimit.hit(
        ratelimit.Limit("webhook-test", TESTS_PER_HOUR, 3600),
        str(webhook.pk),
        message=f"A webhook can be tested {TESTS_PER_HOUR} times an hour. Try again {{when}}.",
    )
    events.emit(events.PING, community_id=webhook.community_id, webhook_id=webhook.pk)


# --- Delivering --------------------------------------------------------------------------------


def webhooks_wanting(*, event: str, community_id: int, refs: dict[str, Any]) -> bool:
    """Whether any webhook would take this event (checked before queueing any work)."""
    if event == events.PING:
        return Webhook.objects.filter(pk=ref_id(refs, "webhook_id") or 0, community_id=community_id).exists()
    wanted = Webhook.objects.filter(community_id=community_id, is_active=True).values_list(
        "events", flat=True
    )
    return any(event in (chosen or []) for chosen in wanted)


def deliveries_create(
    *, event: str, event_id: str, community_id: int, occurred_at: datetime, refs: dict[str, Any]
) -> list[int]:
    """Store one delivery per subscribed webhook; return the ids whose first try is due.

    Idempotent: a second run for the same event creates nothing new and returns only deliveries
    that have not been tried yet."""
    community = Community.objects.filter(pk=community_id).first()
    if community is None:
        return []
    if event == events.PING:
        hooks = list(Webhook.objects.filter(pk=ref_id(refs, "webhook_id") or 0, community=community))
    else:
        hooks = [h for h in Webhook.objects.filter(community=community, is_active=True) if h.wants(event)]
    if not hooks:
        return []
    payload = event_payload(
        event=event, event_id=event_id, community=community, occurred_at=occurred_at, refs=refs
    )
    if payload is None:
        return []
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    now = timezone.now()
    ids: list[int] = []
    for hook in hooks:
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    webhook=hook,
                    event=event,
                    event_id=event_id,
                    body=body,
                    created_at=now,
                    next_attempt_at=now,
                )
        except IntegrityError:
            delivery = WebhookDelivery.objects.get(webhook=hook, event_id=event_id)
        if delivery.attempts == 0 and delivery.status == DeliveryStatus.PENDING:
            ids.append(delivery.pk)
    return ids


def retry_delay(failed_attempt: int) -> float:
    """Seconds to wait after the ``failed_attempt``-th try (1-based) before the next one."""
    base = float(getattr(settings, "HEARTH_WEBHOOK_RETRY_BASE", 60.0))
    return base * (6 ** (failed_attempt - 1))


def _claim(delivery_id: int, number: int) -> WebhookDelivery | None:
    """Take attempt ``number`` of the delivery, or None if it is not due (done, taken by a
    duplicate task, or out of order)."""
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        attempts=number - 1,
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
    ).update(
        attempts=number,
        last_attempt_at=timezone.now(),
        # A lease: the sweep leaves a try in flight alone (it is recorded within seconds).
        next_attempt_at=timezone.now() + ATTEMPT_LEASE,
    )
    if claimed != 1:
        return None
    return (
        WebhookDelivery.objects.select_related("webhook", "webhook__community").filter(pk=delivery_id).first()
    )


def _send(delivery: WebhookDelivery) -> tuple[int | None, int | None, str, str]:
    """One HTTP request: (status, duration ms, error, response excerpt)."""
    webhook = delivery.webhook
    try:
        target = egress.check_url(webhook.url)
    except egress.UnsafeURL as exc:
        return None, None, f"Refused: {exc}"[:300], ""
    body = delivery.body.encode()
    timestamp = int(time.time())
    headers = {
        egress.SIGNATURE_HEADER: egress.signature_header(webhook.secret, timestamp, body),
        "Hearth-Event": delivery.event,
        "Hearth-Delivery": delivery.event_id,
        "Hearth-Attempt": str(delivery.attempts),
    }
    started = time.monotonic()
    try:
        response = egress.post(target, body=body, headers=headers)
    except Exception as exc:  # network trouble of any kind is a failed try, never a crash
        duration = int((time.monotonic() - started) * 1000)
        reason = str(exc) or exc.__class__.__name__
        return None, duration, f"{exc.__class__.__name__}: {reason}"[:300], ""
    error = ""
    if 300 <= response.status < 400:
        error = "Redirects are not followed; point the webhook at the final URL."
    elif not 200 <= response.status < 300:
        error = f"The endpoint answered {response.status}."
    return response.status, response.duration_ms, error, response.body_excerpt


def delivery_attempt(*, delivery_id: int, number: int) -> float | None:
    """Make try ``number`` of a delivery. Returns the seconds until the next try, or None when
    the delivery is finished (delivered, given up, cancelled, or not ours to try)."""
    delivery = _claim(delivery_id, number)
    if delivery is None:
        return None
    webhook = delivery.webhook
    is_ping = delivery.event == events.PING
    if not webhook.is_active and not is_ping:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.CANCELLED, next_attempt_at=None, error="The webhook is turned off."
        )
        return None

    status, duration_ms, error, excerpt = _send(delivery)
    ok = status is not None and 200 <= status < 300
    now = timezone.now()
    final = ok or is_ping or number >= MAX_ATTEMPTS
    delay = None if final else retry_delay(number)
    try:
        _record(delivery, number, now, status, duration_ms, error, excerpt, ok=ok, final=final, delay=delay)
    except IntegrityError:  # the webhook (and its log) was deleted while the request was out
        return None
    return delay


def _record(
    delivery: WebhookDelivery,
    number: int,
    now: datetime,
    status: int | None,
    duration_ms: int | None,
    error: str,
    excerpt: str,
    *,
    ok: bool,
    final: bool,
    delay: float | None,
) -> None:
    """Store one try's outcome and move the delivery (and the webhook's counters) on."""
    webhook = delivery.webhook
    is_ping = delivery.event == events.PING
    with transaction.atomic():
        WebhookAttempt.objects.get_or_create(
            delivery=delivery,
            number=number,
            defaults={
                "at": now,
                "response_status": status,
                "duration_ms": duration_ms,
                "error": error,
                "response_excerpt": excerpt,
            },
        )
        if ok:
            new_status = DeliveryStatus.SUCCEEDED
        elif final:
            new_status = DeliveryStatus.FAILED
        else:
            new_status = DeliveryStatus.RETRYING
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=new_status,
            response_status=status,
            duration_ms=duration_ms,
            error=error,
            next_attempt_at=None if delay is None else now + timedelta(seconds=delay),
        )
        if is_ping:
            pass
        elif ok:
            Webhook.objects.filter(pk=webhook.pk).update(failed_deliveries=0, last_success_at=now)
        elif final:
            _count_failed_delivery(webhook.pk, now)
        else:
            Webhook.objects.filter(pk=webhook.pk).update(last_failure_at=now)


def _count_failed_delivery(webhook_id: int, now: datetime) -> None:
    """A delivery gave up: count it; enough in a row turn the webhook off and tell the owners."""
    webhook = Webhook.objects.select_for_update().filter(pk=webhook_id).first()
    if webhook is None:
        return
    webhook.failed_deliveries = F("failed_deliveries") + 1
    webhook.last_failure_at = now
    webhook.save(update_fields=["failed_deliveries", "last_failure_at"])
    webhook.refresh_from_db(fields=["failed_deliveries"])
    if webhook.is_active and webhook.failed_deliveries >= WEBHOOK_DISABLE_AFTER:
        reason = f"Turned off after {MAX_ATTEMPTS} failed tries over about a day."
        Webhook.objects.filter(pk=webhook.pk).update(is_active=False, disabled_at=now, disabled_reason=reason)
        # Attempts still queued for this webhook will find it off and cancel themselves.
        WebhookDelivery.objects.filter(
            webhook_id=webhook.pk, status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING]
        ).exclude(event=events.PING).update(
            status=DeliveryStatus.CANCELLED, next_attempt_at=None, error="The webhook was turned off."
        )
        webhook_id = webhook.pk
        transaction.on_commit(lambda: _email_owners_disabled(webhook_id), robust=True)


def _email_owners_disabled(webhook_id: int) -> int:
    """Tell the community's owners that a webhook was turned off (and where to turn it on)."""
    webhook = Webhook.objects.select_related("community").filter(pk=webhook_id).first()
    if webhook is None:
        return 0
    owners = [
        m.user
        for m in Membership.objects.filter(
            community=webhook.community, role=Role.OWNER, status=MembershipStatus.ACTIVE
        ).select_related("user")
    ]
    context = {
        "webhook": webhook,
        "community": webhook.community,
        "url": absolute(webhook.get_absolute_url()),
        "site_name": settings.SITE_NAME,
    }
    subject = render_to_string("emails/webhook_disabled_subject.txt", context).strip()
    text = render_to_string("emails/webhook_disabled_body.txt", context)
    sent = 0
    for owner in owners:
        if email_blocker(owner):
            continue
        send_mail(subject, text, None, [owner.email])
        sent += 1
    return sent


def deliveries_due(*, now: datetime | None = None, limit: int = 200) -> list[tuple[int, int]]:
    """(delivery id, next try number) of tries overdue by more than the grace period: their
    queued task was lost (broker restart, worker crash). Claiming keeps duplicates harmless."""
    now = now or timezone.now()
    rows = (
        WebhookDelivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
            next_attempt_at__lte=now - SWEEP_GRACE,
        )
        .filter(Q(webhook__is_active=True) | Q(event=events.PING))
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:limit]
    )
    return [(pk, attempts + 1) for pk, attempts in rows]


# --- Feed tokens -------------------------------------------------------------------------------


@transaction.atomic
def feed_token_create(*, membership: Membership) -> str:
    """A new secret feed link for the member's community (the old one stops working). Returns
    the token itself: only its digest is stored, so this is the one time it can be shown."""
    now = timezone.now()
    FeedToken.objects.select_for_update().filter(
        user_id=membership.user_id, community_id=membership.community_id, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = new_feed_token()
    FeedToken.objects.create(
        user_id=membership.user_id, community_id=membership.community_id, digest=feed_token_digest(token)
    )
    return token


@transaction.atomic
def feed_token_revoke(*, user: User, community: Community) -> int:
    return FeedToken.objects.filter(user=user, community=community, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def feed_token_touch(token: FeedToken) -> None:
    """Record use, at most once an hour (feed readers poll often)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(hours=1):
        FeedToken.objects.filter(pk=token.pk).update(last_used_at=now)
