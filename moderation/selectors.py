"""Reads for moderation pages: the review queue, the logs, sanctions in force."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import (
    CharField,
    Count,
    F,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from communities.discussions.models import Post, PostEventKind, PostStatus
from communities.models import Community
from members import access
from members.messages.models import MessageReport, ReportedMessage
from members.models import JoinRequest, JoinRequestStatus, Membership, MembershipStatus, User
from moderation.models import (
    ENFORCEMENT_ACTIONS,
    AuditLogEntry,
    CommunityLimits,
    Flag,
    Sanction,
    SanctionKind,
    WordFilter,
)

QUEUE_KINDS = ("join", "flag", "held", "message")
QUEUE_PAGE_SIZE = settings.HEARTH_QUEUE_PER_PAGE


def community_limits(community: Community | int) -> CommunityLimits:
    """The community's posting limits (an unsaved row with the defaults if none was set)."""
    community_id = community if isinstance(community, int) else community.pk
    limits = CommunityLimits.objects.filter(community_id=community_id).first()
    return limits or CommunityLimits(community_id=community_id)


def active_mute(membership: Membership | None, at: datetime | None = None) -> datetime | None:
    """When the member's mute ends, or None if they are not muted."""
    if membership is None or membership.muted_until is None:
        return None
    return membership.muted_until if membership.muted_until > (at or timezone.now()) else None


def word_filters(community_id: int) -> list[WordFilter]:
    return list(WordFilter.objects.filter(community_id=community_id).order_by("phrase")[:500])


def pending_warnings(
    user: object, community: Community, membership: Membership | None = None
) -> list[Sanction]:
    """Warnings the member has not acknowledged yet (shown as a banner on community pages). A
    membership loaded by the access policy says whether there are any (no query when none)."""
    if not getattr(user, "is_authenticated", False):
        return []
    if membership is not None and getattr(membership, "has_pending_warnings", True) is False:
        return []
    return list(
        Sanction.objects.filter(
            community=community,
            user=user,
            kind=SanctionKind.WARN,
            seen_at__isnull=True,
            lifted_at__isnull=True,
        ).order_by("created_at")[:5]
    )


# --- The review queue ------------------------------------------------------------------------------


def _open_flags(community_id: int, viewer: Membership | None) -> QuerySet[Flag]:
    return Flag.objects.filter(community_id=community_id, resolved_at__isnull=True).filter(
        access.visible_spaces_q(viewer, "post__thread__space__")
    )


def _queue_union(community_id: int, kind: str | None, viewer: Membership | None) -> QuerySet:
    """One row per queue item: (kind, id, at). Flags are grouped per post (id = post id).

    Posts in a space the viewer's role may not see (an owners-only space, for a moderator) are
    left out, as they are everywhere else."""
    parts = []
    if kind in (None, "join"):
        parts.append(
            JoinRequest.objects.filter(community_id=community_id, status=JoinRequestStatus.PENDING)
            .order_by()
            .annotate(kind=Value("join", output_field=CharField()), item_at=F("created_at"))
            .values_list("kind", "pk", "item_at")
        )
    if kind in (None, "flag"):
        parts.append(
            _open_flags(community_id, viewer)
            .order_by()
            .values("post_id")
            .annotate(kind=Value("flag", output_field=CharField()), item_at=Min("created_at"))
            .values_list("kind", "post_id", "item_at")
        )
    if kind in (None, "held"):
        parts.append(
            Post.objects.filter(community_id=community_id, status=PostStatus.HELD, removed_at__isnull=True)
            .filter(access.visible_spaces_q(viewer, "thread__space__"))
            .order_by()
            .annotate(kind=Value("held", output_field=CharField()), item_at=F("created_at"))
            .values_list("kind", "pk", "item_at")
        )
    if kind in (None, "message"):
        # Reported private messages: moderators see only the copies the reporter sent.
        parts.append(
            MessageReport.objects.filter(community_id=community_id, resolved_at__isnull=True)
            .order_by()
            .annotate(kind=Value("message", output_field=CharField()), item_at=F("created_at"))
            .values_list("kind", "pk", "item_at")
        )
    first, *rest = parts
    return first.union(*rest, all=True) if rest else first


def review_queue_counts(community: Community, *, viewer: Membership | None) -> dict[str, int]:
    """Items waiting per kind for this viewer, in one query (three scalar subqueries grouped by
    community). They agree with ``review_queue_page`` for the same viewer."""

    def count_of(qs: QuerySet, counted: str = "pk") -> Coalesce:
        grouped = (
            qs.filter(community_id=OuterRef("pk"))
            .order_by()
            .values("community_id")
            .annotate(n=Count(counted, distinct=True))
            .values("n")[:1]
        )
        return Coalesce(Subquery(grouped), 0, output_field=IntegerField())

    row = (
        Community.objects.filter(pk=community.pk)
        .annotate(
            n_join=count_of(JoinRequest.objects.filter(status=JoinRequestStatus.PENDING)),
            n_flag=count_of(
                Flag.objects.filter(resolved_at__isnull=True).filter(
                    access.visible_spaces_q(viewer, "post__thread__space__")
                ),
                "post_id",
            ),
            n_held=count_of(
                Post.objects.filter(status=PostStatus.HELD, removed_at__isnull=True).filter(
                    access.visible_spaces_q(viewer, "thread__space__")
                )
            ),
            n_message=count_of(MessageReport.objects.filter(resolved_at__isnull=True)),
        )
        .values("n_join", "n_flag", "n_held", "n_message")
        .first()
    )
    counts = {"join": 0, "flag": 0, "held": 0, "message": 0}
    if row is not None:
        counts = {k: row[f"n_{k}"] for k in counts}
    counts["all"] = sum(counts.values())
    return counts


@dataclass
class QueueItem:
    kind: str  # join / flag / held / message
    pk: int
    at: datetime
    join_request: JoinRequest | None = None
    post: Post | None = None
    flags: list[Flag] = field(default_factory=list)
    message_report: MessageReport | None = None

    @property
    def dom_id(self) -> str:
        return f"queue-{self.kind}-{self.pk}"


def review_queue_page(
    community: Community,
    *,
    viewer: Membership | None,
    kind: str | None = None,
    page: int | str = 1,
    newest_first: bool = False,
) -> Page:
    """A page of the review queue, oldest first by default. A fixed number of queries:
    count + page of (kind, id, at) + one query per kind for details (+ flags prefetch)."""
    union = _queue_union(community.pk, kind if kind in QUEUE_KINDS else None, viewer)
    ordered = union.order_by("-item_at" if newest_first else "item_at", "pk")
    paginator = Paginator(ordered, QUEUE_PAGE_SIZE)
    page_obj = paginator.get_page(page)
    rows = list(page_obj.object_list)
    items = [QueueItem(kind=k, pk=pk, at=at) for k, pk, at in rows]
    join_ids = [i.pk for i in items if i.kind == "join"]
    post_ids = [i.pk for i in items if i.kind in ("flag", "held")]
    report_ids = [i.pk for i in items if i.kind == "message"]
    requests: dict[int, JoinRequest] = {}
    posts: dict[int, Post] = {}
    reports: dict[int, MessageReport] = {}
    if report_ids:
        reports = {
            r.pk: r
            for r in MessageReport.objects.filter(pk__in=report_ids)
            .select_related("reporter", "reported_user")
            .prefetch_related(
                Prefetch(
                    "items",
                    queryset=ReportedMessage.objects.select_related("sender").order_by("sent_at", "pk"),
                    to_attr="copies",
                )
            )
        }
    if join_ids:
        other_memberships = (
            Membership.objects.filter(user_id=OuterRef("user_id"), status=MembershipStatus.ACTIVE)
            .exclude(community_id=community.pk)
            .order_by()
            .annotate(c=Value(1))
            .values("c")
            .annotate(n=Count("*"))
            .values("n")[:1]
        )
        requests = {
            r.pk: r
            for r in JoinRequest.objects.filter(pk__in=join_ids)
            .select_related("user")
            .annotate(other_memberships=Coalesce(Subquery(other_memberships), 0, output_field=IntegerField()))
        }
    if post_ids:
        posts = {
            p.pk: p
            for p in Post.objects.filter(pk__in=post_ids)
            .select_related("author", "thread")
            .prefetch_related(
                Prefetch(
                    "flags",
                    queryset=Flag.objects.filter(resolved_at__isnull=True)
                    .select_related("flagger")
                    .order_by("created_at", "pk"),
                    to_attr="open_flags",
                )
            )
        }
    for item in items:
        if item.kind == "join":
            item.join_request = requests.get(item.pk)
        elif item.kind == "message":
            item.message_report = reports.get(item.pk)
        else:
            item.post = posts.get(item.pk)
            if item.post is not None and item.kind == "flag":
                item.flags = item.post.open_flags
    page_obj.object_list = [
        i for i in items if i.join_request is not None or i.post is not None or i.message_report is not None
    ]
    return page_obj


# --- Logs ------------------------------------------------------------------------------------------


def audit_log(
    community: Community,
    *,
    action: str = "",
    actor: User | None = None,
    target: User | None = None,
) -> QuerySet[AuditLogEntry]:
    qs = AuditLogEntry.objects.filter(community=community).select_related(
        "actor", "target_user", "target_post", "target_thread"
    )
    if action:
        qs = qs.filter(action=action)
    if actor is not None:
        qs = qs.filter(actor=actor)
    if target is not None:
        qs = qs.filter(target_user=target)
    return qs.order_by("-created_at", "-pk")


def transparency_log(community: Community) -> QuerySet[AuditLogEntry]:
    """Enforcement actions only; the template hides the actor unless the owner allows it."""
    return (
        AuditLogEntry.objects.filter(community=community, action__in=[a.value for a in ENFORCEMENT_ACTIONS])
        .select_related("actor", "target_user")
        .order_by("-created_at", "-pk")
    )


def sanctioned_members(community: Community) -> QuerySet[Membership]:
    """Members currently muted or banned (for the moderation members page)."""
    now = timezone.now()
    return (
        Membership.objects.filter(community=community)
        .filter(Q(status=MembershipStatus.BANNED) | Q(status=MembershipStatus.ACTIVE, muted_until__gt=now))
        .select_related("user")
        .order_by("user__handle")
    )


def member_sanction_history(community: Community, user: User, limit: int = 50) -> list[Sanction]:
    return list(
        Sanction.objects.filter(community=community, user=user)
        .select_related("created_by", "lifted_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def membership_for_target(community: Community, user: User) -> Membership | None:
    return Membership.objects.filter(community=community, user=user).select_related("user").first()


def latest_removal_actor_is_system(post: Post) -> bool:
    """Whether the post's current removal was automatic (flag threshold), not a person's."""

    event = post.events.filter(kind=PostEventKind.REMOVED).order_by("-at", "-pk").first()
    return event is not None and event.actor_id is None
