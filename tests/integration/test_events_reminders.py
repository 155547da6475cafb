"""A real Celery worker on real Redis sends each reminder once when beat fires twice.

Runs in the PostgreSQL + Redis leg (skips only when REDIS_URL is unset; fails when it is set but
Redis or the worker can't be reached: see tests/integration/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from communities.events import services
from communities.events.models import EventReminder
from communities.models import Space
from config.celery import app
from members.notifications.models import Notification


@pytest.mark.integration
def test_real_worker_sends_each_reminder_once(
    transactional_db, celery_worker_proc, community, owner, make_member
):
    start = timezone.now() + timedelta(minutes=45)
    owner.community = community
    event = services.event_create(
        author=owner,
        space=Space.objects.get(community=community, slug="general"),
        fields=services.EventFields(
            title="Ask us anything",
            description="The team answers.",
            kind="ama",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            online_url="https://meet.example.org/ama",
        ),
    )
    people = [make_member(community) for _ in range(3)]
    for m in people[:2]:
        services.rsvp_set(membership=m, event=event, status="going")
    services.rsvp_set(membership=people[2], event=event, status="maybe")
    entry = app.conf.beat_schedule["events-send-reminders"]
    for _ in range(2):  # beat firing twice, with the entry's own options
        celery_worker_proc.send(entry["task"])
    celery_worker_proc.wait_for(
        lambda: EventReminder.objects.filter(event=event).count() == 3, message="three reminders sent"
    )
    celery_worker_proc.wait_for(
        lambda: celery_worker_proc.log_path.read_text().count("events.send_reminders") >= 4,
        message="both beat messages processed",
    )
    for m in people:
        texts = list(
            Notification.objects.filter(recipient=m.user, kind="event").values_list("text", flat=True)
        )
        assert len(texts) == 1 and texts[0].startswith("Reminder:"), texts
    event.refresh_from_db()
    assert event.reminded_1h_at is not None
