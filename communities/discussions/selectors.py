"""Reads of threads and posts, shaped for each page (one query set per page part, no N+1)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

from communities.discussions.models import (
    Post,
    PostRevision,
    PostStatus,
    Reaction,
    ReactionKind,
    Thread,
    ThreadReadState,
    ThreadSubscription,
)
from communities.models import Community, Space
from members.access import visible_posts_q, visible_spaces_q
from members.models import Membership
from members.profiles.models import MutedMember

# --- Discussions ----------------------------------------------------------------------------------

THREADS_PER_PAGE = settings.HEARTH_THREADS_PER_PAGE
POSTS_PER_PAGE = settings.HEARTH_POSTS_PER_PAGE


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
    # The last poster (for the row's second avatar), in the same query: the newest live post's
    # author id and name, computed only for the rows of the page.
    last = Post.objects.filter(
        thread=OuterRef("pk"), status=PostStatus.PUBLISHED, removed_at__isnull=True
    ).order_by("-created_at", "-id")
    qs = qs.annotate(
        last_poster_id=Subquery(last.values("author_id")[:1]),
        last_poster_name=Subquery(
            last.annotate(who=Coalesce(NullIf("author__display_name", Value("")), "author__handle")).values(
                "who"
            )[:1]
        ),
    )
    if membership is not None:
        # Threads started by members the viewer muted are left out of the list (the same
        # query; the thread page collapses their posts if reached by a link).
        qs = qs.exclude(_muted_author(membership.user_id)).annotate(
            unread=Coalesce(_unread_subquery(membership.user_id), Value(0)),
            has_read=Exists(
                ThreadReadState.objects.filter(user_id=membership.user_id, thread=OuterRef("pk"))
            ),
        )
    return qs


def thread_posts(*, thread: Thread | None, membership: Membership | None) -> QuerySet[Post]:
    """Posts of the thread in order: what the viewer may see, plus placeholders for removed
    published posts (the template shows the body only to staff). ``thread=None``: every thread's
    (for a subquery that filters on an outer thread)."""
    visible = visible_posts_q(membership)
    qs = Post.objects.all() if thread is None else Post.objects.filter(thread=thread)
    if visible:  # an empty Q means "everything" (staff); OR-ing it would match nothing extra
        qs = qs.filter(visible | Q(status=PostStatus.PUBLISHED, removed_at__isnull=False))
    return qs.select_related("author", "reply_to", "reply_to__author").order_by("created_at", "id")


def _muted_author(user_id: int, author_field: str = "author_id") -> Exists:
    return Exists(MutedMember.objects.filter(user_id=user_id, muted_user_id=OuterRef(author_field)))


def with_muted_authors(qs: QuerySet[Post], user_id: int | None) -> QuerySet[Post]:
    """Annotate each post with ``by_muted``: its author is someone the viewer muted (the page
    collapses it behind a "show" toggle). Computed in the posts query itself: no extra query."""
    if user_id is None:
        return qs.annotate(by_muted=Value(False))
    return qs.annotate(by_muted=_muted_author(user_id))


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


def reader_annotations(membership: Membership | None) -> dict[str, Any]:
    """For the thread query (``access.thread_for_reader(annotate=...)``): the number of posts the
    viewer sees (``n_posts``, for pagination) and, for members, their read marker (``marker``,
    None if never read) and subscription level (``level``)."""
    visible = thread_posts(thread=None, membership=membership).filter(thread=OuterRef("pk"))
    out: dict[str, Any] = {
        "n_posts": Coalesce(
            Subquery(
                visible.order_by().values("thread").annotate(n=Count("id")).values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        )
    }
    if membership is not None:
        user_id = membership.user_id
        out["marker"] = Subquery(
            ThreadReadState.objects.filter(user_id=user_id, thread=OuterRef("pk")).values(
                "last_read_post_id"
            )[:1]
        )
        out["level"] = Subquery(
            ThreadSubscription.objects.filter(user_id=user_id, thread=OuterRef("pk")).values("level")[:1]
        )
    return out


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
