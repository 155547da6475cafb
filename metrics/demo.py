"""Demo data for the metrics app: plausible page visits over the demo history, then a backfill.

``seed(stdout)`` is idempotent: visits are an upsert (one per member per community per local day,
drawn from a fixed random seed) and the backfill overwrites each day.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import TextIO

from communities.models import Community
from members.models import MembershipEvent
from metrics.models import Visit
from metrics.services import community_local_date, last_complete_day, metrics_compute_range

HISTORY_DAYS = 120


def _periods(community: Community) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """Membership periods per person from the event history (bots skipped)."""
    periods: dict[int, list[tuple[datetime, datetime | None]]] = {}
    open_since: dict[int, datetime] = {}
    events = (
        MembershipEvent.objects.filter(
            community=community, user__is_bot=False, kind__in=["joined", "left", "banned"]
        )
        .order_by("at", "id")
        .values_list("user_id", "kind", "at")
    )
    for user_id, kind, at in events:
        if kind == "joined":
            open_since.setdefault(user_id, at)
        elif user_id in open_since:
            periods.setdefault(user_id, []).append((open_since.pop(user_id), at))
    for user_id, since in open_since.items():
        periods.setdefault(user_id, []).append((since, None))
    return periods


def seed_visits(community: Community) -> int:
    tz = community.tz
    last = last_complete_day(community)
    first = max(community_local_date(community, community.created_at), last - timedelta(days=HISTORY_DAYS))
    rows = []
    for user_id, spans in _periods(community).items():
        rng = random.Random(f"{community.slug}:{user_id}")  # noqa: S311 - demo data, not security
        habit = rng.choice((0.08, 0.2, 0.35, 0.6, 0.85))  # lurkers to daily regulars
        fade = rng.random() < 0.3  # some people drift away after a few weeks
        for since, until in spans:
            day = max(first, community_local_date(community, since))
            end = min(last, community_local_date(community, until) if until else last)
            n = 0
            while day <= end:
                chance = habit * (0.35 if fade and n > 30 else 1.0) * (0.7 if day.weekday() >= 5 else 1.0)
                if rng.random() < chance:
                    at = datetime.combine(day, time(8 + rng.randrange(14), rng.randrange(60)), tzinfo=tz)
                    at = max(at.astimezone(UTC), since)
                    if until is None or at < until:
                        rows.append(Visit(user_id=user_id, community=community, day=day, at=at))
                day += timedelta(days=1)
                n += 1
    Visit.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def seed(stdout: TextIO) -> None:
    for community in Community.objects.order_by("slug"):
        visits = seed_visits(community)
        last = last_complete_day(community)
        days = metrics_compute_range(
            community_id=community.pk, start=last - timedelta(days=HISTORY_DAYS), end=last
        )
        stdout.write(f"metrics: {community.slug}: {visits} visits, {days} days computed\n")
