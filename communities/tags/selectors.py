"""Reads of tags, shaped for the thread list, the thread page, search and the tags page."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from communities.discussions.models import Thread
from communities.models import Community
from communities.tags.models import Tag, ThreadTag


def community_tags(community: Community) -> list[Tag]:
    """The community's tags by name (one query). Tags are few (at most 100)."""
    tags = list(Tag.objects.filter(community=community).order_by("name", "id"))
    for t in tags:
        t.community = community  # get_absolute_url needs it: no query per tag
    return tags


def tags_with_counts(community: Community, visible_threads: QuerySet[Thread]) -> list[Tag]:
    """The community's tags, each with ``n_threads``: how many of ``visible_threads`` (the live
    threads the viewer may see) carry it. One query."""
    tags: list[Tag] = list(
        Tag.objects.filter(community=community)
        .annotate(
            n_threads=Count("thread_tags", filter=Q(thread_tags__thread__in=visible_threads.values("pk")))
        )
        .order_by("name", "id")
    )
    for t in tags:
        t.community = community
    return tags


def find_tag(tags: list[Tag], slug: str) -> Tag | None:
    """The tag with this slug among the loaded ones (no query)."""
    return next((t for t in tags if t.slug == slug), None)


def with_tags(qs: QuerySet[Thread]) -> QuerySet[Thread]:
    """Fetch each thread's tags with one extra query for the whole page: ``thread.tag_list``."""
    return qs.prefetch_related(
        Prefetch(
            "thread_tags",
            queryset=ThreadTag.objects.select_related("tag", "tag__community").order_by(
                "tag__name", "tag_id"
            ),
            to_attr="tag_rows",
        )
    )


def tagged(qs: QuerySet[Thread], tag: Tag) -> QuerySet[Thread]:
    return qs.filter(thread_tags__tag=tag)


def has_tags() -> Exists:
    """For a thread query: whether the thread has any tag (the page skips the tags query if not)."""
    return Exists(ThreadTag.objects.filter(thread_id=OuterRef("pk")))


def thread_tags(thread: Thread) -> list[Tag]:
    return [
        tt.tag
        for tt in ThreadTag.objects.filter(thread=thread)
        .select_related("tag", "tag__community")
        .order_by("tag__name")
    ]


def tag_list(thread: Thread) -> list[Tag]:
    """The tags a thread fetched with ``with_tags``."""
    return [row.tag for row in getattr(thread, "tag_rows", [])]


def tags_for_threads(thread_ids: list[int]) -> dict[int, list[Tag]]:
    """The tags of each of these threads (one query; none for an empty list)."""
    out: dict[int, list[Tag]] = {}
    if not thread_ids:
        return out
    rows = (
        ThreadTag.objects.filter(thread_id__in=set(thread_ids))
        .select_related("tag", "tag__community")
        .order_by("tag__name", "tag_id")
    )
    for row in rows:
        out.setdefault(row.thread_id, []).append(row.tag)
    return out
