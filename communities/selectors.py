"""Reads about communities and conversations, shaped for each page."""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from communities.models import (
    Community,
    Post,
    PostRevision,
    PostStatus,
    Reaction,
    ReactionKind,
    Space,
    Thread,
    ThreadReadState,
    ThreadSubscription,
)
from members.access import directory_communities, visible_posts_q, visible_spaces_q
from members.models import Membership, MembershipStatus, Notification, User


def with_member_count(qs: QuerySet[Community]) -> QuerySet[Community]:
    return qs.annotate(
        member_count=Count(
            "memberships", filter=Q(memberships__status=MembershipStatus.ACTIVE), distinct=True
        )
    )


def home_communities(user: object, limit: int = 50) -> QuerySet[Community]:
    """Communities the visitor can see on the home page (never a secret one they are not in)."""
    ids = directory_communities(user).values("pk")
    return with_member_count(Community.objects.filter(pk__in=ids)).order_by("name")[:limit]


# --- Discussions ----------------------------------------------------------------------------------

THREADS_PER_PAGE = 30
POSTS_PER_PAGE = 50
SEARCH_PER_PAGE = 20
HL_START, HL_STOP = "\x02", "\x03"  # highlight sentinels, turned into <mark> after escaping


def visible_spaces(community: Community, membership: Membership | None) -> list[Space]:
    return list(Space.objects.filter(community=community).filter(visible_spaces_q(membership)))


def _unread_subquery(user_id: int) -> Subquery:
    last_read = ThreadReadState.objects.filter(user_id=user_id, thread=OuterRef(OuterRef("pk"))).values(
        "last_read_post_id"
    )[:1]
    return Subquery(
        Post.objects.filter(
            thread=OuterRef("pk"),
            status=PostStatus.PUBLISHED,
            removed_at__isnull=True,
            id__gt=Coalesce(Subquery(last_read), Value(0)),
        )
        .order_by()
        .values("thread")
        .annotate(n=Count("id"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


def thread_list(
    *, community: Community, membership: Membership | None, space: Space | None = None
) -> QuerySet[Thread]:
    """Threads of the community the viewer may see, pinned first then by last activity.

    Members get ``unread`` (published posts after their read marker) and ``has_read``
    (whether they ever opened the thread), each computed in the same query.
    """
    qs = (
        Thread.objects.filter(community=community, removed_at__isnull=True)
        .filter(visible_spaces_q(membership, prefix="space__"))
        .select_related("space", "author", "community")
        # Exactly the index's order, so PostgreSQL walks the index and computes the unread
        # subqueries only for the page it returns (a tiebreak column would sort every thread).
        .order_by("-pinned", "-last_post_at")
    )
    if space is not None:
        qs = qs.filter(space=space)
    if membership is not None:
        qs = qs.annotate(
            unread=Coalesce(_unread_subquery(membership.user_id), Value(0)),
            has_read=Exists(
                ThreadReadState.objects.filter(user_id=membership.user_id, thread=OuterRef("pk"))
            ),
        )
    return qs


def thread_posts(*, thread: Thread, membership: Membership | None) -> QuerySet[Post]:
    """Posts of the thread in order: what the viewer may see, plus placeholders for removed
    published posts (the template shows the body only to staff)."""
    visible = visible_posts_q(membership)
    qs = Post.objects.filter(thread=thread)
    if visible:  # an empty Q means "everything" (staff); OR-ing it would match nothing extra
        qs = qs.filter(visible | Q(status=PostStatus.PUBLISHED, removed_at__isnull=False))
    return qs.select_related("author", "reply_to", "reply_to__author").order_by("created_at", "id")


def with_reaction_counts(qs: QuerySet[Post], user_id: int | None) -> QuerySet[Post]:
    """Annotate each post with ``rc_<kind>`` (count) and ``rm_<kind>`` (the viewer's) for the
    fixed reaction set, in the posts query itself (no extra query, no N+1)."""
    ann = {}
    for kind in ReactionKind.values:
        ann[f"rc_{kind}"] = Count("reactions", filter=Q(reactions__kind=kind))
        ann[f"rm_{kind}"] = Count(
            "reactions", filter=Q(reactions__kind=kind, reactions__user_id=user_id or 0)
        )
    return qs.annotate(**ann)


def reactions_of(post: Post) -> list[dict]:
    """The reaction bar of a post annotated by with_reaction_counts."""
    return [
        {
            "kind": kind.value,
            "emoji": kind.label,
            "count": getattr(post, f"rc_{kind.value}"),
            "mine": getattr(post, f"rm_{kind.value}") > 0,
        }
        for kind in ReactionKind
    ]


def reaction_summary(post_ids: list[int], user_id: int | None) -> dict[int, list[dict]]:
    """For each post: the fixed reaction set with counts and whether the viewer reacted (one query)."""
    rows = (
        Reaction.objects.filter(post_id__in=post_ids)
        .values("post_id", "kind")
        .annotate(n=Count("id"), mine=Count("id", filter=Q(user_id=user_id or 0)))
        .order_by()
    )
    found: dict[tuple[int, str], tuple[int, bool]] = {
        (r["post_id"], r["kind"]): (r["n"], r["mine"] > 0) for r in rows
    }
    return {
        pid: [
            {
                "kind": kind.value,
                "emoji": kind.label,
                "count": found.get((pid, kind.value), (0, False))[0],
                "mine": found.get((pid, kind.value), (0, False))[1],
            }
            for kind in ReactionKind
        ]
        for pid in post_ids
    }


def post_position(*, post: Post, membership: Membership | None) -> int:
    """The 1-based page of the thread on which ``post`` appears for this viewer."""
    before = (
        thread_posts(thread=post.thread, membership=membership)
        .filter(Q(created_at__lt=post.created_at) | Q(created_at=post.created_at, id__lt=post.pk))
        .count()
    )
    return before // POSTS_PER_PAGE + 1


def first_unread_post(*, thread: Thread, membership: Membership) -> Post | None:
    last = (
        ThreadReadState.objects.filter(user_id=membership.user_id, thread=thread)
        .values_list("last_read_post_id", flat=True)
        .first()
    ) or 0
    return (
        Post.objects.filter(thread=thread, status=PostStatus.PUBLISHED, removed_at__isnull=True, id__gt=last)
        .select_related("thread")
        .order_by("created_at", "id")
        .first()
    )


def reader_state(*, membership: Membership, thread: Thread) -> tuple[int | None, str | None, int]:
    """The reader's marker (None if never read), subscription level and the number of posts
    they see in the thread (for pagination), in one query."""
    user_id = membership.user_id
    visible = thread_posts(thread=thread, membership=membership).filter(thread=OuterRef("pk"))
    row = (
        Thread.objects.filter(pk=thread.pk)
        .annotate(
            marker=Subquery(
                ThreadReadState.objects.filter(user_id=user_id, thread=OuterRef("pk")).values(
                    "last_read_post_id"
                )[:1]
            ),
            level=Subquery(
                ThreadSubscription.objects.filter(user_id=user_id, thread=OuterRef("pk")).values("level")[:1]
            ),
            n_posts=Subquery(
                visible.order_by().values("thread").annotate(n=Count("id")).values("n")[:1],
                output_field=IntegerField(),
            ),
        )
        .values("marker", "level", "n_posts")
        .first()
    )
    if row is None:
        return None, None, 0
    return row["marker"], row["level"], row["n_posts"] or 0


def read_marker(*, user_id: int, thread: Thread) -> int | None:
    return (
        ThreadReadState.objects.filter(user_id=user_id, thread=thread)
        .values_list("last_read_post_id", flat=True)
        .first()
    )


def subscription_level(*, user_id: int, thread: Thread) -> str | None:
    return (
        ThreadSubscription.objects.filter(user_id=user_id, thread=thread)
        .values_list("level", flat=True)
        .first()
    )


def post_revisions(post: Post) -> QuerySet[PostRevision]:
    return (
        PostRevision.objects.filter(post=post).select_related("editor").order_by("-created_at", "-id")[:100]
    )


# --- Search: the one function; PostgreSQL full-text with a plain fallback on SQLite ---------------


def _readable_post_q(user: object, community: Community | None, membership: Membership | None) -> Q | None:
    """Posts the searcher may read: published, not removed, in a live thread of a space they
    may see, in a community they may read. None when there is nothing they may read."""
    base = Q(status=PostStatus.PUBLISHED, removed_at__isnull=True, thread__removed_at__isnull=True)
    if community is not None:
        return base & Q(community=community) & visible_spaces_q(membership, prefix="thread__space__")
    if not getattr(user, "is_authenticated", False):
        return None
    scopes = Q(pk__in=[])
    memberships = Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE).only(
        "community_id", "role", "status"
    )
    for m in memberships:
        scopes |= Q(community_id=m.community_id) & visible_spaces_q(m, prefix="thread__space__")
    return base & scopes


def search_posts(
    *, user: object, query: str, community: Community | None = None, membership: Membership | None = None
) -> QuerySet[Post] | list:
    """Search posts (and thread titles) the user may read.

    Within ``community`` (the caller has checked read access and passes the membership), or
    across every community the user is an active member of. Each result has ``snippet``: plain
    text with HL_START/HL_STOP around matches (escape it, then turn those into <mark>).
    """
    query = " ".join((query or "").split())[:200]
    if not query:
        return []
    scope = _readable_post_q(user, community, membership)
    if scope is None:
        return []
    qs = Post.objects.filter(scope).select_related("thread", "thread__space", "community", "author")
    if connection.vendor == "postgresql":
        sq = SearchQuery(query, config="english", search_type="websearch")
        body_vec = TsVector(F("body_md"))
        title_vec = TsVector(F("thread__title"))
        return (
            qs.annotate(body_vec=body_vec, title_vec=title_vec)
            .filter(Q(body_vec=sq) | Q(title_vec=sq, is_opening=True))
            .annotate(
                rank=SearchRank(body_vec, sq) + 2 * SearchRank(title_vec, sq),
                snippet=SearchHeadline(
                    "body_md",
                    sq,
                    config="english",
                    start_sel=HL_START,
                    stop_sel=HL_STOP,
                    max_words=30,
                    min_words=10,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                ),
            )
            .order_by("-rank", "-created_at")
        )
    words = query.split()[:8]
    match = Q()
    for w in words:
        match &= Q(body_md__icontains=w) | Q(thread__title__icontains=w, is_opening=True)
    return qs.filter(match).order_by("-created_at")


def plain_snippet(text: str, query: str, width: int = 220) -> str:
    """SQLite fallback: a window of the text around the first match, matches marked with sentinels."""
    words = [w for w in (query or "").split() if w][:8]
    lower = text.lower()
    first = min((i for i in (lower.find(w.lower()) for w in words) if i >= 0), default=0)
    start = max(0, first - width // 3)
    snippet = text[start : start + width]
    snippet = ("…" if start else "") + snippet + ("…" if start + width < len(text) else "")
    for w in sorted(set(words), key=len, reverse=True):
        snippet = re.sub(re.escape(w), lambda m: f"{HL_START}{m.group(0)}{HL_STOP}", snippet, flags=re.I)
    return snippet


class TsVector(Func):
    """to_tsvector('english', col) without COALESCE, so it matches the GIN expression index."""

    function = "to_tsvector"
    template = "to_tsvector('english'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()


# --- Notifications ---------------------------------------------------------------------------------

NOTIFICATIONS_PER_PAGE = 30


def visible_notifications(user: User) -> QuerySet[Notification]:
    """The user's notifications about things they can still see: notifications about a thread
    disappear if they left the community or the thread's space is now above their role."""
    scopes = Q(thread__isnull=True)
    for m in Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE).only(
        "community_id", "role", "status"
    ):
        scopes |= Q(community_id=m.community_id) & visible_spaces_q(m, prefix="thread__space__")
    return (
        Notification.objects.filter(recipient=user)
        .filter(scopes)
        .select_related("actor", "community")
        .order_by("-created_at", "-id")
    )


def directory(user: object, query: str = "") -> QuerySet[Community]:
    """The directory: public and listed communities, and secret ones the user belongs to,
    filtered by name or purpose, each with its member count. Paginate it."""
    ids = directory_communities(user).values("pk")
    qs = Community.objects.filter(pk__in=ids)
    query = (query or "").strip()
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(purpose__icontains=query))
    return with_member_count(qs).order_by("name", "id")
