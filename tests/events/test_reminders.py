"""Reminders: 24 h and 1 h before, to going and maybe, exactly once, never to people who can no
longer see the event."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from communities.events import services
from communities.events.models import EventReminder
from communities.models import Space
from members.models import MembershipStatus, Role
from members.notifications.models import Notification


def _reminders(user):
    return Notification.objects.filter(recipient=user, kind="event", text__startswith="Reminder")


@pytest.mark.django_db
def test_day_and_hour_reminders_once_each(community, make_member, make_event):
    event = make_event(community, starts_in=timedelta(hours=20))
    going, maybe, nope, waiting = (make_member(community) for _ in range(4))
    services.rsvp_set(membership=going, event=event, status="going")
    services.rsvp_set(membership=maybe, event=event, status="maybe")
    services.rsvp_set(membership=nope, event=event, status="not_going")
    now = timezone.now()
    assert services.reminders_send_due(now=now) == 2
    assert services.reminders_send_due(now=now) == 0  # beat fires again: nothing new
    assert services.reminders_send_due(now=now + timedelta(minutes=5)) == 0
    assert _reminders(going.user).count() == 1 and _reminders(maybe.user).count() == 1
    assert not _reminders(nope.user).exists()
    # The 1-hour reminder, once.
    later = event.starts_at - timedelta(minutes=50)
    assert services.reminders_send_due(now=later) == 2
    assert services.reminders_send_due(now=later) == 0
    assert _reminders(going.user).count() == 2
    assert EventReminder.objects.filter(event=event).count() == 4
    assert not _reminders(waiting.user).exists()
    # Nothing after the start.
    assert services.reminders_send_due(now=event.starts_at + timedelta(minutes=1)) == 0


@pytest.mark.django_db
def test_no_reminders_for_cancelled_or_to_people_who_lost_access(community, make_member, make_event, owner):
    staff_space = Space.objects.create(
        community=community, name="Staff", slug="staff", min_role=Role.MODERATOR
    )
    mod = make_member(community, role=Role.MODERATOR)
    event = make_event(community, space=staff_space, starts_in=timedelta(minutes=30))
    services.rsvp_set(membership=mod, event=event, status="going")
    left = make_member(community, role=Role.MODERATOR)
    services.rsvp_set(membership=left, event=event, status="going")
    # Demoted: the restricted space (and its event) is invisible to them now.
    mod.role = Role.MEMBER
    mod.save(update_fields=["role"])
    left.status = MembershipStatus.LEFT
    left.save(update_fields=["status"])
    assert services.reminders_send_due() == 0
    assert not _reminders(mod.user).exists() and not _reminders(left.user).exists()

    cancelled = make_event(community, starts_in=timedelta(minutes=30))
    m = make_member(community)
    services.rsvp_set(membership=m, event=cancelled, status="going")
    owner.community = community
    services.event_cancel(actor=owner, event=cancelled)
    assert services.reminders_send_due() == 0


@pytest.mark.django_db
def test_moved_event_is_reminded_again(community, make_member, make_event, owner):
    event = make_event(community, starts_in=timedelta(minutes=30))
    m = make_member(community)
    services.rsvp_set(membership=m, event=event, status="going")
    assert services.reminders_send_due() == 1
    owner.community = community
    start = timezone.now() + timedelta(minutes=40)
    services.event_update(
        editor=owner,
        event=event,
        fields=services.EventFields(
            title="x",
            description="y",
            kind="meetup",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            location="z",
        ),
    )
    assert services.reminders_send_due() == 1
    assert _reminders(m.user).count() == 2


@pytest.mark.skipif(settings.DB_VENDOR != "postgresql", reason="needs PostgreSQL for concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_at_once_remind_once(community, make_member, make_event):
    event = make_event(community, starts_in=timedelta(minutes=30))
    members = [make_member(community) for _ in range(5)]
    for m in members:
        services.rsvp_set(membership=m, event=event, status="going")
    barrier = threading.Barrier(4)
    results: list = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(services.reminders_send_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [0, 0, 0, 5]
    for m in members:
        assert _reminders(m.user).count() == 1
