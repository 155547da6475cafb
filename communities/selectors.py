"""Reads of communities: the directory and a person's communities."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from communities.models import Community
from members.access import directory_communities
from members.models import MembershipStatus


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


def directory(user: object, query: str = "") -> QuerySet[Community]:
    """The directory: public and listed communities, and secret ones the user belongs to,
    filtered by name or purpose, each with its member count. Paginate it."""
    ids = directory_communities(user).values("pk")
    qs = Community.objects.filter(pk__in=ids)
    query = (query or "").strip()
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(purpose__icontains=query))
    return with_member_count(qs).order_by("name", "id")
