"""API: a community's daily health snapshots — the numbers of the dashboard and ``metrics_export``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field, create_model

from config.replica import replica_reads
from members import access
from members.tokens.auth import community
from members.tokens.models import TokenScope
from members.tokens.schemas import SlugPath, responses
from metrics.models import METRIC_KEYS
from metrics.selectors import COHORT_FIELDS, default_range_end, export_rows

router = Router(tags=["metrics"])

MAX_DAYS = 366
DEFAULT_DAYS = 30

_day_fields: dict[str, Any] = {
    "date": (date, ...),
    **{key: (int | float | None, None) for key in METRIC_KEYS},
}
_cohort_fields: dict[str, Any] = {
    "week_start": (date, ...),
    "as_of": (date, ...),
    **{key: (int | float | None, None) for key in COHORT_FIELDS},
}
DayOut = create_model("MetricsDayOut", __base__=Schema, **_day_fields)
CohortOut = create_model("RetentionCohortOut", __base__=Schema, **_cohort_fields)


class MetricsOut(Schema):
    community: str
    time_zone: str
    start: date | None
    end: date | None
    days: list[DayOut]  # type: ignore[valid-type]
    retention_cohorts: list[CohortOut]  # type: ignore[valid-type]


class RangeFilters(Schema):
    start: date | None = Field(None, alias="from", description="First day (the community's local date).")
    end: date | None = Field(None, alias="to", description="Last day; defaults to the newest snapshot.")


@router.get("/communities/{slug}/metrics", response=responses(MetricsOut), summary="Daily health snapshots")
def metrics(request: HttpRequest, slug: SlugPath, filters: Query[RangeFilters]) -> dict:
    """The daily snapshots between ``from`` and ``to`` (at most 366 days; by default the 30 days
    up to the newest snapshot) and the retention cohorts — exactly what ``metrics_export
    --format json`` prints. For the owner, and moderators if the owner lets them see the dashboard."""
    _, acc = community(request, TokenScope.METRICS, access.community_for_dashboard, slug)
    with replica_reads():  # the snapshot reads (not the access check) may go to a read replica
        end = filters.end or default_range_end(acc.community)
        start = filters.start
        if end is not None and start is None:
            start = max(date.min + timedelta(days=DEFAULT_DAYS), end) - timedelta(days=DEFAULT_DAYS - 1)
        if start is not None and end is not None:
            if start > end:
                raise ValidationError("The start date is after the end date.")
            if (end - start).days + 1 > MAX_DAYS:
                raise ValidationError(f"Ask for at most {MAX_DAYS} days at a time.")
        data = export_rows(community=acc.community, start=start, end=end)
    return {**data, "start": start, "end": end}
