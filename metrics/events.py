"""Event metrics of one local day (METRICS keys ``events_held_30d``, ``event_rsvps_30d``,
``event_attendance_rate_30d``; definitions in ``metrics/definitions.py``).

Reads the events tables of ``communities`` directly (metrics is never imported by other apps).
Two small queries per day; the attendance join is done here in Python so the SQL stays the same
on PostgreSQL and SQLite (no interval arithmetic).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from metrics.compute import DayWindow, _dt, _parse_dt, _rows, not_bot, ratio

EVENT_KEYS = ("events_held_30d", "event_rsvps_30d", "event_attendance_rate_30d")
ATTENDANCE_GRACE = timedelta(hours=1)


def event_values(w: DayWindow) -> dict[str, Any]:
    """Events that ended in the last 30 local days (D included), not cancelled, thread not
    removed; their going/maybe answers (bots excluded); and the share of "going" people who
    posted a live post in the event's thread between its start and one hour after its end."""
    params = {"c": w.community_id, "w0": _dt(w.days_back(30)), "end": _dt(w.end)}
    held = _rows(
        """
        SELECT e.id, e.thread_id, e.starts_at, e.ends_at FROM communities_event e
          JOIN communities_thread t ON t.id = e.thread_id
         WHERE e.community_id = %(c)s AND e.status = 'scheduled' AND t.removed_at IS NULL
           AND e.ends_at >= %(w0)s AND e.ends_at < %(end)s
        """,
        params,
    )
    if not held:
        return {"events_held_30d": 0, "event_rsvps_30d": 0, "event_attendance_rate_30d": None}
    windows = {int(r[1]): (int(r[0]), _parse_dt(r[2]), _parse_dt(r[3]) + ATTENDANCE_GRACE) for r in held}
    event_ids = ", ".join(str(int(r[0])) for r in held)
    thread_ids = ", ".join(str(t) for t in windows)
    answers = _rows(
        f"""
        SELECT r.event_id, r.user_id, r.status FROM communities_rsvp r
         WHERE r.event_id IN ({event_ids}) AND r.status IN ('going', 'maybe')
           AND {not_bot("r.user_id", w.bots)}
        """,
        params,
    )
    lo = min(s for _, s, _ in windows.values())
    hi = max(e for _, _, e in windows.values())
    posts = _rows(
        f"""
        SELECT p.thread_id, p.author_id, p.created_at FROM communities_post p
         WHERE p.thread_id IN ({thread_ids}) AND p.status = 'published' AND p.removed_at IS NULL
           AND p.author_id IS NOT NULL AND p.created_at >= %(lo)s AND p.created_at < %(hi)s
        """,
        {**params, "lo": _dt(lo), "hi": _dt(hi)},
    )
    posted: set[tuple[int, int]] = set()
    for thread_id, author_id, created in posts:
        event_id, start, until = windows[int(thread_id)]
        if start <= _parse_dt(created) < until:
            posted.add((event_id, int(author_id)))
    going = [(int(e), int(u)) for e, u, status in answers if status == "going"]
    attended = sum(1 for key in going if key in posted)
    return {
        "events_held_30d": len(held),
        "event_rsvps_30d": len(answers),
        "event_attendance_rate_30d": ratio(attended, len(going)),
    }
