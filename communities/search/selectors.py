"""Search: the one function (PostgreSQL full text with a plain SQLite fallback) and its helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVectorField
from django.db import connection, transaction
from django.db.models import Exists, Expression, F, Func, OuterRef, Q, QuerySet
from django.utils.text import slugify

from communities.discussions.models import (
    Post,
    PostStatus,
    Thread,
)
from communities.models import Community
from communities.tags.models import ThreadTag
from members.access import visible_spaces_q
from members.models import Membership, MembershipStatus

SEARCH_PER_PAGE = settings.HEARTH_SEARCH_PER_PAGE
# Threads whose title matches a search, at most (their opening posts join the results).
TITLE_MATCHES = 2000
# Matches counted at most (the page then says "1,000+"); pages go no further than that.
SEARCH_COUNT_CAP = 1000
# Memory PostgreSQL may use for one search's bitmaps and sort (SET LOCAL, this transaction only):
# with the default 4 MB the bitmap of a common word goes lossy (every row of a block rechecked)
# and the ranking sort spills to disk (bench/RESULTS.md, "Large community").
SEARCH_WORK_MEM = "32MB"
HL_START, HL_STOP = "\x02", "\x03"  # highlight sentinels, turned into <mark> after escaping


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
    query, tag_slugs = split_tags(query)
    if not query and not tag_slugs:
        return []
    scope = _readable_post_q(user, community, membership)
    if scope is None:
        return []
    qs = Post.objects.filter(scope).select_related("thread", "thread__space", "community", "author")
    for slug in tag_slugs:  # every tag asked for (a thread's tags are few: one EXISTS each)
        qs = qs.filter(Exists(ThreadTag.objects.filter(thread_id=OuterRef("thread_id"), tag__slug=slug)))
    if not query:
        # Tags alone: the tagged threads (their opening posts), newest first.
        return qs.filter(is_opening=True).order_by("-created_at")
    if connection.vendor == "postgresql":
        sq = SearchQuery(query, config="english", search_type="websearch")
        body_vec = StoredBodyVector()
        title_vec = TsVector(F("thread__title"))
        return (
            qs.annotate(body_vec=body_vec, title_vec=title_vec)
            .filter(Q(body_vec=sq) | Q(is_opening=True, thread_id__in=_title_matches(sq, user, community)))
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


def _title_matches(sq: SearchQuery, user: object, community: Community | None) -> list[int]:
    """Ids of live threads whose title matches (newest activity first, at most TITLE_MATCHES),
    found through their own index (thread_title_fts, migration 0008).

    Matching the title inside the posts query (an OR across the join) kept PostgreSQL from
    using the body index: it computed to_tsvector for every post of the community on every
    search (17 s at 400,000 posts; bench/RESULTS.md, "Large community"). With a list of ids
    both sides of the OR are index scans on the posts table.
    """
    threads = Thread.objects.filter(removed_at__isnull=True)
    if community is not None:
        threads = threads.filter(community=community)
    else:
        threads = threads.filter(
            community_id__in=Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE).values(
                "community_id"
            )
        )
    return list(
        threads.annotate(title_vec=TsVector(F("title")))
        .filter(title_vec=sq)
        .order_by("-last_post_at")
        .values_list("pk", flat=True)[:TITLE_MATCHES]
    )


@contextmanager
def search_transaction() -> Iterator[None]:
    """Run a search's queries in a transaction where PostgreSQL may use ``SEARCH_WORK_MEM``.
    ``SET LOCAL`` ends with the transaction, so it is safe behind a transaction-pooling PgBouncer.
    Elsewhere nothing (an SQLite transaction here would take the write lock for a read)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{SEARCH_WORK_MEM}'")
        yield


def split_tags(query: str) -> tuple[str, list[str]]:
    """Split ``tag:slug`` and ``#slug`` terms out of a search query: (the rest, the tag slugs)."""
    words, tags = [], []
    for word in " ".join((query or "").split())[:200].split():
        lowered = word.lower()
        raw = lowered[4:] if lowered.startswith("tag:") else lowered[1:] if lowered.startswith("#") else None
        if raw is None:
            words.append(word)
        elif slugify(raw) and slugify(raw) not in tags:
            tags.append(slugify(raw)[:40])
    return " ".join(words), tags[:5]


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


class StoredBodyVector(Expression):
    """A post body's search vector, stored by PostgreSQL in ``communities_post.body_tsv`` (a
    generated column, GIN-indexed; migration communities 0009): never computed per search."""

    output_field = SearchVectorField()

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name_unless_alias(alias)}.body_tsv", []


class TsVector(Func):
    """to_tsvector('english', col) without COALESCE, so it matches the GIN expression index on
    thread titles (migration communities 0008)."""

    function = "to_tsvector"
    template = "to_tsvector('english'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()
