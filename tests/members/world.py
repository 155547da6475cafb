"""A community with one person of every kind, for the access matrix tests."""

from __future__ import annotations

from dataclasses import dataclass

from communities.models import Community
from members.models import Invite, JoinRequest, Membership, User
from members.services import invite_create, membership_join
from moderation.sanctions import member_ban

VIS_POLICY = {"public": "open", "listed": "approval", "secret": "invite_only"}
ROLES = ("owner", "moderator", "member", "pending", "banned", "nonmember", "anonymous")


@dataclass
class World:
    community: Community
    people: dict[str, User | None]
    member: Membership
    member_invite: Invite
    join_request: JoinRequest


def build_world(make_user, make_community, visibility: str) -> World:
    owner = make_user()
    community = make_community(
        owner=owner,
        visibility=visibility,
        join_policy=VIS_POLICY[visibility],
        guidelines_md="Be **kind**.",
        screening_questions=["Why here?"],
    )
    moderator = make_user()
    membership_join(user=moderator, community=community, role="moderator")
    member_user = make_user()
    member = membership_join(user=member_user, community=community)
    pending = make_user()
    # A pending applicant (created directly: the request may predate a policy change).
    join_request = JoinRequest.objects.create(
        community=community, user=pending, answers=[{"question": "Why here?", "answer": "Curious"}]
    )
    banned = make_user()
    banned_membership = membership_join(user=banned, community=community)
    owner_membership = Membership.objects.get(community=community, user=owner)
    member_ban(actor=owner_membership, target=banned_membership)
    nonmember = make_user()
    invite = invite_create(membership=member)
    return World(
        community=community,
        people={
            "owner": owner,
            "moderator": moderator,
            "member": member_user,
            "pending": pending,
            "banned": banned,
            "nonmember": nonmember,
            "anonymous": None,
        },
        member=member,
        member_invite=invite,
        join_request=join_request,
    )
