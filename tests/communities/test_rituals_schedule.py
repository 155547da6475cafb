"""Ritual schedule math: each schedule kind, DST in both directions, month ends, leap days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from communities.rituals import schedule as s

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def local(dts: list[datetime], tz: ZoneInfo) -> list[str]:
    return [d.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") for d in dts]


def test_weekly_on_a_weekday_at_a_local_time():
    sched = s.Schedule(s.WEEKLY, time(17, 0), BERLIN, date(2026, 1, 1), weekday=4)  # Fridays
    got = s.occurrences_after(sched, datetime(2026, 1, 7, tzinfo=UTC), 3)
    assert local(got, BERLIN) == ["2026-01-09 17:00 CET", "2026-01-16 17:00 CET", "2026-01-23 17:00 CET"]
    assert all(d.tzinfo == UTC for d in got)


def test_weekly_is_strictly_after_and_same_day_later_time_counts():
    sched = s.Schedule(s.WEEKLY, time(17, 0), ZoneInfo("UTC"), date(2026, 1, 1), weekday=4)
    friday_5pm = datetime(2026, 1, 9, 17, 0, tzinfo=UTC)
    assert s.next_after(sched, friday_5pm) == datetime(2026, 1, 16, 17, 0, tzinfo=UTC)
    assert s.next_after(sched, datetime(2026, 1, 9, 16, 59, tzinfo=UTC)) == friday_5pm


def test_every_n_weeks_counts_from_the_start_week():
    # Starts Wed 7 Jan 2026; every 2 weeks on Monday: weeks of 5 Jan, 19 Jan, 2 Feb...
    sched = s.Schedule(s.WEEKLY, time(9, 0), BERLIN, date(2026, 1, 7), weekday=0, interval_weeks=2)
    got = s.occurrences_after(sched, datetime(2026, 1, 1, tzinfo=UTC), 4)
    # The Monday of the start week (5 Jan) is before starts_on, so the first is 19 Jan.
    assert [d.astimezone(BERLIN).date() for d in got] == [
        date(2026, 1, 19),
        date(2026, 2, 2),
        date(2026, 2, 16),
        date(2026, 3, 2),
    ]


def test_nothing_before_starts_on():
    sched = s.Schedule(s.WEEKLY, time(9, 0), BERLIN, date(2026, 6, 1), weekday=0)
    assert s.next_after(sched, datetime(2026, 1, 1, tzinfo=UTC)).astimezone(BERLIN).date() == date(2026, 6, 1)


@pytest.mark.parametrize(
    ("nth", "expected"),
    [
        (1, [date(2026, 1, 6), date(2026, 2, 3), date(2026, 3, 3)]),
        (3, [date(2026, 1, 20), date(2026, 2, 17), date(2026, 3, 17)]),
        (s.LAST, [date(2026, 1, 27), date(2026, 2, 24), date(2026, 3, 31)]),
    ],
)
def test_monthly_on_the_nth_weekday(nth, expected):
    sched = s.Schedule(s.MONTHLY_NTH_WEEKDAY, time(18, 30), BERLIN, date(2026, 1, 1), weekday=1, nth_week=nth)
    got = s.occurrences_after(sched, datetime(2026, 1, 1, tzinfo=UTC), 3)
    assert [d.astimezone(BERLIN).date() for d in got] == expected
    assert {d.astimezone(BERLIN).time() for d in got} == {time(18, 30)}


def test_monthly_on_day_31_clamps_to_month_ends_and_leap_day():
    sched = s.Schedule(s.MONTHLY_DAY, time(9, 0), NY, date(2024, 1, 1), day_of_month=31)
    got = s.occurrences_after(sched, datetime(2024, 1, 1, tzinfo=UTC), 6)
    assert [d.astimezone(NY).date() for d in got] == [
        date(2024, 1, 31),
        date(2024, 2, 29),  # leap year
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
    ]


def test_monthly_on_day_29_in_a_non_leap_february():
    sched = s.Schedule(s.MONTHLY_DAY, time(9, 0), NY, date(2025, 1, 1), day_of_month=29)
    got = s.occurrences_after(sched, datetime(2025, 1, 30, tzinfo=UTC), 3)
    assert [d.astimezone(NY).date() for d in got] == [date(2025, 2, 28), date(2025, 3, 29), date(2025, 4, 29)]


def test_leap_day_ritual_in_february_2028():
    sched = s.Schedule(s.MONTHLY_DAY, time(12, 0), BERLIN, date(2027, 12, 1), day_of_month=30)
    got = s.occurrences_after(sched, datetime(2028, 2, 1, tzinfo=UTC), 2)
    assert [d.astimezone(BERLIN).date() for d in got] == [date(2028, 2, 29), date(2028, 3, 30)]


def test_weekly_keeps_local_time_across_spring_forward():
    # US DST starts Sun 8 Mar 2026: 17:00 EST is 22:00 UTC, 17:00 EDT is 21:00 UTC.
    sched = s.Schedule(s.WEEKLY, time(17, 0), NY, date(2026, 1, 1), weekday=4)
    got = s.occurrences_after(sched, datetime(2026, 3, 1, tzinfo=UTC), 2)
    assert got == [datetime(2026, 3, 6, 22, 0, tzinfo=UTC), datetime(2026, 3, 13, 21, 0, tzinfo=UTC)]
    assert local(got, NY) == ["2026-03-06 17:00 EST", "2026-03-13 17:00 EDT"]


def test_weekly_keeps_local_time_across_fall_back():
    # Europe: DST ends Sun 25 Oct 2026. 09:00 CEST = 07:00 UTC, 09:00 CET = 08:00 UTC.
    sched = s.Schedule(s.WEEKLY, time(9, 0), BERLIN, date(2026, 1, 1), weekday=0)
    got = s.occurrences_after(sched, datetime(2026, 10, 19, tzinfo=UTC), 2)
    assert got == [datetime(2026, 10, 19, 7, 0, tzinfo=UTC), datetime(2026, 10, 26, 8, 0, tzinfo=UTC)]


def test_nonexistent_local_time_in_the_spring_gap_shifts_forward():
    # Sun 8 Mar 2026 02:30 does not exist in New York (02:00 -> 03:00): posted at 03:30 EDT.
    sched = s.Schedule(s.WEEKLY, time(2, 30), NY, date(2026, 1, 1), weekday=6)
    got = s.occurrences_after(sched, datetime(2026, 3, 2, tzinfo=UTC), 2)
    assert local(got, NY) == ["2026-03-08 03:30 EDT", "2026-03-15 02:30 EDT"]
    assert got[0] == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_ambiguous_local_time_in_the_fall_back_hour_is_the_first_occurrence():
    # Sun 1 Nov 2026 01:30 happens twice in New York (EDT then EST): the first one, 05:30 UTC.
    sched = s.Schedule(s.WEEKLY, time(1, 30), NY, date(2026, 1, 1), weekday=6)
    got = s.occurrences_after(sched, datetime(2026, 10, 26, tzinfo=UTC), 2)
    assert got[0] == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert local(got, NY) == ["2026-11-01 01:30 EDT", "2026-11-08 01:30 EST"]


def test_monthly_nth_weekday_across_dst_keeps_wall_time():
    sched = s.Schedule(
        s.MONTHLY_NTH_WEEKDAY, time(18, 0), BERLIN, date(2026, 1, 1), weekday=3, nth_week=s.LAST
    )
    got = s.occurrences_after(sched, datetime(2026, 2, 1, tzinfo=UTC), 2)
    assert local(got, BERLIN) == ["2026-02-26 18:00 CET", "2026-03-26 18:00 CET"]
    got = s.occurrences_after(sched, datetime(2026, 3, 27, tzinfo=UTC), 1)
    assert local(got, BERLIN) == ["2026-04-30 18:00 CEST"]


def test_due_between_lists_every_missed_occurrence_up_to_now():
    sched = s.Schedule(s.WEEKLY, time(17, 0), ZoneInfo("UTC"), date(2026, 1, 1), weekday=4)
    first = datetime(2026, 1, 2, 17, 0, tzinfo=UTC)
    due = s.due_between(sched, first, datetime(2026, 1, 23, 18, 0, tzinfo=UTC))
    assert [d.day for d in due] == [2, 9, 16, 23]
    assert s.due_between(sched, first, first) == [first]


def test_describe():
    base = {"local_time": time(17, 0), "tz": BERLIN, "starts_on": date(2026, 1, 1)}
    assert s.describe(s.Schedule(s.WEEKLY, weekday=4, **base)) == "Every Friday at 17:00"
    assert s.describe(s.Schedule(s.WEEKLY, weekday=4, interval_weeks=2, **base)) == (
        "Every 2 weeks on Friday at 17:00"
    )
    assert s.describe(s.Schedule(s.MONTHLY_NTH_WEEKDAY, weekday=1, nth_week=5, **base)) == (
        "Monthly on the last Tuesday at 17:00"
    )
    assert "last day" in s.describe(s.Schedule(s.MONTHLY_DAY, day_of_month=31, **base))


def test_invalid_schedules_are_refused():
    with pytest.raises(ValueError):
        s.Schedule("daily", time(9, 0), BERLIN, date(2026, 1, 1))
    with pytest.raises(ValueError):
        s.Schedule(s.WEEKLY, time(9, 0), BERLIN, date(2026, 1, 1), interval_weeks=0)
