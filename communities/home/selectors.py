"""The signed-in person's home: their communities with unread counts, a catch-up of what is new
and unread, pending work for the communities they staff, then discovery.

Every function is one query whatever the data size (the home page runs a fixed number of
queries). Visibility follows the one access policy: only active memberships count, threads in a
restricted space count only for members whose role reaches the space's minimum
(``visible_threads_q``, the same rule as ``members.access.visible_spaces_q``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from communities.discussions.models import Post, PostStatus, Thread, ThreadReadState
from communities.models import Community
from members.models import ROLE_RANK, JoinRequest, JoinRequestStatus, Membership, MembershipStatus, Role
from members.notifications.models import Notification

CATCH_UP_DAYS = 14
CATCH_UP_THREADS = 8
CATCH_UP_NOTIFICATIONS = 6
UPCOMING_DAYS = 7
DISCOVER_LIMIT = 6
STAFF_ROLES = (Role.OWNER, Role.MODERATOR)


def visible_threads_q(user_id: int, prefix: str = "") -> Q:
    """Threads whose space the user may see, as a filter on Thread — or, with ``prefix`` (e.g.
    ``"post__thread__"``), on a model that leads to a thread — through EXISTS subqueries on the
    user's active membership of the row's community (no query of its own)."""

    def member_with(roles: list[str] | None = None) -> Exists:
        ms = Membership.objects.filter(
            user_id=user_id, status=MembershipStatus.ACTIVE, community_id=OuterRef("community_id")
        )
        return Exists(ms.filter(role__in=roles) if roles is not None else ms)

    scopes = cast(Q, Q(**{f"{prefix}space__min_role": ""}) & member_with())
    for role, rank in ROLE_RANK.items():
        reaching = [r.value for r, r_rank in ROLE_RANK.items() if r_rank >= rank]
        scopes |= cast(Q, Q(**{f"{prefix}space__min_role": role.value}) & member_with(reaching))
    return scopes


def _unread_threads(user_id: int, since_field: str = "joined_at") -> QuerySet[Thread]:
    """Threads (of the outer membership's community) with activity since the member joined that
    they have not read up to their last post."""
    read_up_to_date = ThreadReadState.objects.filter(
        user_id=user_id, thread=OuterRef("pk"), last_read_at__gte=OuterRef("last_post_at")
    )
    return (
        Thread.objects.filter(
            community_id=OuterRef("community_id"),
            removed_at__isnull=True,
            last_post_at__gt=OuterRef(since_field),
        )
        .filter(visible_threads_q(user_id))
        .exclude(Exists(read_up_to_date))
    )


def my_memberships(user: object) -> list[Membership]:
    """The person's active memberships with their community and ``unread`` (threads with
    unread activity), most active communities first. One query."""
    uid = user.pk  # type: ignore[attr-defined]
    unread = _unread_threads(uid).order_by().values("community_id").annotate(n=Count("pk")).values("n")[:1]
    return list(
        Membership.objects.filter(user_id=uid, status=MembershipStatus.ACTIVE)
        .select_related("community")
        .annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)))
        .order_by("-unread", "community__name")
    )


def new_threads(user: object, community_ids: list[int], now: datetime) -> list[Thread]:
    """Threads started in the person's communities in the last two weeks by someone else that
    they have never opened (newest first). One query."""
    uid = user.pk  # type: ignore[attr-defined]
    if not community_ids:
        return []
    opened = ThreadReadState.objects.filter(user_id=uid, thread=OuterRef("pk"))
    return list(
        Thread.objects.filter(
            community_id__in=community_ids,
            removed_at__isnull=True,
            created_at__gte=now - timedelta(days=CATCH_UP_DAYS),
        )
        .exclude(author_id=uid)
        .filter(visible_threads_q(uid))
        .exclude(Exists(opened))
        .select_related("community", "author", "space")
        .order_by("-created_at")[:CATCH_UP_THREADS]
    )


def unread_for_me(user: object) -> list[Notification]:
    """Unread replies to the person, mentions and quotes, newest first. One query (the same
    visibility filter as the bell)."""
    from members.notifications.selectors import visible_notifications

    kinds = [Notification.Kind.REPLY, Notification.Kind.MENTION, Notification.Kind.QUOTE]
    return list(
        visible_notifications(user)  # type: ignore[arg-type]
        .filter(read_at__isnull=True, kind__in=kinds)
        .select_related("thread")[:CATCH_UP_NOTIFICATIONS]
    )


def upcoming_rituals(community_ids: list[int], now: datetime) -> list[object]:
    """Rituals posting in the next week in the person's communities. One query."""
    from communities.rituals.models import Ritual

    if not community_ids:
        return []
    return list(
        Ritual.objects.filter(
            community_id__in=community_ids,
            paused=False,
            next_run_at__gte=now,
            next_run_at__lte=now + timedelta(days=UPCOMING_DAYS),
        )
        .select_related("community")
        .order_by("next_run_at")[:6]
    )


def pending_for_staff(user: object, community_ids: list[int]) -> list[Community]:
    """For the communities the person moderates or owns: what waits in each review queue, with
    the queue's own rules for this viewer (pending join requests; posts with unresolved flags and
    held posts in spaces their role reaches; see ``moderation.selectors.review_queue_counts``).
    One query; communities with nothing waiting are left out."""
    from moderation.models import Flag

    if not community_ids:
        return []
    uid = user.pk  # type: ignore[attr-defined]

    def count_of(qs: QuerySet, counted: str = "pk") -> Coalesce:
        grouped = (
            qs.filter(community_id=OuterRef("pk"))
            .order_by()
            .values("community_id")
            .annotate(n=Count(counted, distinct=True))
            .values("n")[:1]
        )
        return Coalesce(Subquery(grouped), 0, output_field=IntegerField())

    rows = Community.objects.filter(pk__in=community_ids).annotate(
        n_join=count_of(JoinRequest.objects.filter(status=JoinRequestStatus.PENDING)),
        n_flag=count_of(
            Flag.objects.filter(resolved_at__isnull=True).filter(visible_threads_q(uid, "post__thread__")),
            "post_id",
        ),
        n_held=count_of(
            Post.objects.filter(status=PostStatus.HELD, removed_at__isnull=True).filter(
                visible_threads_q(uid, "thread__")
            )
        ),
    )
    out: list[Community] = []
    for c in rows.order_by("name"):
        total = c.n_join + c.n_flag + c.n_held
        if total:
            c.n_all = total  # type: ignore[attr-defined]
            out.append(c)
    return out


def discover(user: object, exclude_ids: list[int]) -> list[Community]:
    """Communities the person could join (public or listed, not already theirs), busiest first."""
    from communities.selectors import with_member_count
    from members.access import directory_communities

    ids = directory_communities(user).exclude(pk__in=exclude_ids).values("pk")
    qs = with_member_count(Community.objects.filter(pk__in=ids))
    return list(qs.order_by("-member_count", "name")[:DISCOVER_LIMIT])  # type: ignore[misc]


@dataclass
class Home:
    memberships: list[Membership]
    new_threads: list[Thread]
    for_me: list[Notification]
    rituals: list[object]
    pending: list[Community]
    discover: list[Community]
    unread_total: int = 0
    staff_ids: list[int] = field(default_factory=list)

    @property
    def caught_up(self) -> bool:
        return not (self.new_threads or self.for_me or self.rituals or self.pending)


def home_for(user: object, now: datetime | None = None) -> Home:
    """Everything the signed-in home shows: six queries."""
    now = now or timezone.now()
    memberships = my_memberships(user)
    ids = [m.community_id for m in memberships]
    staff_ids = [m.community_id for m in memberships if m.role in STAFF_ROLES]
    return Home(
        memberships=memberships,
        new_threads=new_threads(user, ids, now),
        for_me=unread_for_me(user),
        rituals=upcoming_rituals(ids, now),
        pending=pending_for_staff(user, staff_ids),
        discover=discover(user, ids),
        unread_total=sum(m.unread for m in memberships),  # type: ignore[attr-defined]
        staff_ids=staff_ids,
    )
