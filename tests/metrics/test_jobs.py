"""The beat job: each community gets the day that ended at its own local midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from metrics import tasks
from metrics.models import DailySnapshot
from metrics.services import REFRESH_DAYS, due_days, last_complete_day


def test_due_days_follow_each_community_local_midnight(make_community):
    now = datetime(2026, 3, 10, 11, 30, tzinfo=UTC)
    east = make_community(time_zone="Pacific/Kiritimati", created_at=now - timedelta(days=30))  # UTC+14
    west = make_community(time_zone="Pacific/Pago_Pago", created_at=now - timedelta(days=30))  # UTC-11
    # 11:30 UTC is 01:30 on the 11th in Kiritimati (the 10th just ended) and 00:30 on the 10th in
    # Pago Pago (the 9th just ended).
    assert last_complete_day(east, now) == date(2026, 3, 10)
    assert last_complete_day(west, now) == date(2026, 3, 9)
    assert due_days(east, now) == (date(2026, 3, 10) - timedelta(days=REFRESH_DAYS), date(2026, 3, 10))


def test_beat_task_computes_missing_days_then_is_up_to_date(make_community):
    community = make_community(created_at=timezone.now() - timedelta(days=4))
    tasks.compute_due()  # eager in tests
    yesterday = last_complete_day(community)
    days = set(DailySnapshot.objects.filter(community=community).values_list("day", flat=True))
    assert yesterday in days
    assert min(days) == community.created_at.astimezone(community.tz).date()
    assert due_days(community) is None
    before = DailySnapshot.objects.filter(community=community).count()
    tasks.compute_due()
    assert DailySnapshot.objects.filter(community=community).count() == before


def test_range_task_recomputes(make_community):
    community = make_community(created_at=timezone.now() - timedelta(days=3))
    yesterday = last_complete_day(community)
    tasks.compute_range(community.pk, (yesterday - timedelta(days=1)).isoformat(), yesterday.isoformat())
    assert DailySnapshot.objects.filter(community=community, day=yesterday).exists()
