"""Reads of the metrics app. Everything the dashboard and exports show comes from snapshots."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Sum

from communities.models import Community
from metrics.models import METRIC_KEYS, ContributorDay, DailySnapshot, RetentionCohort, RitualSnapshot

COHORT_FIELDS = (
    "size",
    "retained_30",
    "retention_30",
    "retained_60",
    "retention_60",
    "retained_90",
    "retention_90",
)


def snapshots(
    *, community: Community, start: date | None = None, end: date | None = None
) -> list[DailySnapshot]:
    qs = DailySnapshot.objects.filter(community=community)
    if start:
        qs = qs.filter(day__gte=start)
    if end:
        qs = qs.filter(day__lte=end)
    return list(qs.order_by("day"))


def latest_snapshots(*, community: Community, limit: int) -> list[DailySnapshot]:
    """The newest ``limit`` daily snapshots, newest first."""
    return list(DailySnapshot.objects.filter(community=community).order_by("-day")[:limit])


def cohorts(*, community: Community) -> list[RetentionCohort]:
    return list(RetentionCohort.objects.filter(community=community).order_by("week_start"))


def top_contributors(
    *, community: Community, start: date, end: date, limit: int = 10
) -> list[dict[str, Any]]:
    return list(
        ContributorDay.objects.filter(community=community, day__gte=start, day__lte=end)
        .values("user__handle", "user__display_name")
        .annotate(total=Sum("posts"))
        .filter(total__gt=0)
        .order_by("-total", "user__handle")[:limit]
    )


def top_inviters(*, community: Community, start: date, end: date, limit: int = 10) -> list[dict[str, Any]]:
    return list(
        ContributorDay.objects.filter(community=community, day__gte=start, day__lte=end)
        .values("user__handle", "user__display_name")
        .annotate(total=Sum("referred_joins"))
        .filter(total__gt=0)
        .order_by("-total", "user__handle")[:limit]
    )


def rituals(*, community: Community, start: date, end: date, limit: int = 30) -> list[RitualSnapshot]:
    return list(
        RitualSnapshot.objects.filter(community=community, day__gte=start, day__lte=end).order_by("-day")[
            :limit
        ]
    )


def export_rows(*, community: Community, start: date | None, end: date | None) -> dict[str, Any]:
    """Daily snapshots and cohorts in the shape of the exports (values unrounded, nulls kept)."""
    days = [
        {"date": s.day.isoformat(), **{k: getattr(s, k) for k in METRIC_KEYS}}
        for s in snapshots(community=community, start=start, end=end)
    ]
    cohort_rows = [
        {
            "week_start": c.week_start.isoformat(),
            "as_of": c.as_of.isoformat(),
            **{f: getattr(c, f) for f in COHORT_FIELDS},
        }
        for c in cohorts(community=community)
    ]
    return {
        "community": community.slug,
        "time_zone": community.time_zone,
        "days": days,
        "retention_cohorts": cohort_rows,
    }


def export_csv_lines(data: dict[str, Any]) -> list[list[str]]:
    """Long format: community,date,metric,value (empty value for null). Cohort rows use the
    week's Monday as date and ``retention_cohorts.<field>`` as metric."""

    def fmt(v: Any) -> str:
        return "" if v is None else repr(v) if isinstance(v, float) else str(v)

    rows = [["community", "date", "metric", "value"]]
    for day in data["days"]:
        for key in METRIC_KEYS:
            rows.append([data["community"], day["date"], key, fmt(day[key])])
    for c in data["retention_cohorts"]:
        for field in COHORT_FIELDS:
            rows.append([data["community"], c["week_start"], f"retention_cohorts.{field}", fmt(c[field])])
    return rows


def default_range_end(community: Community) -> date | None:
    return (
        DailySnapshot.objects.filter(community=community)
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )


def previous_period(start: date, end: date) -> tuple[date, date]:
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)
