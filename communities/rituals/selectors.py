"""Reads for the ritual and onboarding pages, each shaped for its page with a fixed number of
queries."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from communities.discussions.models import Post, PostStatus
from communities.models import Community
from communities.rituals import schedule as schedule_math
from communities.rituals.models import OccurrenceStatus, Ritual, RitualOccurrence
from members.access import visible_spaces_q
from members.models import Membership


def rituals_for_community(*, community: Community, viewer: Membership | None) -> QuerySet[Ritual]:
    """The community's rituals in spaces the viewer can see, with counts for the list page."""
    return (
        Ritual.objects.filter(community=community)
        .filter(visible_spaces_q(viewer, prefix="space__"))
        .select_related("space", "community", "host")
        .annotate(posted_count=Count("occurrences", filter=Q(occurrences__status=OccurrenceStatus.POSTED)))
        .order_by("paused", "next_run_at", "id")
    )


def _reply_q(prefix: str) -> Q:
    """A live reply by a person (not the opening post, not a bot, not held or removed)."""
    return Q(
        **{
            f"{prefix}is_opening": False,
            f"{prefix}status": PostStatus.PUBLISHED,
            f"{prefix}removed_at__isnull": True,
            f"{prefix}author__is_bot": False,
            f"{prefix}author__isnull": False,
        }
    )


def ritual_occurrences_with_participation(ritual: Ritual) -> QuerySet[RitualOccurrence]:
    """Occurrences newest first, each annotated with ``replies``, ``participants`` (distinct
    reply authors) and ``first_timers`` (participants with no reply in any earlier occurrence of
    this ritual). One query for any slice of it."""
    earlier = Post.objects.filter(
        _reply_q(""),
        thread__ritual_occurrence__ritual_id=ritual.pk,
        thread__ritual_occurrence__occurrence__lt=OuterRef("occurrence"),
        author_id=OuterRef("thread__posts__author_id"),
    )
    reply = _reply_q("thread__posts__")
    return (
        RitualOccurrence.objects.filter(ritual=ritual)
        .select_related("thread", "thread__community", "spotlight_user")
        .annotate(
            replies=Count("thread__posts", filter=reply, distinct=True),
            participants=Count("thread__posts__author", filter=reply, distinct=True),
            first_timers=Count("thread__posts__author", filter=reply & ~Q(Exists(earlier)), distinct=True),
        )
        .order_by("-occurrence")
    )


@dataclass
class Bar:
    label: str
    x: float
    participants: int
    first_timers: int
    y_participants: float
    h_participants: float
    y_first: float
    h_first: float
    skipped: bool


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    max_value: int
    bar_width: float
    baseline: float
    gridlines: list[tuple[float, int]]


def participation_chart(occurrences: list[RitualOccurrence], tz_name: str) -> Chart | None:
    """Bar geometry for the SVG chart (oldest left): participants, with first-timers inside."""
    if not occurrences:
        return None

    tz = zoneinfo.ZoneInfo(tz_name)
    ordered = list(reversed(occurrences))
    width, height, top, bottom, left = 640, 220, 12, 28, 32
    plot_h = height - top - bottom
    max_value = max([o.participants for o in ordered] + [1])
    slot = (width - left) / len(ordered)
    bar_w = max(min(slot * 0.6, 48), 4)
    bars = []
    for i, o in enumerate(ordered):
        h_p = plot_h * o.participants / max_value
        h_f = plot_h * o.first_timers / max_value
        bars.append(
            Bar(
                label=o.occurrence.astimezone(tz).strftime("%d %b"),
                x=round(left + i * slot + (slot - bar_w) / 2, 1),
                participants=o.participants,
                first_timers=o.first_timers,
                y_participants=round(top + plot_h - h_p, 1),
                h_participants=round(h_p, 1),
                y_first=round(top + plot_h - h_f, 1),
                h_first=round(h_f, 1),
                skipped=o.status == OccurrenceStatus.SKIPPED,
            )
        )
    step = max(1, -(-max_value // 4))
    gridlines = [(round(top + plot_h - plot_h * v / max_value, 1), v) for v in range(0, max_value + 1, step)]
    return Chart(width, height, bars, max_value, round(bar_w, 1), top + plot_h, gridlines)


def next_dates(ritual: Ritual, *, now: datetime | None = None, count: int = 5) -> list[datetime]:
    """The next ``count`` occurrence times (UTC) after now, for the preview."""
    now = now or timezone.now()
    return schedule_math.occurrences_after(ritual.schedule(ritual.community.time_zone), now, count)
