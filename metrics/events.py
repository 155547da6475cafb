# ruff: noqa: S608 - SQL is assembled from constants; the inlined ids are integers read from the database
"""Event metrics for a run of local days (keys ``events_held_30d``, ``event_rsvps_30d``,
``event_attendance_rate_30d``; definitions in ``metrics/definitions.py`` and ``docs/metrics.md``).

Reads the events tables of ``communities`` directly (metrics is never imported by other apps).
Three queries for the whole run of days (events that ended in it or the 29 days before, their
answers, the posts in their threads); each day is then counted in Python, so the SQL stays the
same on PostgreSQL and SQLite (no interval arithmetic).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from metrics.models import EVENT_KEYS  # noqa: F401  (the keys this module fills)
from metrics.sql import Span, _dt, _parse_dt, _rows, not_bot, ratio

ATTENDANCE_GRACE = timedelta(hours=1)
WINDOW_DAYS = 30


def _ids(values: list[int]) -> str:
    return ", ".join(str(int(v)) for v in values)


def events_span(span: Span) -> dict[date, dict[str, Any]]:
    """For each day D of the span: events of the community that ended in the last 30 local
    days (D included), not cancelled, thread not removed (as they stand when computed); their
    "going" and "maybe" answers by people (bots excluded); and the share of "going" answers whose
    person wrote a live post in the event's thread between its start and one hour after its end."""
    lo = span.start_of(span.first - timedelta(days=WINDOW_DAYS - 1))
    hi = span.start_of(span.last + timedelta(days=1))
    held = _rows(
        """
        SELECT e.id, e.thread_id, e.starts_at, e.ends_at FROM communities_event e
          JOIN communities_thread t ON t.id = e.thread_id
         WHERE e.community_id = %(c)s AND e.status = 'scheduled' AND t.removed_at IS NULL
           AND e.ends_at >= %(lo)s AND e.ends_at < %(hi)s
        """,
        {"c": span.community_id, "lo": _dt(lo), "hi": _dt(hi)},
    )
    events: dict[int, tuple[int, datetime, datetime]] = {
        int(r[0]): (int(r[1]), _parse_dt(r[2]), _parse_dt(r[3])) for r in held
    }
    answers: dict[int, list[tuple[int, str]]] = {e: [] for e in events}
    attended: set[tuple[int, int]] = set()
    if events:
        for event_id, user_id, status in _rows(
            f"""
            SELECT r.event_id, r.user_id, r.status FROM communities_rsvp r
             WHERE r.event_id IN ({_ids(list(events))}) AND r.status IN ('going', 'maybe')
               AND {not_bot("r.user_id", span.bots)}
            """,
            {},
        ):
            answers[int(event_id)].append((int(user_id), status))
        by_thread = {thread: event for event, (thread, _, _) in events.items()}
        first = min(s for _, s, _ in events.values())
        last = max(e for _, _, e in events.values()) + ATTENDANCE_GRACE
        for thread_id, author_id, created in _rows(
            f"""
            SELECT p.thread_id, p.author_id, p.created_at FROM communities_post p
             WHERE p.thread_id IN ({_ids(list(by_thread))}) AND p.status = 'published'
               AND p.removed_at IS NULL AND p.author_id IS NOT NULL
               AND p.created_at >= %(first)s AND p.created_at < %(last)s
            """,
            {"first": _dt(first), "last": _dt(last)},
        ):
            event_id = by_thread[int(thread_id)]
            _, start, end = events[event_id]
            if start <= _parse_dt(created) < end + ATTENDANCE_GRACE:
                attended.add((event_id, int(author_id)))

    out: dict[date, dict[str, Any]] = {}
    for day in span.days():
        w0, w1 = span.start_of(day - timedelta(days=WINDOW_DAYS - 1)), span.start_of(day + timedelta(days=1))
        in_window = [e for e, (_, _, end) in events.items() if w0 <= end < w1]
        rsvps = sum(len(answers[e]) for e in in_window)
        going = [(e, u) for e in in_window for u, status in answers[e] if status == "going"]
        came = sum(1 for key in going if key in attended)
        out[day] = {
            "events_held_30d": len(in_window),
            "event_rsvps_30d": rsvps,
            "event_attendance_rate_30d": ratio(came, len(going)),
        }
    return out
