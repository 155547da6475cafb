"""Delivery semantics of background work (issue 18, items 4 and 5; docs/tasks.md).

Idempotent tasks are acknowledged late and re-queued when a worker dies; database errors are
retried with backoff; a periodic sweep finds stuck work (notifications without an email row,
emails pending or sending for too long, deferred task calls) and finishes each exactly once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from config.celery import app
from members.models import DeferredTask
from members.notifications.models import DeliveryStatus, Notification, NotificationEmail
from members.notifications.services import notification_create

K = Notification.Kind


def _lost_notification(member, thread, django_capture_on_commit_callbacks) -> Notification:
    """A notification whose email task never ran (the worker died, the message was lost)."""
    with django_capture_on_commit_callbacks(execute=False):
        return notification_create(
            recipient_id=member.user_id, kind=K.MENTION, text="x", community_id=thread.community_id,
            thread_id=thread.pk,
        )  # fmt: skip


def test_email_row_is_written_with_the_notification(member, thread, django_capture_on_commit_callbacks):
    n = _lost_notification(member, thread, django_capture_on_commit_callbacks)
    assert NotificationEmail.objects.get(notification=n).status == DeliveryStatus.PENDING
    in_app = notification_create(
        recipient_id=member.user_id, kind=K.MENTION, text="y", community_id=thread.community_id,
        send_email=False,
    )  # fmt: skip
    assert NotificationEmail.objects.get(notification=in_app).status == DeliveryStatus.SKIPPED


def test_sweep_sends_a_lost_email_exactly_once(member, thread, django_capture_on_commit_callbacks):
    from members.notifications.emails import email_sweep

    n = _lost_notification(member, thread, django_capture_on_commit_callbacks)
    assert email_sweep()["requeued"] == 0  # too fresh: its task may still be on its way
    later = timezone.now() + timedelta(minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        first = email_sweep(now=later)
    with django_capture_on_commit_callbacks(execute=True):
        second = email_sweep(now=later)
    assert first["requeued"] == 1 and second["requeued"] == 0
    assert NotificationEmail.objects.get(notification=n).status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1


def test_sweep_gives_a_notification_without_email_row_its_email(
    member, thread, django_capture_on_commit_callbacks
):
    from members.notifications.emails import email_sweep

    n = _lost_notification(member, thread, django_capture_on_commit_callbacks)
    NotificationEmail.objects.filter(notification=n).delete()  # a row never written (older code)
    later = timezone.now() + timedelta(minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        assert email_sweep(now=later)["missing"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert email_sweep(now=later)["missing"] == 0
    assert NotificationEmail.objects.get(notification=n).status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1


def test_sweep_finishes_an_email_left_sending_by_a_dead_worker(
    member, thread, django_capture_on_commit_callbacks
):
    from members.notifications.emails import email_sweep, notification_email_send

    n = _lost_notification(member, thread, django_capture_on_commit_callbacks)
    NotificationEmail.objects.filter(notification=n).update(
        status=DeliveryStatus.SENDING, attempts=1, claimed_at=timezone.now()
    )
    # The late (re-delivered) task finds the row claimed and leaves it alone ...
    assert notification_email_send(notification_id=n.pk) == DeliveryStatus.SENDING
    # ... a recent claim is not touched by the sweep (the worker may still be talking to SMTP) ...
    with django_capture_on_commit_callbacks(execute=True):
        assert email_sweep()["stale_sending"] == 0
    # ... a claim older than the cutoff is taken back and sent once, whatever the number of sweeps.
    later = timezone.now() + timedelta(hours=1)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            email_sweep(now=later)
    row = NotificationEmail.objects.get(notification=n)
    assert row.status == DeliveryStatus.SENT and row.attempts == 2
    assert len(mail.outbox) == 1
    # A re-sent message carries the same Message-ID, so a mail system that got the first copy
    # after all sees a duplicate of one message, not a second one.
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<notification-{n.pk}.")


def test_sweep_gives_up_after_too_many_attempts(member, thread, django_capture_on_commit_callbacks):
    from members.notifications.emails import MAX_EMAIL_ATTEMPTS, email_sweep

    n = _lost_notification(member, thread, django_capture_on_commit_callbacks)
    NotificationEmail.objects.filter(notification=n).update(
        status=DeliveryStatus.SENDING, attempts=MAX_EMAIL_ATTEMPTS, claimed_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        email_sweep(now=timezone.now() + timedelta(hours=3))
    assert NotificationEmail.objects.get(notification=n).status == DeliveryStatus.FAILED
    assert mail.outbox == []


def test_database_error_while_sending_is_retried(
    member, thread, monkeypatch, django_capture_on_commit_callbacks
):
    from members.notifications import emails as services_email
    from members.notifications.tasks import send_notification_email

    n = _lost_notification(member, thread, django_capture_on_commit_callbacks)
    real = services_email._load_notification
    failures = {"left": 1}

    def flaky(notification_id):
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("terminating connection due to administrator command")
        return real(notification_id)

    monkeypatch.setattr(services_email, "_load_notification", flaky)
    from celery.exceptions import Retry

    with pytest.raises(Retry):  # a retry is scheduled (with backoff), the task is not dropped
        send_notification_email.apply(args=[n.pk])
    send_notification_email.apply(args=[n.pk])  # what the worker's retry runs
    assert NotificationEmail.objects.get(notification=n).status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1


HEARTH_TASKS = [
    "communities.tasks.notify_post",
    "communities.tasks.build_community_export",
    "communities.tasks.run_community_import",
    "communities.tasks.cleanup_exports",
    "members.tasks.send_notification_email",
    "members.tasks.send_digest",
    "members.tasks.dispatch_digests",
    "members.tasks.republish_deferred_tasks",
    "members.tasks.sweep_stuck_work",
    "metrics.tasks.compute_range",
    "metrics.tasks.compute_day",
    "metrics.tasks.compute_due",
    "communities.post_due_rituals",
    "communities.welcome_newcomer",
    "communities.welcome_sweep",
    "config.tasks.heartbeat",
    "integrations.dispatch_event",
    "integrations.deliver",
    "integrations.retry_due",
]


@pytest.mark.parametrize("name", HEARTH_TASKS)
def test_every_task_is_acked_late_and_retries_database_errors(name):
    task = app.tasks[name]
    assert task.acks_late and task.reject_on_worker_lost, name
    retried = tuple(getattr(task, "autoretry_for", ()))
    assert any(issubclass(OperationalError, e) for e in retried), name
    assert any(issubclass(InterfaceError, e) for e in retried), name
    assert task.retry_backoff, name


def test_visibility_timeout_fits_the_longest_countdown():
    from django.conf import settings

    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    longest = max(getattr(app.tasks[name], "retry_backoff_max", 600) for name in HEARTH_TASKS)
    assert longest < visibility <= 3600, (longest, visibility)


def test_no_countdown_outlives_the_visibility_timeout():
    """Webhook retries wait up to hours: those waits go to the retry_due sweep, not a countdown."""
    from django.conf import settings

    from config.celery import RETRY_BACKOFF_MAX as COUNTDOWN_LIMIT

    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > COUNTDOWN_LIMIT
    for name, task in app.tasks.items():
        if not name.startswith("celery."):
            assert getattr(task, "retry_backoff_max", 0) <= COUNTDOWN_LIMIT, name


def test_beat_runs_the_stuck_work_sweep():
    entries = {e["task"]: e for e in app.conf.beat_schedule.values()}
    assert "members.tasks.sweep_stuck_work" in entries


def test_stuck_work_sweep_republishes_deferred_calls(member, thread, django_capture_on_commit_callbacks):
    from members.tasks import sweep_stuck_work

    DeferredTask.objects.create(task_name="config.tasks.heartbeat", args=["t"], kwargs={})
    result = sweep_stuck_work.apply().get()
    assert result["deferred"] == 1
    assert not DeferredTask.objects.exists()
