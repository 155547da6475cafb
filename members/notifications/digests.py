"""Digest emails: daily or weekly per member, at the member's local hour.

``digests_due`` finds the members whose local digest time has come and whose period has no
DigestRun yet (set-based: a couple of queries per distinct time zone, not per member).
``digest_send`` claims the (user, period_key) row before doing anything else — the unique
constraint makes a repeated, concurrent or retried run send at most one digest per period.
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from communities.discussions.models import Post, PostStatus, SubscriptionLevel, Thread, ThreadSubscription
from config.jobs import enqueue
from members import access
from members.models import Membership, MembershipStatus, User
from members.notifications.emails import (
    CONTENT_KINDS,
    DIGEST_KIND,
    PermanentEmailFailure,
    absolute_url,
    build_message,
    deliver,
    email_blocker,
    excerpt_of,
    notification_link,
    post_link,
    thread_muted,
)
from members.notifications.models import (
    DeliveryStatus,
    DigestRun,
    DigestStatus,
    Notification,
    NotificationEmail,
)
from members.profiles.models import DigestFrequency, Profile
from members.profiles.selectors import muted_user_ids, profile_of

log = logging.getLogger(__name__)

PERIOD = {DigestFrequency.DAILY: timedelta(days=1), DigestFrequency.WEEKLY: timedelta(days=7)}
MAX_THREADS = 15
MAX_REPLIES = 5
MAX_NOTIFICATIONS = 30


def period_key(frequency: str, local: datetime) -> str:
    """``D2026-11-21`` for a daily digest, ``W2026-47`` (ISO week) for a weekly one."""
    if frequency == DigestFrequency.DAILY:
        return f"D{local.date().isoformat()}"
    year, week, _ = local.isocalendar()
    return f"W{year}-{week:02d}"


def digests_due(now: datetime) -> list[tuple[int, str]]:
    """(user id, period key) of every member whose digest is due at ``now`` and not yet made.

    Daily: the local hour has reached ``digest_hour`` today. Weekly: the local day is past the
    chosen weekday, or it is that weekday and the hour has come (so a missed beat catches up).
    """
    base = Profile.objects.filter(
        digest_frequency__in=[DigestFrequency.DAILY, DigestFrequency.WEEKLY],
        user__is_active=True,
        user__is_bot=False,
        user__email_undeliverable=False,
    ).exclude(user__email="")
    due: list[tuple[int, str]] = []
    for tz_name in base.values_list("user__time_zone", flat=True).distinct().order_by():
        try:
            zone = zoneinfo.ZoneInfo(tz_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo("UTC")
        local = now.astimezone(zone)
        in_zone = base.filter(user__time_zone=tz_name)
        daily_key = period_key(DigestFrequency.DAILY, local)
        daily = in_zone.filter(digest_frequency=DigestFrequency.DAILY, digest_hour__lte=local.hour).exclude(
            Exists(DigestRun.objects.filter(user_id=OuterRef("user_id"), period_key=daily_key))
        )
        due += [(uid, daily_key) for uid in daily.values_list("user_id", flat=True)]
        weekly_key = period_key(DigestFrequency.WEEKLY, local)
        weekday = local.weekday()
        weekly = in_zone.filter(
            Q(digest_weekday__lt=weekday) | Q(digest_weekday=weekday, digest_hour__lte=local.hour),
            digest_frequency=DigestFrequency.WEEKLY,
        ).exclude(Exists(DigestRun.objects.filter(user_id=OuterRef("user_id"), period_key=weekly_key)))
        due += [(uid, weekly_key) for uid in weekly.values_list("user_id", flat=True)]
    return due


@dataclass
class DigestCommunity:
    community: object
    threads: list[Thread] = field(default_factory=list)
    replies: list[Post] = field(default_factory=list)


@dataclass
class DigestContent:
    communities: list[DigestCommunity]
    notifications: list[tuple[Notification, str]]  # with the absolute link
    more_threads: int = 0
    notification_rows: list[int] = field(default_factory=list)
    skipped_rows: list[int] = field(default_factory=list)

    @property
    def thread_count(self) -> int:
        return sum(len(c.threads) for c in self.communities)

    @property
    def reply_count(self) -> int:
        return sum(len(c.replies) for c in self.communities)

    @property
    def is_empty(self) -> bool:
        return not (self.thread_count or self.reply_count or self.notifications)


def digest_content(
    user: User, *, since: datetime, until: datetime, run: DigestRun | None = None
) -> DigestContent:
    """What the digest for (since, until] holds: new threads and the most-reacted replies in the
    user's communities, only from spaces they can read now, without muted members or threads,
    plus notifications waiting for the digest (each re-checked against access now)."""
    memberships = list(
        Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE).select_related("community")
    )
    muted = muted_user_ids(user)
    muted_threads = ThreadSubscription.objects.filter(user=user, level=SubscriptionLevel.MUTED).values(
        "thread_id"
    )
    readable = Q(pk__in=[])
    for m in memberships:
        readable |= Q(community_id=m.community_id) & access.visible_spaces_q(m, prefix="space__")
    opening_published = Post.objects.filter(
        thread_id=OuterRef("pk"), is_opening=True, status=PostStatus.PUBLISHED, removed_at__isnull=True
    )
    threads_qs = (
        Thread.objects.filter(readable, created_at__gt=since, created_at__lte=until, removed_at__isnull=True)
        .filter(Exists(opening_published))
        .exclude(author_id=user.pk)
        .exclude(author_id__in=muted)
        .exclude(pk__in=muted_threads)
    )
    threads = list(
        threads_qs.select_related("community", "author", "space").order_by("-created_at")[:MAX_THREADS]
    )
    more = threads_qs.count() - len(threads) if len(threads) == MAX_THREADS else 0

    reply_readable = Q(pk__in=[])
    for m in memberships:
        reply_readable |= Q(community_id=m.community_id) & access.visible_spaces_q(
            m, prefix="thread__space__"
        )
    replies = list(
        Post.objects.filter(
            reply_readable,
            is_opening=False,
            status=PostStatus.PUBLISHED,
            removed_at__isnull=True,
            thread__removed_at__isnull=True,
            created_at__gt=since,
            created_at__lte=until,
        )
        .exclude(author_id=user.pk)
        .exclude(author_id__in=muted)
        .exclude(thread_id__in=muted_threads)
        .annotate(reaction_total=Count("reactions"))
        .filter(reaction_total__gte=1)
        .select_related("thread", "thread__community", "author")
        .order_by("-reaction_total", "-created_at")[:MAX_REPLIES]
    )
    for post in replies:
        post.excerpt = excerpt_of(post, 200)
        post.link = absolute_url(post_link(post))
    for thread in threads:
        thread.link = absolute_url(thread.get_absolute_url())

    by_community: dict[int, DigestCommunity] = {}
    for m in memberships:
        by_community[m.community_id] = DigestCommunity(m.community)
    for thread in threads:
        by_community[thread.community_id].threads.append(thread)
    for post in replies:
        by_community[post.community_id].replies.append(post)

    waiting = Q(status=DeliveryStatus.DIGEST, digest__isnull=True)
    if run is not None:
        waiting |= Q(digest=run)
    rows = list(
        NotificationEmail.objects.filter(waiting, recipient=user, notification__created_at__lte=until)
        .select_related(
            "notification",
            "notification__community",
            "notification__actor",
            "notification__thread",
            "notification__thread__space",
            "notification__thread__community",
            "notification__post",
            "notification__post__thread",
            "notification__post__thread__space",
            "notification__post__thread__community",
        )
        .order_by("notification__created_at")[:MAX_NOTIFICATIONS]
    )
    notifications: list[tuple[Notification, str]] = []
    kept: list[int] = []
    skipped: list[int] = []
    for row in rows:
        n = row.notification
        ok = access.notification_still_visible(
            user, kind=n.kind, community=n.community, thread=n.thread, post=n.post
        )
        if ok and n.kind == Notification.Kind.MESSAGE:
            ok = access.message_notice_still_visible(user, actor_id=n.actor_id, url=n.url)
        if ok and n.kind in CONTENT_KINDS:
            ok = n.actor_id not in muted and not thread_muted(user.pk, n.thread_id)
        if ok:
            notifications.append((n, notification_link(n)))
            kept.append(row.pk)
        else:
            skipped.append(row.pk)
    return DigestContent(
        communities=[c for c in by_community.values() if c.threads or c.replies],
        notifications=notifications,
        more_threads=more,
        notification_rows=kept,
        skipped_rows=skipped,
    )


def _claim(user: User, key: str, now: datetime, frequency: str) -> DigestRun | None:
    """Create the period's run (status sending), or take over one left retrying; None if the
    period is already handled or being handled."""
    previous = (
        DigestRun.objects.filter(user=user, status__in=[DigestStatus.SENT, DigestStatus.SKIPPED])
        .exclude(period_key=key)
        .order_by("-covered_until")
        .values_list("covered_until", flat=True)
        .first()
    )
    since = previous or max(now - PERIOD.get(frequency, PERIOD[DigestFrequency.WEEKLY]), user.date_joined)
    try:
        with transaction.atomic():
            return DigestRun.objects.create(
                user=user, period_key=key, covered_from=since, covered_until=now, attempts=1
            )
    except IntegrityError:
        pass
    run = DigestRun.objects.get(user=user, period_key=key)
    taken = DigestRun.objects.filter(pk=run.pk, status=DigestStatus.RETRYING).update(
        status=DigestStatus.SENDING, attempts=F("attempts") + 1
    )
    if taken != 1:
        return None
    run.refresh_from_db()
    return run


def _finish(run: DigestRun, status: str, reason: str = "", **fields: object) -> str:
    DigestRun.objects.filter(pk=run.pk).update(status=status, reason=reason[:200], **fields)
    return status


def digest_send(*, user_id: int, period_key: str, now: datetime | None = None) -> str:
    """Build and send one member's digest for one period. Returns the run's status
    ("claimed elsewhere" when another run owns the period)."""
    now = now or timezone.now()
    user = User.objects.filter(pk=user_id).select_related("profile").first()
    if user is None:
        return "missing"
    profile = profile_of(user)
    run = _claim(user, period_key, now, profile.digest_frequency)
    if run is None:  # done, or being done, by another run: report its status
        return DigestRun.objects.filter(user=user, period_key=period_key).values_list("status", flat=True)[0]

    blocker = email_blocker(user)
    if blocker:
        return _finish(run, DigestStatus.SKIPPED, blocker)
    if profile.digest_frequency == DigestFrequency.OFF:
        return _finish(run, DigestStatus.SKIPPED, "digests turned off")
    content = digest_content(user, since=run.covered_from, until=run.covered_until, run=run)
    if profile.digest_skip_if_active and profile.last_seen_at and profile.last_seen_at > run.covered_from:
        # They have been here since: what the digest would list is already seen in-app.
        NotificationEmail.objects.filter(pk__in=content.notification_rows + content.skipped_rows).update(
            status=DeliveryStatus.IN_DIGEST, digest=run
        )
        return _finish(run, DigestStatus.SKIPPED, "active since the last digest")
    NotificationEmail.objects.filter(pk__in=content.skipped_rows).update(
        status=DeliveryStatus.SKIPPED, reason="no access or muted at digest time"
    )
    if content.is_empty:
        return _finish(run, DigestStatus.EMPTY)

    message = build_message(
        user=user,
        template="digest",
        context={
            "content": content,
            "frequency": profile.get_digest_frequency_display().lower(),
            "since": run.covered_from,
            "until": run.covered_until,
        },
        unsubscribe_kind=DIGEST_KIND,
    )
    try:
        deliver(message)
    except PermanentEmailFailure as exc:
        log.warning("digest %s for user %s failed for good: %s", run.period_key, user.pk, exc)
        return _finish(run, DigestStatus.FAILED, str(exc))
    except Exception as exc:
        _finish(run, DigestStatus.RETRYING, f"{type(exc).__name__}: {exc}")
        raise
    NotificationEmail.objects.filter(pk__in=content.notification_rows).update(
        status=DeliveryStatus.IN_DIGEST, digest=run, sent_at=now
    )
    return _finish(
        run,
        DigestStatus.SENT,
        sent_at=timezone.now(),
        thread_count=content.thread_count,
        reply_count=content.reply_count,
        notification_count=len(content.notifications),
    )


def digests_dispatch(*, now: datetime | None = None) -> int:
    """Queue one digest task per member due at ``now``. Each member's digest is its own task,
    so one failure never blocks the others. Returns how many were queued."""
    now = now or timezone.now()
    due = digests_due(now)
    for user_id, key in due:
        # Each publish is isolated: one failure (even inline, when eager) never stops the loop.
        enqueue("members.tasks.send_digest", user_id, key, now.isoformat())
    return len(due)
