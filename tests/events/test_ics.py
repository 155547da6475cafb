"""The .ics download and the feed parse back with icalendar to the right instants, across DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from communities.events.forms import to_utc
from communities.events.ics import event_ics, feed_ics

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def _one(body: bytes) -> icalendar.Event:
    cal = icalendar.Calendar.from_ical(body)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return events[0]


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        (datetime(2030, 1, 15, 18, 0), datetime(2030, 1, 15, 17, 0, tzinfo=UTC)),  # CET, +1
        (datetime(2030, 7, 16, 18, 0), datetime(2030, 7, 16, 16, 0, tzinfo=UTC)),  # CEST, +2
        (datetime(2030, 3, 31, 2, 30), datetime(2030, 3, 31, 1, 30, tzinfo=UTC)),  # the gap: 03:30 CEST
        (
            datetime(2030, 10, 27, 2, 30),
            datetime(2030, 10, 27, 0, 30, tzinfo=UTC),
        ),  # repeated hour: the first
    ],
)
def test_event_ics_instant_across_dst(make_community, make_event, local, utc):
    community = make_community(time_zone="Europe/Berlin")
    start = to_utc(local, BERLIN)
    assert start == utc
    event = make_event(community, starts_at=start, duration=timedelta(hours=2))
    vevent = _one(event_ics(event))
    dtstart = vevent.decoded("dtstart")
    assert dtstart.tzinfo is not None
    assert dtstart.astimezone(UTC) == utc
    assert vevent.decoded("dtend").astimezone(UTC) == utc + timedelta(hours=2)
    assert vevent["dtstart"].params["TZID"] == "Europe/Berlin"
    cal = icalendar.Calendar.from_ical(event_ics(event))
    tzids = [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")]
    assert tzids == ["Europe/Berlin"]


def test_ics_view_and_cancelled_status(client, community, member, make_event):
    event = make_event(community, title="Garden day", description="Bring **gloves** & <b>tea</b>")
    client.force_login(member.user)
    response = client.get(reverse("event-ics", args=[community.slug, event.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    vevent = _one(response.content)
    assert str(vevent["summary"]) == "Garden day"
    description = str(vevent["description"])
    # Plain text: Markdown rendered then stripped; raw HTML typed by the author stays literal text.
    assert "Bring gloves & <b>tea</b>" in description
    assert "<strong>" not in description and "**" not in description
    assert vevent.decoded("dtstart").astimezone(UTC) == event.starts_at
    from communities.events.services import event_cancel

    member.community = community
    event_cancel(actor=member, event=event)
    event.refresh_from_db()
    assert str(_one(event_ics(event))["status"]) == "CANCELLED"


def test_feed_with_several_zones(make_community, make_event):
    berlin = make_event(make_community(time_zone="Europe/Berlin"), title="B")
    ny = make_event(make_community(time_zone="America/New_York"), title="N")
    cal = icalendar.Calendar.from_ical(feed_ics([berlin, ny], name="mine", now=timezone.now()))
    assert sorted(str(t["TZID"]) for t in cal.walk("VTIMEZONE")) == ["America/New_York", "Europe/Berlin"]
    starts = {str(e["summary"]): e.decoded("dtstart").astimezone(UTC) for e in cal.walk("VEVENT")}
    assert starts == {"B": berlin.starts_at, "N": ny.starts_at}


def test_online_link_only_for_members(client, make_community, make_member, make_event):
    community = make_community(visibility="public")
    event = make_event(community, location="", online_url="https://meet.example.org/secret-room")
    url = reverse("event-ics", args=[community.slug, event.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 200 and b"secret-room" not in anonymous.content
    assert b"secret-room" not in client.get(reverse("event-detail", args=[community.slug, event.pk])).content
    client.force_login(make_member(community).user)
    assert b"secret-room" in client.get(url).content
