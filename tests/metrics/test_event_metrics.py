"""Event metrics by hand: events held, RSVPs and the attendance rate over the last 30 days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from communities.discussions.models import Post, ThreadKind
from communities.discussions.services import post_create, thread_create
from communities.events.models import Event, EventStatus, Rsvp
from communities.models import Space
from members.models import Membership, Role
from metrics import services
from metrics.models import DailySnapshot

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def L(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def _event(owner: Membership, space: Space, start: datetime, *, status: str = EventStatus.SCHEDULED) -> Event:
    thread = thread_create(
        author=owner, space=space, title="E", body_md="e", kind=ThreadKind.EVENT, at=start - timedelta(days=5)
    )
    return Event.objects.create(
        community_id=space.community_id, thread=thread, starts_at=start, ends_at=start + timedelta(hours=1),
        time_zone="Europe/Berlin", status=status, created_at=start - timedelta(days=5),
    )  # fmt: skip


def test_event_keys_by_hand(make_community, make_member):
    c = make_community(time_zone="Europe/Berlin")
    type(c).objects.filter(pk=c.pk).update(created_at=L(9, 1, 0))
    owner = Membership.objects.get(community=c, role=Role.OWNER)
    owner.community = c
    space = Space.objects.get(community=c, slug="general")
    a, b, cc, d, x = (make_member(c) for _ in range(5))
    e1 = _event(owner, space, L(11, 5, 18))  # 18:00-19:00 Berlin, 5 Nov
    for m, status in ((a, "going"), (b, "going"), (cc, "going"), (d, "maybe"), (x, "not_going")):
        Rsvp.objects.create(event=e1, user=m.user, status=status)
    post_create(author=a, thread=e1.thread, body_md="here", at=L(11, 5, 18, 10))  # during: counts
    post_create(author=b, thread=e1.thread, body_md="thanks", at=L(11, 5, 19, 30))  # end + 30 min: counts
    post_create(author=cc, thread=e1.thread, body_md="see you", at=L(11, 5, 17))  # before the start: no
    post_create(author=d, thread=e1.thread, body_md="maybe", at=L(11, 5, 18, 20))  # maybe: not in the rate
    removed = post_create(author=cc, thread=e1.thread, body_md="gone", at=L(11, 5, 18, 30))
    Post.objects.filter(pk=removed.pk).update(removed_at=L(11, 6, 9))  # removed: does not count
    cancelled = _event(owner, space, L(11, 7, 18), status=EventStatus.CANCELLED)
    Rsvp.objects.create(event=cancelled, user=a.user, status="going")
    old = _event(owner, space, L(10, 5, 18))  # ended 5 Oct: outside the window of 10 Nov
    Rsvp.objects.create(event=old, user=a.user, status="going")

    services.metrics_compute_range(community_id=c.pk, start=date(2025, 10, 5), end=date(2025, 11, 10))
    snap = {s.day: s for s in DailySnapshot.objects.filter(community=c)}
    assert (snap[date(2025, 10, 5)].events_held_30d, snap[date(2025, 10, 5)].event_rsvps_30d) == (1, 1)
    assert snap[date(2025, 10, 5)].event_attendance_rate_30d == 0.0
    before = snap[date(2025, 11, 4)]  # window 10-06..11-04: the old event ended 10-05, E1 not yet
    assert (before.events_held_30d, before.event_rsvps_30d, before.event_attendance_rate_30d) == (0, 0, None)
    day = snap[date(2025, 11, 10)]
    assert day.events_held_30d == 1
    assert day.event_rsvps_30d == 4  # A, B, C going + D maybe
    assert day.event_attendance_rate_30d == pytest.approx(2 / 3)  # A and B posted in the window
