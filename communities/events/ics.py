"""iCalendar (RFC 5545) documents for one event and for a person's calendar feed, built with the
``icalendar`` library.

Times are written in the event's own zone (``DTSTART;TZID=Europe/Berlin:...``) with a matching
VTIMEZONE covering the events' dates, so a calendar that shows the event in another zone or
across a daylight-saving change lands on the same instant; DTSTAMP/CREATED/LAST-MODIFIED are UTC.
Summaries, places and descriptions are plain text (the library escapes them).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import icalendar
from django.conf import settings
from django.utils.html import strip_tags

from communities.events.models import Event

PRODID = "-//Hearth//Events//EN"
DESCRIPTION_CHARS = 2000


def _uid(event: Event) -> str:
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "hearth"
    return f"event-{event.pk}@{host}"


def _plain(html_text: str) -> str:
    text = html.unescape(strip_tags(html_text or ""))
    return text.strip()[:DESCRIPTION_CHARS]


def _vevent(
    event: Event, *, description_html: str = "", now: datetime, with_link: bool = True
) -> icalendar.Event:
    tz = event.tz
    vevent = icalendar.Event()
    vevent.add("uid", _uid(event))
    vevent.add("dtstamp", now.astimezone(UTC))
    vevent.add("created", event.created_at.astimezone(UTC))
    vevent.add("last-modified", event.updated_at.astimezone(UTC))
    vevent.add("summary", event.thread.title)
    vevent.add("dtstart", event.starts_at.astimezone(tz))
    vevent.add("dtend", event.ends_at.astimezone(tz))
    url = settings.SITE_URL + event.get_absolute_url()
    vevent.add("url", url)
    where = event.location or (event.online_url if with_link else "")
    if where:
        vevent.add("location", where)
    text = _plain(description_html)
    vevent.add("description", (text + "\n\n" if text else "") + url)
    # SEQUENCE grows with every change so calendars replace the old copy.
    vevent.add("sequence", int((event.updated_at - event.created_at).total_seconds()) // 60)
    if event.is_cancelled:
        vevent.add("status", "CANCELLED")
    else:
        vevent.add("status", "CONFIRMED")
    return vevent


def _calendar(name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def _add_timezones(cal: icalendar.Calendar, events: list[Event]) -> None:
    if not events:
        return
    first = min(e.starts_at for e in events).date() - timedelta(days=366)
    last = max(e.ends_at for e in events).date() + timedelta(days=366)
    cal.add_missing_timezones(first_date=max(first, date(1970, 1, 1)), last_date=last)


def event_ics(
    event: Event, *, description_html: str = "", now: datetime | None = None, with_link: bool = True
) -> bytes:
    """One event. ``with_link=False`` leaves out the online link (for visitors who are not
    members: the event page hides it from them too)."""
    now = now or datetime.now(UTC)
    cal = _calendar(event.thread.title)
    cal.add("method", "PUBLISH")
    cal.add_component(_vevent(event, description_html=description_html, now=now, with_link=with_link))
    _add_timezones(cal, [event])
    return cal.to_ical()


def feed_ics(events: Iterable[Event], *, name: str, now: datetime | None = None) -> bytes:
    """The personal feed. Descriptions carry only the link (the feed is fetched without a
    session; nothing more than the event's title, time and place leaves through it)."""
    now = now or datetime.now(UTC)
    events = list(events)
    cal = _calendar(name)
    for event in events:
        cal.add_component(_vevent(event, now=now))
    _add_timezones(cal, events)
    return cal.to_ical()
