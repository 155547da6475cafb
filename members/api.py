"""API: a community's members, people's profiles (as their privacy settings allow), and you."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

from django.http import Http404, HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from members import access
from members.models import Membership, MembershipStatus, User
from members.profiles.selectors import profile_page
from members.selectors import member_list
from members.tokens.auth import community, require
from members.tokens.models import TokenScope
from members.tokens.paging import DEFAULT_LIMIT, MAX_LIMIT, cursor_page, page_of
from members.tokens.schemas import SlugPath, responses

router = Router(tags=["members"])

HandlePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_]+$", max_length=30)]


class MemberOut(Schema):
    handle: str
    name: str
    role: str
    joined_at: datetime


class ProfileOut(Schema):
    handle: str
    name: str
    bio: str | None = Field(description="Null when the person doesn't show it to you.")
    links: list[str] | None
    time_zone: str | None
    last_seen_at: datetime | None
    you_muted: bool


class MembershipOut(Schema):
    community: str
    community_name: str
    role: str
    joined_at: datetime


class MeOut(Schema):
    handle: str
    name: str
    email: str
    time_zone: str
    date_joined: datetime
    memberships: list[MembershipOut]
    token_scopes: list[str] | None = Field(description="The scopes of the token in use (null for a session).")


class PageFilters(Schema):
    cursor: str | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


@router.get(
    "/communities/{slug}/members", response=responses(page_of(MemberOut)), summary="A community's members"
)
def members(request: HttpRequest, slug: SlugPath, filters: Query[PageFilters]) -> dict:
    """Active members, staff first, then by join date: what the members page lists."""
    _, acc = community(request, TokenScope.READ, access.community_for_reader, slug)
    rows, next_cursor = cursor_page(
        member_list(acc.community),
        order=["role_order", "joined_at", "id"],
        cursor=filters.cursor,
        limit=filters.limit,
        salt=f"members:{slug}",
    )
    return {
        "items": [
            {"handle": m.user.handle, "name": m.user.name, "role": m.role, "joined_at": m.joined_at}
            for m in rows
        ],
        "next_cursor": next_cursor,
    }


@router.get("/people/{handle}", response=responses(ProfileOut), summary="A person's profile")
def person(request: HttpRequest, handle: HandlePath) -> dict:
    """A profile exists only for people who share a community with you (404 for anyone else), and
    shows only the fields the person lets members see. A token restricted to one community sees
    only people of that community."""
    caller = require(request, TokenScope.READ, login=True)
    viewer = caller.person
    found, shared = access.person_for_viewer(viewer, handle)
    person = cast(User, found)
    if caller.community_id is not None and shared is not None and caller.community_id not in shared:
        raise Http404
    page = profile_page(viewer, person, shared, posts=0)
    p, shows = page.profile, page.shows
    return {
        "handle": person.handle,
        "name": person.name,
        "bio": p.bio if shows["bio"] else None,
        "links": list(p.links or []) if shows["links"] else None,
        "time_zone": person.time_zone if shows["time_zone"] else None,
        "last_seen_at": p.last_seen_at if shows["last_seen"] else None,
        "you_muted": page.is_muted,
    }


@router.get("/me", response=responses(MeOut), summary="You")
def me(request: HttpRequest) -> dict:
    """Your account and your active memberships (only the token's community for a restricted token)."""
    caller = require(request, TokenScope.READ, login=True)
    user = caller.person
    memberships = Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE).select_related(
        "community"
    )
    if caller.community_id is not None:
        memberships = memberships.filter(community_id=caller.community_id)
    return {
        "handle": user.handle,
        "name": user.name,
        "email": user.email,
        "time_zone": user.time_zone,
        "date_joined": user.date_joined,
        "memberships": [
            {
                "community": m.community.slug,
                "community_name": m.community.name,
                "role": m.role,
                "joined_at": m.joined_at,
            }
            for m in memberships.order_by("community__name")[:500]
        ],
        "token_scopes": list(caller.token.scopes) if caller.token is not None else None,
    }
