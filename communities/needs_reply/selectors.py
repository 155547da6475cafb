"""Threads that still need a reply: nobody but their author has answered after N hours.

The same judgement as the "time to first reply" metric (METRICS.md §5), read live: a discussion
thread started by a person (not a bot or a ritual), live, whose opening post is published, with
no published, not removed reply by anyone other than its author, created at least
``Community.needs_reply_hours`` hours ago. Oldest first: the longest wait comes first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from communities.discussions.models import Post, PostStatus, Thread, ThreadKind
from communities.models import Community
from members.access import visible_spaces_q
from members.models import Membership

PER_PAGE = 30


def answered_q() -> Exists:
    """EXISTS a live reply by someone other than the thread's author."""
    return Exists(
        Post.objects.filter(
            thread=OuterRef("pk"),
            is_opening=False,
            status=PostStatus.PUBLISHED,
            removed_at__isnull=True,
        ).exclude(author_id=OuterRef("author_id"))
    )


def unanswered(qs: QuerySet[Thread], *, hours: int, now: datetime | None = None) -> QuerySet[Thread]:
    """Narrow a thread queryset to the threads waiting for a reply for at least ``hours``."""
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    return (
        qs.filter(kind=ThreadKind.DISCUSSION, created_at__lte=cutoff, author__is_bot=False)
        .filter(posts__is_opening=True, posts__status=PostStatus.PUBLISHED)
        .exclude(answered_q())
    )


def needs_reply_threads(
    *, community: Community, membership: Membership | None, now: datetime | None = None
) -> QuerySet[Thread]:
    """The staff view: waiting threads of spaces the viewer may see, oldest first (paginate it)."""
    qs = (
        Thread.objects.filter(community=community, removed_at__isnull=True)
        .filter(visible_spaces_q(membership, prefix="space__"))
        .select_related("space", "author", "community")
    )
    return unanswered(qs, hours=community.needs_reply_hours, now=now).order_by("created_at", "id")


def waited_hours(thread: Thread, now: datetime | None = None) -> int:
    return int(((now or timezone.now()) - thread.created_at).total_seconds() // 3600)
