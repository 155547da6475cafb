"""Fixtures for the email and profile tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest

from members.models import User
from members.notifications.models import EmailDelivery, Notification, NotificationPreference
from members.notifications.services import notification_create
from tests.members import email_backends


@pytest.fixture(autouse=True)
def _flaky_reset():
    email_backends.FAILURES_LEFT["count"] = 0
    yield
    email_backends.FAILURES_LEFT["count"] = 0


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = "tests.members.email_backends.FlakyBackend"
    return email_backends


@pytest.fixture
def notify(django_capture_on_commit_callbacks) -> Callable[..., Notification]:
    """Create a notification the way the app does and run its on-commit email task."""

    def make(recipient: User, kind: str = Notification.Kind.MENTION, **fields) -> Notification:
        fields.setdefault("text", f"Something happened ({kind})")
        with django_capture_on_commit_callbacks(execute=True):
            return notification_create(recipient_id=recipient.pk, kind=kind, **fields)

    return make


@pytest.fixture
def set_delivery() -> Callable[[User, str, str], None]:
    def set_(user: User, kind: str, delivery: str = EmailDelivery.IMMEDIATELY) -> None:
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"delivery": delivery})

    return set_


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttles (last seen) live in the cache; ids are reused between tests. With an unreachable
    # Redis the integration test must report that itself, so a failing clear is not an error here.
    from django.core.cache import cache

    with contextlib.suppress(Exception):
        cache.clear()
    yield
    with contextlib.suppress(Exception):
        cache.clear()
