"""Webhook delivery to a real HTTP receiver on 127.0.0.1: signatures, retries, give-up and
turning off, redirects, timeouts, response caps, and connecting to the address that was checked."""

from __future__ import annotations

import contextlib
import re
import socket
import time
from pathlib import Path

import pytest
from django.core import mail

from communities.integrations import egress, services
from communities.integrations.models import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def docs_verify():
    """The verification function exactly as docs/webhooks.md shows it (the block after the
    ``verify-snippet`` marker), so the documentation is tested too."""
    text = DOCS.read_text()
    match = re.search(r"<!-- verify-snippet -->\s*```python\n(.*?)```", text, re.S)
    assert match, "docs/webhooks.md lost its verification snippet"
    namespace: dict = {}
    exec(compile(match.group(1), "docs/webhooks.md", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace["verify"]


def test_signed_delivery_retried_after_two_500s(
    receiver, make_webhook, community, member, make_thread, django_capture_on_commit_callbacks
):
    receiver.respond_with(500, 500, 200)
    hook = make_webhook(community, receiver, events=["thread.created"])
    with django_capture_on_commit_callbacks(execute=True):
        thread = make_thread(member, title="Welcome, webhooks")

    got = receiver.wait_for(3)
    assert len(got) == 3, "two failures, then the successful third try"
    verify = docs_verify()
    for request in got:
        assert request.path == "/hook"
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["Hearth-Event"] == "thread.created"
        assert verify(hook.secret, request.headers["Hearth-Signature"], request.body)
        # A different secret or a changed body does not verify.
        assert not verify("whsec_wrong", request.headers["Hearth-Signature"], request.body)
        assert not verify(hook.secret, request.headers["Hearth-Signature"], request.body + b" ")
    # Every try sends the same bytes and the same delivery id (receivers drop repeats by it).
    assert len({r.body for r in got}) == 1
    assert len({r.headers["Hearth-Delivery"] for r in got}) == 1
    assert [r.headers["Hearth-Attempt"] for r in got] == ["1", "2", "3"]
    payload = got[0].json
    assert payload["type"] == "thread.created"
    assert payload["data"]["thread"]["id"] == thread.pk
    assert payload["data"]["thread"]["title"] == "Welcome, webhooks"
    assert payload["community"]["slug"] == community.slug

    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 3
    assert delivery.response_status == 200
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [a.response_status for a in attempts] == [500, 500, 200]
    assert all(a.duration_ms is not None and a.duration_ms >= 0 for a in attempts)
    assert attempts[0].error == "The endpoint answered 500."
    hook.refresh_from_db()
    assert hook.is_active and hook.failed_deliveries == 0 and hook.last_success_at is not None


def test_signature_header_format_and_timestamp(
    receiver, make_webhook, community, member, make_thread, django_capture_on_commit_callbacks
):
    hook = make_webhook(community, receiver, events=["thread.created"])
    before = int(time.time())
    with django_capture_on_commit_callbacks(execute=True):
        make_thread(member)
    (request,) = receiver.wait_for(1)
    header = request.headers["Hearth-Signature"]
    match = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header)
    assert match
    assert before <= int(match.group(1)) <= int(time.time())
    assert match.group(2) == egress.sign(hook.secret, int(match.group(1)), request.body)


def test_gives_up_after_six_tries_turns_webhook_off_and_emails_owner(
    receiver, make_webhook, community, owner, member, make_thread, django_capture_on_commit_callbacks
):
    receiver.respond_with(503)
    hook = make_webhook(community, receiver, events=["thread.created", "post.created"])
    with django_capture_on_commit_callbacks(execute=True):
        make_thread(member)

    assert len(receiver.wait_for(6)) == 6
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 6
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 6
    hook.refresh_from_db()
    assert not hook.is_active
    assert hook.disabled_at is not None and "6 failed tries" in hook.disabled_reason
    # The owner is told, with a link to the webhook.
    assert [m.to for m in mail.outbox] == [[owner.user.email]]
    assert community.name in mail.outbox[0].subject
    assert f"/c/{community.slug}/settings/webhooks/{hook.pk}/" in mail.outbox[0].body

    # Turned off: later events are not sent.
    with django_capture_on_commit_callbacks(execute=True):
        make_thread(member)
    time.sleep(0.2)
    assert len(receiver.requests) == 6
    assert WebhookDelivery.objects.filter(webhook=hook).count() == 1


def test_retry_delays_grow_to_about_a_day(settings):
    settings.HEARTH_WEBHOOK_RETRY_BASE = 60.0
    delays = [services.retry_delay(n) for n in range(1, 6)]
    assert delays == [60, 360, 2160, 12960, 77760]
    assert 20 * 3600 < sum(delays) < 30 * 3600


def test_duplicate_task_does_not_send_twice(
    receiver, make_webhook, community, member, make_thread, django_capture_on_commit_callbacks
):
    hook = make_webhook(community, receiver, events=["thread.created"])
    with django_capture_on_commit_callbacks(execute=True):
        make_thread(member)
    receiver.wait_for(1)
    delivery = WebhookDelivery.objects.get(webhook=hook)
    # The same try again (a redelivered task), and the dispatch job again: nothing new is sent.
    assert services.delivery_attempt(delivery_id=delivery.pk, number=1) is None
    assert services.delivery_attempt(delivery_id=delivery.pk, number=2) is None
    time.sleep(0.2)
    assert len(receiver.requests) == 1


def test_redirects_are_not_followed(receiver, make_webhook, community, django_capture_on_commit_callbacks):
    def redirect(handler):
        handler.send_response(302)
        handler.send_header("Location", "/elsewhere")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    receiver.respond_with(redirect)
    hook = make_webhook(community, receiver, events=["thread.created"])
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_send_test(webhook=hook)
    time.sleep(0.2)
    assert [r.path for r in receiver.requests] == ["/hook"]  # never /elsewhere
    delivery = WebhookDelivery.objects.get(webhook=hook, event="ping")
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.response_status == 302
    assert "Redirects are not followed" in delivery.error


def test_response_body_is_capped(
    receiver, make_webhook, community, django_capture_on_commit_callbacks, settings
):
    def huge(handler):
        body = b"x" * (2 * 1024 * 1024)
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        with contextlib.suppress(OSError):  # Hearth stops reading: expected
            handler.wfile.write(body)

    receiver.respond_with(huge)
    hook = make_webhook(community, receiver, events=["thread.created"])
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_send_test(webhook=hook)
    attempt = WebhookAttempt.objects.get(delivery__webhook=hook)
    assert attempt.response_status == 200
    assert len(attempt.response_excerpt) <= 1000


def test_slow_endpoint_times_out(
    receiver, make_webhook, community, django_capture_on_commit_callbacks, settings
):
    def slow(handler):
        time.sleep(2)
        handler.send_response(200)
        handler.end_headers()

    receiver.respond_with(slow)
    hook = make_webhook(community, receiver, events=["thread.created"])
    settings.HEARTH_WEBHOOK_TIMEOUT = 0.5
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_send_test(webhook=hook)
    assert time.monotonic() - started < 1.9
    attempt = WebhookAttempt.objects.get(delivery__webhook=hook)
    assert attempt.response_status is None
    assert "timed out" in attempt.error.lower() or "timeout" in attempt.error.lower()


def test_connects_to_the_checked_address_without_resolving_again(receiver, hook_settings, monkeypatch):
    """A name is resolved once, at the check; the connection uses that address even if DNS would
    now answer differently (no time-of-check/time-of-use gap)."""
    real_getaddrinfo = socket.getaddrinfo
    calls: list[str] = []

    def fake_getaddrinfo(host, port, *args, **kwargs):
        calls.append(host)
        if host == "hooks.example.test":
            if len([c for c in calls if c == host]) == 1:
                return real_getaddrinfo("127.0.0.1", port, *args, **kwargs)
            return real_getaddrinfo("10.9.9.9", port, *args, **kwargs)  # a rebinding answer
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    target = egress.check_url(f"http://hooks.example.test:{receiver.port}/pinned")
    assert target.address == "127.0.0.1"
    response = egress.post(target, body=b"{}", headers={})
    assert response.status == 200
    # The name was resolved once; the connection only handled the checked literal address.
    assert calls.count("hooks.example.test") == 1
    assert set(calls) <= {"hooks.example.test", "127.0.0.1"}
    (request,) = receiver.requests
    assert request.path == "/pinned"
    assert request.headers["Host"] == f"hooks.example.test:{receiver.port}"


def test_webhook_deleted_while_queued_sends_nothing(receiver, make_webhook, community, member, make_thread):
    hook = make_webhook(community, receiver, events=["thread.created"])
    thread = make_thread(member)  # not committed callbacks: nothing queued yet
    from django.utils import timezone

    ids = services.deliveries_create(
        event="thread.created",
        event_id="evt-1",
        community_id=community.pk,
        occurred_at=timezone.now(),
        refs={"thread_id": thread.pk, "post_id": thread.posts.get(is_opening=True).pk},
    )
    assert len(ids) == 1
    # A second dispatch of the same event makes no second delivery.
    again = services.deliveries_create(
        event="thread.created",
        event_id="evt-1",
        community_id=community.pk,
        occurred_at=timezone.now(),
        refs={"thread_id": thread.pk, "post_id": thread.posts.get(is_opening=True).pk},
    )
    assert again == ids
    assert WebhookDelivery.objects.filter(webhook=hook).count() == 1
    Webhook.objects.filter(pk=hook.pk).update(is_active=False)
    assert services.delivery_attempt(delivery_id=ids[0], number=1) is None
    assert WebhookDelivery.objects.get(pk=ids[0]).status == DeliveryStatus.CANCELLED
    assert receiver.requests == []


@pytest.mark.parametrize("status", [200, 201, 204])
def test_any_2xx_is_success(status, receiver, make_webhook, community, django_capture_on_commit_callbacks):
    receiver.respond_with(status)
    hook = make_webhook(community, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_send_test(webhook=hook)
    assert WebhookDelivery.objects.get(webhook=hook).status == DeliveryStatus.SUCCEEDED


def test_sweep_requeues_a_lost_retry(receiver, make_webhook, community, member, make_thread):
    """A retry whose countdown task was lost (broker restart) is picked up by the beat sweep."""
    from datetime import timedelta

    from django.utils import timezone

    from communities.integrations import tasks

    make_webhook(community, receiver, events=["thread.created"])
    thread = make_thread(member)
    (delivery_id,) = services.deliveries_create(
        event="thread.created",
        event_id="evt-lost",
        community_id=community.pk,
        occurred_at=timezone.now(),
        refs={"post_id": thread.posts.get(is_opening=True).pk},
    )
    # Try 1 failed an hour ago and its retry task never arrived.
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.RETRYING, attempts=1, next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    # Not yet overdue: left alone.
    assert services.deliveries_due(now=timezone.now() - timedelta(hours=2)) == []
    assert services.deliveries_due() == [(delivery_id, 2)]
    tasks.retry_due.apply()
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2
    assert len(receiver.wait_for(1)) == 1
    assert receiver.requests[0].headers["Hearth-Attempt"] == "2"
    # Nothing left for the sweep.
    assert services.deliveries_due() == []


def test_eager_mode_never_retries_inside_the_request(
    receiver, make_webhook, community, member, make_thread, django_capture_on_commit_callbacks, settings
):
    """Without a worker (tasks eager) a real backoff can't happen in-process: the first try runs,
    the retry waits for the beat sweep instead of firing at once."""
    settings.HEARTH_WEBHOOK_RETRY_BASE = 60.0
    receiver.respond_with(500, 200)
    hook = make_webhook(community, receiver, events=["thread.created"])
    settings.HEARTH_WEBHOOK_RETRY_BASE = 60.0  # make_webhook's settings fixture set it to 0
    with django_capture_on_commit_callbacks(execute=True):
        make_thread(member)
    time.sleep(0.2)
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert delivery.status == DeliveryStatus.RETRYING
    assert 50 < (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds() < 70


def test_short_waits_are_countdowns_long_ones_wait_for_the_sweep(
    receiver, make_webhook, community, member, make_thread, settings, monkeypatch
):
    """On a worker: 1 and 6 minute waits are countdown tasks; 36 minutes and more are queued by
    the beat sweep (a countdown longer than the broker's visibility timeout would run twice)."""
    from django.utils import timezone

    from communities.integrations import tasks

    settings.HEARTH_WEBHOOK_RETRY_BASE = 60.0
    receiver.respond_with(500)
    make_webhook(community, receiver, events=["thread.created"])
    settings.HEARTH_WEBHOOK_RETRY_BASE = 60.0
    thread = make_thread(member)
    (delivery_id,) = services.deliveries_create(
        event="thread.created",
        event_id="evt-waits",
        community_id=community.pk,
        occurred_at=timezone.now(),
        refs={"post_id": thread.posts.get(is_opening=True).pk},
    )
    queued: list[tuple] = []
    monkeypatch.setattr(tasks.deliver, "apply_async", lambda args, **kw: queued.append((args, kw)))
    for number in (1, 2, 3, 4):
        tasks.deliver.run(delivery_id, number)  # as a worker runs it (not eager)
    assert [(args, kw["countdown"]) for args, kw in queued] == [
        ((delivery_id, 2), 60.0),
        ((delivery_id, 3), 360.0),
    ]
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert delivery.attempts == 4 and delivery.status == DeliveryStatus.RETRYING
    wait = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert 12900 < wait < 13000  # 3.6 h, for the sweep
