"""API: communities and their spaces, as the caller may see them."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from communities.discussions.selectors import visible_spaces
from communities.models import Community, Space
from members import access
from members.models import Membership, MembershipStatus
from members.tokens.auth import community, require
from members.tokens.models import TokenScope
from members.tokens.paging import DEFAULT_LIMIT, MAX_LIMIT, cursor_page, page_of
from members.tokens.schemas import SlugPath, responses

router = Router(tags=["communities"])


class CommunityOut(Schema):
    slug: str
    name: str
    purpose: str
    visibility: str
    join_policy: str
    member_count: int
    url: str
    your_role: str | None
    can_read: bool
    created_at: datetime


class SpaceOut(Schema):
    slug: str
    name: str
    description: str
    position: int
    restricted: bool


class CommunityFilters(Schema):
    cursor: str | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


def _community_out(c: Community, membership: Membership | None, request: HttpRequest) -> dict:
    role = (
        membership.role if membership is not None and membership.status == MembershipStatus.ACTIVE else None
    )
    return {
        "slug": c.slug,
        "name": c.name,
        "purpose": c.purpose,
        "visibility": c.visibility,
        "join_policy": c.join_policy,
        "member_count": getattr(c, "member_count", 0),
        "url": request.build_absolute_uri(c.get_absolute_url()),
        "your_role": role,
        "can_read": access.can_read_content(c, membership if role else None),
        "created_at": c.created_at,
    }


@router.get("/communities", response=responses(page_of(CommunityOut)), summary="Communities you can see")
def community_list(request: HttpRequest, filters: Query[CommunityFilters]) -> dict:
    """The directory as the caller sees it: public and listed communities, and the secret ones
    they belong to (a token restricted to one community lists only that one)."""
    caller = require(request, TokenScope.READ)
    qs = Community.objects.filter(pk__in=access.directory_communities(caller.user).values("pk")).annotate(
        member_count=Count(
            "memberships", filter=Q(memberships__status=MembershipStatus.ACTIVE), distinct=True
        )
    )
    if caller.community_id is not None:
        qs = qs.filter(pk=caller.community_id)
    rows, next_cursor = cursor_page(qs, order=["name", "id"], cursor=filters.cursor, limit=filters.limit)
    mine: dict[int, Membership] = {}
    if caller.is_authenticated and rows:
        mine = {
            m.community_id: m
            for m in Membership.objects.filter(
                user=caller.person, community_id__in=[c.pk for c in rows], status=MembershipStatus.ACTIVE
            )
        }
    return {"items": [_community_out(c, mine.get(c.pk), request) for c in rows], "next_cursor": next_cursor}


@router.get("/communities/{slug}", response=responses(CommunityOut), summary="One community")
def community_detail(request: HttpRequest, slug: SlugPath) -> dict:
    """What the landing page shows: anyone may see a public or listed community's name, purpose
    and member count; a secret community exists only for its members."""
    _, acc = community(request, TokenScope.READ, access.community_landing, slug)
    acc.community.member_count = getattr(acc.community, "active_members", 0)  # type: ignore[attr-defined]
    return _community_out(acc.community, acc.membership, request)


@router.get("/communities/{slug}/spaces", response=responses(list[SpaceOut]), summary="Spaces you can see")
def space_list(request: HttpRequest, slug: SlugPath) -> list[dict]:
    """The community's spaces, leaving out restricted spaces above the caller's role."""
    _, acc = community(request, TokenScope.READ, access.community_for_reader, slug)
    spaces: list[Space] = visible_spaces(acc.community, acc.membership)
    return [
        {
            "slug": s.slug,
            "name": s.name,
            "description": s.description,
            "position": s.position,
            "restricted": bool(s.min_role),
        }
        for s in sorted(spaces, key=lambda s: (s.position, s.pk))
    ]
