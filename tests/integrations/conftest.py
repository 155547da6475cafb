"""Webhook test fixtures: a real HTTP receiver on 127.0.0.1 and settings that allow it."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest

from communities.integrations import services
from communities.integrations.models import Webhook
from tests.events.conftest import make_event  # noqa: F401 - the events room's fixture, for event payloads
from tests.integrations.http_receiver import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rec:
        yield rec


@pytest.fixture
def hook_settings(settings):
    """Allow the loopback receiver (only 127.0.0.1) and make retries immediate."""
    settings.HEARTH_WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    settings.HEARTH_WEBHOOK_RETRY_BASE = 0.0
    settings.HEARTH_WEBHOOK_TIMEOUT = 5
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


@pytest.fixture
def make_webhook(hook_settings):
    def make(community, receiver: Receiver, events: list[str] | None = None, path: str = "/hook") -> Webhook:
        from members.models import Membership, Role

        owner = Membership.objects.filter(community=community, role=Role.OWNER).select_related("user").first()
        return services.webhook_create(
            community=community,
            actor=owner.user,
            url=receiver.url(path),
            chosen_events=events
            or [
                "thread.created",
                "post.created",
                "post.hidden",
                "member.joined",
                "member.left",
                "join_request.created",
                "flag.created",
            ],
        )

    return make
