"""Writes of the metrics app: the visit upsert and the daily computation.

A day is always recomputed whole and overwritten in one transaction, never incremented, so
running a day twice, a backfill and nightly runs all give the same snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from communities.models import Community
from members.models import User
from metrics import compute
from metrics import events as metrics_events
from metrics import sql as metrics_sql
from metrics.models import (
    ActiveDay,
    ContributorDay,
    DailySnapshot,
    Entrant,
    MemberPeriod,
    RetentionCohort,
    RitualSnapshot,
)

log = logging.getLogger(__name__)

# Days refreshed before the day that just ended (late-arriving events, e.g. email replies).
REFRESH_DAYS = 3


def visit_record(*, user_id: int, community_id: int, day: date, at: datetime | None = None) -> bool:
    """Record that ``user_id`` viewed the community on local ``day`` if they are an active member
    then; a no-op if already recorded. Returns whether a row was written.

    One statement: the membership check is part of the insert, and a duplicate is ignored
    (``ON CONFLICT DO NOTHING`` on PostgreSQL, ``INSERT OR IGNORE`` on SQLite), so concurrent
    requests never raise.
    """
    verb, tail = (
        ("INSERT OR IGNORE INTO", "")
        if connection.vendor == "sqlite"
        else ("INSERT INTO", " ON CONFLICT DO NOTHING")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""{verb} metrics_visit (user_id, community_id, day, at)
                SELECT m.user_id, m.community_id, %s, %s FROM members_membership m
                 WHERE m.user_id = %s AND m.community_id = %s AND m.status = 'active'{tail}""",  # noqa: S608 - constant SQL
            [
                connection.ops.adapt_datefield_value(day),
                connection.ops.adapt_datetimefield_value(at or timezone.now()),
                user_id,
                community_id,
            ],
        )
        return cursor.rowcount == 1


def community_local_date(community: Community, at: datetime | None = None) -> date:
    return (at or timezone.now()).astimezone(community.tz).date()


def community_first_day(community: Community) -> date:
    return community_local_date(community, community.created_at)


def last_complete_day(community: Community, now: datetime | None = None) -> date:
    """The latest local date whose midnight has passed."""
    return community_local_date(community, now) - timedelta(days=1)


def _wipe(community_id: int) -> None:
    for model in (
        DailySnapshot,
        ActiveDay,
        Entrant,
        MemberPeriod,
        ContributorDay,
        RetentionCohort,
        RitualSnapshot,
    ):
        model.objects.filter(community_id=community_id).delete()


# Days computed together in one transaction: the day tables and the post and thread families are
# computed for the whole chunk at once (see ``compute.Span``); the progress callback still reports
# every day.
CHUNK_DAYS = 61


def _chunks(days: list[date]) -> list[list[date]]:
    """Runs of consecutive days, at most CHUNK_DAYS long."""
    out: list[list[date]] = []
    for day in days:
        if out and day - out[-1][-1] == timedelta(days=1) and len(out[-1]) < CHUNK_DAYS:
            out[-1].append(day)
        else:
            out.append([day])
    return out


def _compute_span(
    community: Community,
    days: list[date],
    bots: tuple[int, ...],
    report: Callable[[date], None] | None = None,
) -> None:
    """Compute and store the consecutive days ``days`` of one community in one transaction (the
    caller ensures earlier days). Each day is overwritten whole, so this is idempotent."""
    with transaction.atomic():
        # Serialize concurrent computations of the same community (a no-op lock on SQLite, whose
        # writers are serialized anyway).
        Community.objects.select_for_update().filter(pk=community.pk).values_list("pk").first()
        if connection.vendor == "postgresql":
            # These are short analytical queries: JIT compilation costs more than it saves.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        span = metrics_sql.Span(community.pk, days[0], days[-1], community.tz, bots)
        metrics_sql.materialize_span(span)
        special = compute.special_threads(community.pk)
        posts = compute.content_span(span, special)
        judged = compute.judged_threads_span(span, special)
        engaged = compute.engagement_span(span)
        grown = compute.growth_span(span)
        retained = compute.retention_span(span)
        evented = metrics_events.events_span(span)
        polled = compute.polls_span(span)
        for day in days:
            w = span.window(day)
            previous = list(
                DailySnapshot.objects.filter(
                    community_id=community.pk, day__gte=day - timedelta(days=29), day__lt=day
                ).values_list("stickiness", flat=True)
            )
            values: dict = {}
            values.update(compute.engagement_values(*engaged[day], previous))
            values.update(compute.content_values(*posts[day], values["mau"]))
            values.update(compute.thread_values(judged[day]))
            values.update(compute.growth_values(*grown[day], values["regular_members"]))
            values.update(retained[day])
            values.update(evented[day])
            values.update(compute.poll_values(polled[day], values["mau"]))
            DailySnapshot.objects.update_or_create(
                community_id=community.pk,
                day=day,
                defaults={**values, "time_zone": community.time_zone, "computed_at": timezone.now()},
            )
            rituals = compute.ritual_threads(w)
            RitualSnapshot.objects.filter(thread_id__in=[r[0] for r in rituals]).delete()
            RitualSnapshot.objects.bulk_create(
                RitualSnapshot(
                    community_id=community.pk,
                    thread_id=tid,
                    title=title[:200],
                    day=metrics_sql.local_date(created, community.tz),
                    replies=replies,
                    participants=people,
                )
                for tid, title, created, replies, people in rituals
            )
    if report:
        for day in days:
            report(day)


@transaction.atomic
def cohorts_refresh(*, community_id: int) -> None:
    """Rewrite the weekly cohort table as of the latest computed day.

    Concurrent range runs of one community would both delete and re-insert (the second insert
    hitting ``retentioncohort_unique``): the community row is locked first, so they take turns."""
    list(Community.objects.select_for_update().filter(pk=community_id).values_list("pk", flat=True))
    latest = (
        DailySnapshot.objects.filter(community_id=community_id).order_by("-day").values_list("day", flat=True)
    ).first()
    RetentionCohort.objects.filter(community_id=community_id).delete()
    if latest is None:
        return
    RetentionCohort.objects.bulk_create(
        RetentionCohort(community_id=community_id, as_of=latest, **row)
        for row in compute.cohorts(community_id, latest)
    )


def metrics_compute_range(
    *,
    community_id: int,
    start: date | None = None,
    end: date | None = None,
    progress: Callable[[int, int, date], None] | None = None,
) -> int:
    """Recompute days ``start`` … ``end`` (clamped to creation … the last complete day).

    Earlier days that were never computed are computed first (rolling windows and retention
    read them), and a changed time zone recomputes all history (docs/metrics.md §1).
    Returns the number of days computed.
    """
    community = Community.objects.get(pk=community_id)
    first = community_first_day(community)
    last = last_complete_day(community)
    start = max(start or first, first)
    end = min(end or last, last)
    if end < start:
        return 0
    if (
        DailySnapshot.objects.filter(community_id=community_id)
        .exclude(time_zone=community.time_zone)
        .exists()
    ):
        _wipe(community_id)
    done = set(
        DailySnapshot.objects.filter(community_id=community_id, day__gte=first, day__lt=start).values_list(
            "day", flat=True
        )
    )
    missing = [d for d in metrics_sql.day_range(first, start - timedelta(days=1)) if d not in done]
    days = missing + list(metrics_sql.day_range(start, end))
    bots = tuple(User.objects.filter(is_bot=True).values_list("pk", flat=True))
    with transaction.atomic():
        Community.objects.select_for_update().filter(pk=community.pk).values_list("pk").first()
        metrics_sql.rebuild_periods(community.pk)
    done_count = [0]

    def report(day: date) -> None:
        done_count[0] += 1
        if progress:
            progress(done_count[0], len(days), day)

    for chunk in _chunks(days):
        _compute_span(community, chunk, bots, report)
    cohorts_refresh(community_id=community_id)
    return len(days)


def metrics_compute_day(*, community_id: int, day: date) -> DailySnapshot:
    """Compute one day (and any never-computed earlier day it depends on)."""
    metrics_compute_range(community_id=community_id, start=day, end=day)
    return DailySnapshot.objects.get(community_id=community_id, day=day)


def due_days(community: Community, now: datetime | None = None) -> tuple[date, date] | None:
    """The range the nightly job should compute for a community, or None if it is up to date:
    the day that ended at the latest local midnight plus the REFRESH_DAYS before it."""
    last = last_complete_day(community, now)
    latest = (
        DailySnapshot.objects.filter(community_id=community.pk, time_zone=community.time_zone)
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    if latest is not None and latest >= last:
        return None
    return last - timedelta(days=REFRESH_DAYS), last
