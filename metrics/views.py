"""The owner's health dashboard, its definitions page and the exports. Served from snapshots only."""

from __future__ import annotations

import csv
from datetime import date, timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.replica import reads_from_replica
from members import access
from metrics import charts, selectors
from metrics.definitions import COHORT_HINT, HINTS, LABELS
from metrics.models import METRIC_KEYS

RANGES = (30, 90, 365)
HEADLINES = (
    "members",
    "dau",
    "wau",
    "mau",
    "stickiness",
    "posts_per_active_member_30d",
    "retention_30",
    "retention_60",
    "retention_90",
    "referral_rate_30d",
    "k_factor_30d",
    "replies_per_thread",
    "ttfr_median_hours",
    "no_reply_share",
)
# Keys where a smaller number is the better one (the change arrow is read the other way).
LOWER_IS_BETTER = frozenset({"ttfr_median_hours", "no_reply_share"})
CHARTS = (
    ("Active members", ("dau", "wau", "mau")),
    ("Stickiness (DAU/MAU)", ("stickiness", "stickiness_avg_30d")),
    ("Members", ("members", "regular_members")),
    ("Posts, last 30 days", ("posts_30d", "member_posts_30d")),
    ("Replies per thread", ("replies_per_thread",)),
    ("Median time to first reply (hours)", ("ttfr_median_hours",)),
    ("Threads with no reply", ("no_reply_share",)),
    ("New and referred members, last 30 days", ("new_members_30d", "referred_joins_30d")),
    ("Retention", ("retention_30", "retention_60", "retention_90")),
    ("Events and RSVPs, last 30 days", ("events_held_30d", "event_rsvps_30d")),
    ("Event attendance rate", ("event_attendance_rate_30d",)),
    ("Poll participation", ("poll_participation_30d",)),
)


def _range_days(request: HttpRequest) -> int:
    try:
        value = int(request.GET.get("range", "90"))
    except ValueError:
        return 90
    return value if value in RANGES else 90


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _cohort_cell(cohort: object, n: int) -> str:
    value = getattr(cohort, f"retention_{n}")
    if value is None:
        return "—"
    if cohort.size < charts.MIN_COHORT_SIZE:
        return f"too small ({getattr(cohort, f'retained_{n}')} of {cohort.size})"
    return f"{charts.fmt(f'retention_{n}', value)} ({getattr(cohort, f'retained_{n}')} of {cohort.size})"


@require_GET
@reads_from_replica  # the snapshot reads (not the access check) may go to a read replica
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_dashboard(request.user, slug)
    community = acc.community
    days = _range_days(request)
    # One query: the latest 2 × range days (this period and the previous one), newest first.
    rows = selectors.latest_snapshots(community=community, limit=2 * days)
    end = rows[0].day if rows else None
    context: dict = {
        "community": community,
        "access": acc,
        "range_days": days,
        "ranges": RANGES,
        "hints": HINTS,
        "labels": LABELS,
        "cohort_hint": COHORT_HINT,
    }
    if end is None:
        return render(request, "metrics/dashboard.html", {**context, "empty": True})
    start = end - timedelta(days=days - 1)
    prev_start, prev_end = selectors.previous_period(start, end)
    rows = [s for s in reversed(rows) if s.day >= prev_start]
    by_day = {s.day: s for s in rows}
    current = [s for s in rows if s.day >= start]
    latest = by_day[end]
    previous = by_day.get(prev_end)
    cards = []
    for key in HEADLINES:
        value = getattr(latest, key)
        before = getattr(previous, key) if previous else None
        change = None if value is None or before is None else value - before
        direction = "flat" if not change else ("up" if change > 0 else "down")
        good = None if not change else ((change > 0) != (key in LOWER_IS_BETTER))
        cards.append(
            {
                "key": key,
                "label": LABELS[key],
                "value": charts.fmt(key, value),
                "change": "" if change is None else ("+" if change > 0 else "") + charts.fmt(key, change),
                "direction": direction,
                "good": good,
                "previous": charts.fmt(key, before),
                "spark": charts.sparkline([getattr(s, key) for s in current]),
                "hint": HINTS[key],
            }
        )
    day_list = [s.day for s in current]
    chart_blocks = []
    for title, keys in CHARTS:
        series = [(k, LABELS[k], [getattr(s, k) for s in current]) for k in keys]
        chart_blocks.append(
            {
                "title": title,
                "keys": keys,
                "svg": charts.line_chart(title=title, days=day_list, series=series),
                "legend": [(i, LABELS[k]) for i, k in enumerate(keys, 1)],
                "hints": [(LABELS[k], HINTS[k], k) for k in keys],
                "headers": [LABELS[k] for k in keys],
                "rows": [(s.day, [charts.fmt(k, getattr(s, k)) for k in keys]) for s in reversed(current)],
            }
        )
    cohorts = selectors.cohorts(community=community)
    context.update(
        {
            "empty": False,
            "start": start,
            "end": end,
            "latest": latest,
            "days_count": len(current),
            "cards": cards,
            "charts": chart_blocks,
            "cohorts": cohorts,
            "cohort_rows": [(c, [_cohort_cell(c, n) for n in (30, 60, 90)]) for c in reversed(cohorts)],
            "heatmap": charts.cohort_heatmap(cohorts[-26:]),
            "contributors": selectors.top_contributors(community=community, start=start, end=end),
            "inviters": selectors.top_inviters(community=community, start=start, end=end),
            "rituals": selectors.rituals(community=community, start=start, end=end),
            "not_enough": latest.mau == 0 and latest.members <= 1,
        }
    )
    return render(request, "metrics/dashboard.html", context)


@require_GET
def definitions(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_dashboard(request.user, slug)
    items = [(k, LABELS[k], HINTS[k]) for k in METRIC_KEYS]
    return render(
        request,
        "metrics/definitions.html",
        {"community": acc.community, "access": acc, "items": items, "cohort_hint": COHORT_HINT},
    )


@require_GET
@reads_from_replica
def export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    acc = access.community_for_dashboard(request.user, slug)
    start, end = _parse_date(request.GET.get("from")), _parse_date(request.GET.get("to"))
    if (request.GET.get("from") and start is None) or (request.GET.get("to") and end is None):
        return HttpResponse("Dates must look like 2025-01-31.", status=400, content_type="text/plain")
    data = selectors.export_rows(community=acc.community, start=start, end=end)
    filename = f"{acc.community.slug}-metrics.{fmt}"
    if fmt == "json":
        response: HttpResponse = JsonResponse(data, json_dumps_params={"indent": 2})
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        csv.writer(response, lineterminator="\n").writerows(selectors.export_csv_lines(data))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
