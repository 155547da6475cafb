"""Reads for the API tokens settings page."""

from __future__ import annotations

from django.db.models import QuerySet

from communities.models import Community
from members.models import MembershipStatus, User
from members.tokens.models import ApiToken


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The person's tokens, newest first (paginate it)."""
    return ApiToken.objects.filter(user=user).select_related("community").order_by("-created_at", "-id")


def token_communities(user: User) -> list[Community]:
    """Communities a token may be restricted to: those the person is an active member of."""
    return list(
        Community.objects.filter(
            memberships__user=user, memberships__status=MembershipStatus.ACTIVE
        ).order_by("name")
    )
