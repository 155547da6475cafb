"""Reads of highlights: the Highlights page and the "featured" mark on a thread's posts."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from communities.discussions.models import Post, PostStatus
from communities.highlights.models import Highlight
from communities.models import Community
from members.access import visible_spaces_q
from members.models import Membership

HIGHLIGHTS_PER_PAGE = 20


def community_highlights(*, community: Community, membership: Membership | None) -> QuerySet[Highlight]:
    """Featured posts the viewer may read, newest feature first (paginate it): published, not
    removed, in a live thread of a space the viewer may see."""
    return (
        Highlight.objects.filter(
            community=community,
            post__status=PostStatus.PUBLISHED,
            post__removed_at__isnull=True,
            post__thread__removed_at__isnull=True,
        )
        .filter(visible_spaces_q(membership, prefix="post__thread__space__"))
        .select_related("post", "post__author", "post__thread", "post__thread__space", "featured_by")
        .order_by("-featured_at", "-id")
    )


def with_featured(qs: QuerySet[Post]) -> QuerySet[Post]:
    """Annotate each post with ``is_featured``, in the posts query itself (no extra query)."""
    return qs.annotate(is_featured=Exists(Highlight.objects.filter(post=OuterRef("pk"))))
