"""Webhooks on a real Celery worker and real Redis: the receiver answers 500 twice, and the
worker's retry chain (countdowns shortened by HEARTH_WEBHOOK_RETRY_BASE in the worker's
environment, see conftest) delivers on the third try, signed."""

from __future__ import annotations

import ipaddress
import uuid

import pytest
from django.utils import timezone

from communities.integrations import egress, services
from communities.integrations.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from members.models import Membership, Role
from tests.integrations.http_receiver import running_receiver

pytestmark = pytest.mark.integration


def test_worker_retries_until_the_receiver_accepts(
    transactional_db, celery_worker_proc, make_community, make_member, make_thread, settings
):
    settings.HEARTH_WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    community = make_community(visibility="public", join_policy="open")
    owner = Membership.objects.get(community=community, role=Role.OWNER)
    # The thread exists before the webhook, so the test process itself queues nothing: the
    # dispatch job below is the worker's.
    thread = make_thread(make_member(community), title="Worked by the worker")
    with running_receiver() as receiver:
        receiver.respond_with(500, 500, 200)
        hook = services.webhook_create(
            community=community, actor=owner.user, url=receiver.url(), chosen_events=["thread.created"]
        )
        event_id = uuid.uuid4().hex
        celery_worker_proc.send(
            "integrations.dispatch_event",
            "thread.created",
            event_id,
            community.pk,
            timezone.now().isoformat(),
            {"thread_id": thread.pk, "post_id": thread.posts.get(is_opening=True).pk},
        )
        delivery = celery_worker_proc.wait_for(
            lambda: WebhookDelivery.objects.filter(webhook=hook, status=DeliveryStatus.SUCCEEDED).first(),
            timeout=60,
            message="the delivery to succeed on the worker",
        )
        requests = list(receiver.requests)

    assert delivery.attempts == 3
    assert delivery.event_id == event_id
    assert len(requests) == 3
    for request in requests:
        header = request.headers["Hearth-Signature"]
        fields = dict(part.split("=", 1) for part in header.split(","))
        assert fields["v1"] == egress.sign(hook.secret, int(fields["t"]), request.body)
    assert requests[0].json["data"]["thread"]["title"] == "Worked by the worker"
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [a.response_status for a in attempts] == [500, 500, 200]
    # The backoff really waited (base 0.2 s in the worker: 0.2 s, then 1.2 s).
    assert (attempts[1].at - attempts[0].at).total_seconds() >= 0.2
    assert (attempts[2].at - attempts[1].at).total_seconds() >= 1.2
