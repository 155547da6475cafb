"""Writes for rituals and onboarding. Each runs in one transaction.

Posting contract (see ``ritual_post_due``): every scheduled occurrence of a ritual is posted at
most once, and one that is due is not lost:

* the claim is a conditional UPDATE of ``next_run_at`` (only the worker whose UPDATE matched
  the value it read goes on), backed by the unique (ritual, occurrence) constraint;
* the claim, the occurrence row and the thread are written in ONE transaction, so a worker that
  dies between claim and post rolls the claim back with everything else, and the next run (a
  minute later) posts the occurrence;
* after downtime only the latest missed occurrence is posted; the ones before it are recorded
  with status "skipped".
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from communities.discussions.models import Thread, ThreadKind
from communities.discussions.services import thread_create
from communities.models import Community
from communities.rituals import schedule as schedule_math
from communities.rituals.models import (
    OccurrenceStatus,
    Ritual,
    RitualAuthor,
    RitualKind,
    RitualOccurrence,
    SpotlightMode,
)
from members.models import Membership, MembershipStatus, User

log = logging.getLogger(__name__)

SYSTEM_HANDLE = "hearth_rituals"
PLACEHOLDERS = ("date", "week", "community", "member")
_PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")
MAX_DUE_PER_RUN = 200


# --- The system account --------------------------------------------------------------------------


def ritual_system_user() -> User:
    """The single system account that posts rituals and introductions (``is_bot``; it cannot
    log in). Created on first use; safe under concurrency (``get_or_create`` retries on the
    unique handle)."""
    user, _ = User.objects.get_or_create(
        handle=SYSTEM_HANDLE,
        defaults={
            "display_name": "Hearth rituals",
            "is_bot": True,
            "password": make_password(None),  # unusable
        },
    )
    return user


# --- Templates ------------------------------------------------------------------------------------


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER_RE.findall(text) if name not in PLACEHOLDERS})


def render_template(text: str, values: dict[str, str]) -> str:
    """Replace known ``{placeholder}``s; anything else in braces is left as written."""
    return _PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def template_values(
    *, community: Community, occurrence: datetime, member: User | None, for_title: bool
) -> dict[str, str]:
    local = occurrence.astimezone(community.tz)
    if member is None:
        member_text = "a member"
    elif for_title:
        member_text = member.name
    else:
        member_text = f"@{member.handle}"  # a mention link in the body
    return {
        "date": f"{local.day} {local:%B %Y}",
        "week": str(local.isocalendar().week),
        "community": community.name,
        "member": member_text,
    }


def spotlight_member(ritual: Ritual) -> User | None:
    """The member to feature: the chosen one (if still an active member), else the active member
    featured least recently by this ritual (never-featured first, then by join date)."""
    active = Membership.objects.filter(
        community_id=ritual.community_id, status=MembershipStatus.ACTIVE, user__is_bot=False
    )
    if ritual.spotlight_mode == SpotlightMode.CHOSEN and ritual.spotlight_user_id:
        chosen = active.filter(user_id=ritual.spotlight_user_id).select_related("user").first()
        if chosen is not None:
            return chosen.user
    last_featured = (
        RitualOccurrence.objects.filter(ritual=ritual, spotlight_user_id=OuterRef("user_id"))
        .order_by("-occurrence")
        .values("occurrence")[:1]
    )
    pick = (
        active.annotate(last_featured=Subquery(last_featured))
        .select_related("user")
        .order_by(F("last_featured").asc(nulls_first=True), "first_joined_at", "id")
        .first()
    )
    return pick.user if pick else None


# --- Ritual management ---------------------------------------------------------------------------


def _next_run(ritual: Ritual, *, now: datetime, tz_name: str) -> datetime | None:
    return schedule_math.next_after(ritual.schedule(tz_name), now)


RITUAL_FIELDS = (
    "kind",
    "space",
    "title_template",
    "body_template",
    "frequency",
    "weekday",
    "interval_weeks",
    "nth_week",
    "day_of_month",
    "local_time",
    "starts_on",
    "lock_after_days",
    "pin_current",
    "author_mode",
    "spotlight_mode",
    "spotlight_user",
)


def _check_ritual(ritual: Ritual, community: Community) -> None:
    if ritual.space.community_id != community.pk:
        raise ValidationError("Choose a space of this community.")
    bad = unknown_placeholders(ritual.title_template + " " + ritual.body_template)
    if bad:
        raise ValidationError(
            "Unknown placeholder(s): "
            + ", ".join("{" + b + "}" for b in bad)
            + ". Use {date}, {week}, {community} or {member}."
        )


@transaction.atomic
def ritual_create(
    *, community: Community, created_by: User, now: datetime | None = None, **fields: object
) -> Ritual:
    """Create a ritual; its first run is the first occurrence after now (from ``starts_on``)."""
    now = now or timezone.now()
    ritual = Ritual(
        community=community, created_by=created_by, host=created_by, created_at=now, updated_at=now
    )
    for name, value in fields.items():
        if name not in RITUAL_FIELDS:
            raise TypeError(f"unexpected field {name}")
        setattr(ritual, name, value)
    _check_ritual(ritual, community)
    ritual.next_run_at = _next_run(ritual, now=now, tz_name=community.time_zone)
    ritual.save()
    return ritual


@transaction.atomic
def ritual_update(*, ritual: Ritual, now: datetime | None = None, **fields: object) -> Ritual:
    """Change a ritual. The next run is recomputed from now, so a schedule change never posts a
    burst of past occurrences."""
    now = now or timezone.now()
    ritual = Ritual.objects.select_for_update().select_related("community").get(pk=ritual.pk)
    for name, value in fields.items():
        if name not in RITUAL_FIELDS:
            raise TypeError(f"unexpected field {name}")
        setattr(ritual, name, value)
    _check_ritual(ritual, ritual.community)
    ritual.next_run_at = _next_run(ritual, now=now, tz_name=ritual.community.time_zone)
    ritual.updated_at = now
    ritual.save()
    return ritual


@transaction.atomic
def ritual_set_paused(*, ritual: Ritual, paused: bool, now: datetime | None = None) -> Ritual:
    """Pause or resume. Resuming schedules the next occurrence after now: what fell due while
    paused is not posted (nor recorded as skipped: nobody expected it)."""
    now = now or timezone.now()
    ritual = Ritual.objects.select_for_update().select_related("community").get(pk=ritual.pk)
    ritual.paused = paused
    if not paused:
        ritual.next_run_at = _next_run(ritual, now=now, tz_name=ritual.community.time_zone)
    ritual.updated_at = now
    ritual.save(update_fields=["paused", "next_run_at", "updated_at"])
    return ritual


@transaction.atomic
def ritual_delete(*, ritual: Ritual) -> None:
    """Delete a ritual and its occurrence records; the threads it posted stay (and are unpinned)."""
    Thread.objects.filter(ritual_occurrence__ritual=ritual, pinned=True).update(pinned=False)
    ritual.delete()


# --- Posting --------------------------------------------------------------------------------------


def _author_for(ritual: Ritual) -> Membership | User:
    if ritual.author_mode == RitualAuthor.HOST and ritual.host_id:
        host = Membership.objects.filter(
            community_id=ritual.community_id, user_id=ritual.host_id, status=MembershipStatus.ACTIVE
        ).first()
        if host is not None:
            return host
    # The host left (or none was set): the system account posts instead of nobody.
    return ritual_system_user()


def ritual_run_once(*, ritual_id: int, now: datetime | None = None) -> RitualOccurrence | None:
    """Post the ritual's due occurrence if it is due and nobody else claimed it.

    Returns the posted occurrence, or None (not due, paused, or another worker won).
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return _run_once(ritual_id, now)
    except IntegrityError:
        # The unique (ritual, occurrence) constraint caught a second post: the other one stands.
        log.info("ritual %s: occurrence already posted by another worker", ritual_id)
        return None


def _run_once(ritual_id: int, now: datetime) -> RitualOccurrence | None:
    ritual = Ritual.objects.select_related("community", "space").filter(pk=ritual_id).first()
    if ritual is None or ritual.paused or ritual.next_run_at is None or ritual.next_run_at > now:
        return None
    schedule = ritual.schedule(ritual.community.time_zone)
    due = schedule_math.due_between(schedule, ritual.next_run_at, now)
    latest, skipped = due[-1], due[:-1]
    # The claim (an optimistic lock): only the worker whose UPDATE still sees the value it read goes on.
    # It commits together with the occurrence and the thread below, or not at all.
    claimed = Ritual.objects.filter(pk=ritual.pk, next_run_at=ritual.next_run_at, paused=False).update(
        next_run_at=schedule_math.next_after(schedule, max(now, latest))
    )
    if claimed != 1:
        return None
    if skipped:
        RitualOccurrence.objects.bulk_create(
            [
                RitualOccurrence(
                    ritual=ritual, occurrence=at, status=OccurrenceStatus.SKIPPED, created_at=now
                )
                for at in skipped
            ],
            ignore_conflicts=True,
        )
    # Inserting the occurrence before the thread: a duplicate fails here, before any thread.
    occurrence = RitualOccurrence.objects.create(
        ritual=ritual, occurrence=latest, status=OccurrenceStatus.POSTED, created_at=now
    )
    member = spotlight_member(ritual) if ritual.kind == RitualKind.SPOTLIGHT else None
    community = ritual.community
    title = render_template(
        ritual.title_template,
        template_values(community=community, occurrence=latest, member=member, for_title=True),
    )[:200]
    body = render_template(
        ritual.body_template,
        template_values(community=community, occurrence=latest, member=member, for_title=False),
    )
    if ritual.pin_current:
        Thread.objects.filter(ritual_occurrence__ritual=ritual, pinned=True).update(pinned=False)
    thread = thread_create(
        author=_author_for(ritual),
        space=ritual.space,
        title=title,
        body_md=body,
        kind=ThreadKind.RITUAL,
        at=now,
        pinned=ritual.pin_current,
    )
    occurrence.thread = thread
    occurrence.spotlight_user = member
    occurrence.save(update_fields=["thread", "spotlight_user"])
    log.info("ritual %s: posted occurrence %s as thread %s", ritual.pk, latest.isoformat(), thread.pk)
    return occurrence


def ritual_post_due(*, now: datetime | None = None) -> int:
    """The every-minute job: post every due ritual once. Returns how many were posted."""
    now = now or timezone.now()
    due_ids = list(
        Ritual.objects.filter(paused=False, next_run_at__lte=now)
        .order_by("next_run_at")
        .values_list("pk", flat=True)[:MAX_DUE_PER_RUN]
    )
    posted = 0
    for ritual_id in due_ids:
        try:
            if ritual_run_once(ritual_id=ritual_id, now=now) is not None:
                posted += 1
        except Exception:
            # One broken ritual (bad template, vanished space, a bug) must not stop the others;
            # its transaction rolled back, so it stays due and is retried on the next run.
            log.exception("ritual %s could not be posted", ritual_id)
    rituals_autolock(now=now)
    return posted


def rituals_autolock(*, now: datetime | None = None) -> int:
    """Lock ritual threads older than their ritual's ``lock_after_days`` (once: a moderator
    who unlocks one later is not overruled)."""
    now = now or timezone.now()
    locked = 0
    for ritual_id, days in Ritual.objects.filter(lock_after_days__isnull=False).values_list(
        "pk", "lock_after_days"
    ):
        old = RitualOccurrence.objects.filter(
            ritual_id=ritual_id,
            thread__isnull=False,
            auto_locked_at__isnull=True,
            occurrence__lte=now - timedelta(days=days),
        )
        with transaction.atomic():
            thread_ids = list(old.values_list("thread_id", flat=True)[:500])
            if not thread_ids:
                continue
            Thread.objects.filter(pk__in=thread_ids).update(locked=True)
            locked += RitualOccurrence.objects.filter(
                ritual_id=ritual_id, thread_id__in=thread_ids, auto_locked_at__isnull=True
            ).update(auto_locked_at=now)
    return locked
