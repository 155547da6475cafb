"""Ritual schedule math: pure functions, no database.

A schedule is a local wall-clock time in the community's time zone plus a rule for which local
dates it falls on. Occurrences are returned as aware UTC datetimes.

Daylight saving: the local time is kept across transitions (a 17:00 ritual stays at 17:00 local,
so its UTC time moves by an hour). Two corner cases:

* a local time that does not exist (the spring-forward gap, e.g. 02:30 on the night clocks jump
  from 02:00 to 03:00) is shifted forward by the length of the gap (02:30 -> 03:30);
* an ambiguous local time (the fall-back hour happens twice) means its first occurrence.

Both follow from PEP 495 with ``fold=0``: zoneinfo resolves a gap time with the offset in force
*before* the transition (which lands after it) and an ambiguous time with the earlier offset.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKLY = "weekly"
MONTHLY_NTH_WEEKDAY = "monthly_nth"
MONTHLY_DAY = "monthly_day"
FREQUENCIES = (WEEKLY, MONTHLY_NTH_WEEKDAY, MONTHLY_DAY)

LAST = 5  # nth_week value meaning "the last <weekday> of the month"
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", LAST: "last"}

# Stop searching after this many candidate dates (a schedule that never matches cannot loop).
_MAX_CANDIDATES = 20_000


@dataclass(frozen=True)
class Schedule:
    frequency: str
    local_time: time
    tz: ZoneInfo
    starts_on: date
    weekday: int = 0  # 0 = Monday (weekly and monthly-nth-weekday)
    interval_weeks: int = 1  # weekly: every N weeks, counted from the week of starts_on
    nth_week: int = 1  # monthly-nth-weekday: 1..4, or LAST
    day_of_month: int = 1  # monthly-day: 1..31, clamped to the month's last day

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"unknown frequency {self.frequency!r}")
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0..6")
        if self.interval_weeks < 1:
            raise ValueError("interval_weeks must be at least 1")
        if not 1 <= self.nth_week <= LAST:
            raise ValueError("nth_week must be 1..5")
        if not 1 <= self.day_of_month <= 31:
            raise ValueError("day_of_month must be 1..31")


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``tz`` (gap: shifted forward;
    ambiguous: the first occurrence)."""
    local = datetime.combine(day, at.replace(tzinfo=None, fold=0)).replace(tzinfo=tz, fold=0)
    return local.astimezone(UTC)


def nth_weekday_of_month(year: int, month: int, weekday: int, nth: int) -> date:
    if nth == LAST:
        last_day = calendar.monthrange(year, month)[1]
        last = date(year, month, last_day)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def clamped_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _months_from(start: date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while True:
        yield year, month
        month += 1
        if month > 12:
            year, month = year + 1, 1


def candidate_dates(schedule: Schedule, start: date) -> Iterator[date]:
    """Local dates on or after ``max(start, schedule.starts_on)`` that the schedule falls on."""
    start = max(start, schedule.starts_on)
    if schedule.frequency == WEEKLY:
        day = start + timedelta(days=(schedule.weekday - start.weekday()) % 7)
        anchor_monday = schedule.starts_on - timedelta(days=schedule.starts_on.weekday())
        while True:
            weeks = (day - anchor_monday).days // 7
            if weeks % schedule.interval_weeks == 0:
                yield day
            day += timedelta(days=7)
    for year, month in _months_from(start):
        if schedule.frequency == MONTHLY_NTH_WEEKDAY:
            day = nth_weekday_of_month(year, month, schedule.weekday, schedule.nth_week)
        else:
            day = clamped_day(year, month, schedule.day_of_month)
        if day >= start:
            yield day


def iter_occurrences_after(schedule: Schedule, after: datetime) -> Iterator[datetime]:
    """Occurrences strictly after the aware datetime ``after``, ascending, in UTC."""
    # Start a day early: the local date of ``after`` may be behind or ahead of its UTC date.
    local_day = after.astimezone(schedule.tz).date() - timedelta(days=1)
    for n, day in enumerate(candidate_dates(schedule, local_day)):
        if n > _MAX_CANDIDATES:
            return
        at = local_to_utc(day, schedule.local_time, schedule.tz)
        if at > after:
            yield at


def occurrences_after(schedule: Schedule, after: datetime, count: int = 5) -> list[datetime]:
    out: list[datetime] = []
    for at in iter_occurrences_after(schedule, after):
        out.append(at)
        if len(out) >= count:
            break
    return out


def next_after(schedule: Schedule, after: datetime) -> datetime | None:
    found = occurrences_after(schedule, after, 1)
    return found[0] if found else None


def due_between(schedule: Schedule, first: datetime, now: datetime, limit: int = 1000) -> list[datetime]:
    """``first`` (a due occurrence) and every later occurrence up to and including ``now``.

    Used to catch up after downtime: the caller posts the last one and records the others as
    skipped. At most ``limit`` are returned (the most recent ones), so years of downtime can't
    produce an unbounded list.
    """
    due = [first]
    for at in iter_occurrences_after(schedule, first):
        if at > now:
            break
        due.append(at)
        if len(due) > limit:
            due.pop(0)
    return due


def describe(schedule: Schedule) -> str:
    """Human wording, e.g. "Every Friday at 17:00" or "Monthly on the last Tuesday at 18:30"."""
    at = schedule.local_time.strftime("%H:%M")
    weekday = WEEKDAY_NAMES[schedule.weekday]
    if schedule.frequency == WEEKLY:
        if schedule.interval_weeks == 1:
            return f"Every {weekday} at {at}"
        return f"Every {schedule.interval_weeks} weeks on {weekday} at {at}"
    if schedule.frequency == MONTHLY_NTH_WEEKDAY:
        return f"Monthly on the {ORDINALS[schedule.nth_week]} {weekday} at {at}"
    if schedule.day_of_month > 28:
        return f"Monthly on day {schedule.day_of_month} (or the month's last day) at {at}"
    return f"Monthly on day {schedule.day_of_month} at {at}"
