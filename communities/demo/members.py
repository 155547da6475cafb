"""Membership demo data on top of the base demo: a community of each visibility and join policy
(reusing the base demo's communities where they exist), invite links with redemptions (referral
attribution), a revoked link, and pending join requests with answers.

``seed(stdout)`` is idempotent: a community that already has the demo invites is left alone.
Demo people log in with their handle and the demo password (communities.demo_data.DEMO_PASSWORD).
"""

from __future__ import annotations

from typing import TextIO

from allauth.account.models import EmailAddress
from django.db import transaction

from communities.demo.data import DEMO_PASSWORD  # one password for every demo account
from communities.models import Community, JoinPolicy, Visibility
from communities.services import community_create
from members.models import Invite, JoinRequest, Membership, MembershipStatus, Role, User
from members.services import (
    invite_create,
    invite_redeem,
    invite_revoke,
    join_request_create,
    membership_join,
)

MARKER = "demo: welcome link"

# (visibility, join policy) -> a community to create when the base demo has none of that kind.
KINDS = {
    (Visibility.PUBLIC, JoinPolicy.OPEN): (
        "Trail Runners",
        "trail-runners",
        "Muddy shoes, early mornings and good company on the trails.",
    ),
    (Visibility.LISTED, JoinPolicy.APPROVAL): (
        "Night Owls",
        "night-owls",
        "People who do their best work after midnight, comparing notes.",
    ),
    (Visibility.LISTED, JoinPolicy.INVITE_ONLY): (
        "Founders' Table",
        "founders-table",
        "A small circle of first-time founders trading honest answers.",
    ),
    (Visibility.SECRET, JoinPolicy.INVITE_ONLY): (
        "Quiet Room",
        "quiet-room",
        "A private corner for the organisers of the spring meetup.",
    ),
}
QUESTIONS = ["What brings you here?", "What would you like to share with the group?"]
PEOPLE = [
    ("ana_demo", "Ana Ruiz"),
    ("ben_demo", "Ben Okafor"),
    ("chen_demo", "Chen Wei"),
    ("dara_demo", "Dara Kim"),
    ("eli_demo", "Eli Novak"),
    ("fatou_demo", "Fatou Diallo"),
    ("gus_demo", "Gus Lindqvist"),
]


def _user(handle: str, name: str) -> User:
    user = User.objects.filter(handle=handle).first()
    if user is None:
        user = User.objects.create_user(
            handle=handle, email=f"{handle}@example.com", password=DEMO_PASSWORD, display_name=name
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _community(kind: tuple[str, str], owner: User) -> Community:
    visibility, policy = kind
    existing = (
        Community.objects.filter(visibility=visibility, join_policy=policy)
        .filter(memberships__role=Role.OWNER, memberships__status=MembershipStatus.ACTIVE)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    name, slug, purpose = KINDS[kind]
    if Community.objects.filter(slug=slug).exists():
        slug = f"{slug}-demo"
    return community_create(
        owner=owner,
        name=name,
        slug=slug,
        purpose=purpose,
        visibility=visibility,
        join_policy=policy,
        screening_questions=QUESTIONS if policy == JoinPolicy.APPROVAL else [],
        guidelines_md="1. Be kind.\n2. Stay on topic.\n3. What's said here stays here.",
    )


def _seed_community(community: Community, people: list[User], stdout: TextIO) -> None:
    if Invite.objects.filter(community=community, note=MARKER).exists():
        stdout.write(f"members demo: {community.slug} already seeded\n")
        return
    owner = Membership.objects.get(community=community, role=Role.OWNER, status=MembershipStatus.ACTIVE)
    # The owner's multi-use welcome link brings in three people.
    welcome = invite_create(membership=owner, max_uses=10, note=MARKER)
    for person in people[:3]:
        invite_redeem(token=welcome.token, user=person)
    # A member's own link (referral): one use of two taken.
    member = Membership.objects.get(community=community, user=people[0])
    if community.allow_member_invites:
        referral = invite_create(membership=member, max_uses=2, note="for my climbing partner")
        invite_redeem(token=referral.token, user=people[3])
    # A revoked link, to show the state.
    invite_revoke(invite=invite_create(membership=owner, note="posted by mistake"), actor=owner.user)
    # Pending applications with answers on approval communities.
    if community.join_policy == JoinPolicy.APPROVAL:
        questions = community.screening_questions or []
        answers_by_person = {
            people[4]: ["A friend told me about the late-night writing sessions.", "Pomodoro timers."],
            people[5]: ["I moved time zones and I'm awake when everyone sleeps.", "Good playlists."],
        }
        for person, answers in answers_by_person.items():
            if not JoinRequest.objects.filter(community=community, user=person).exists():
                padded = (answers + ["Happy to help."] * len(questions))[: len(questions)]
                join_request_create(user=person, community=community, answers=padded)
    elif community.join_policy == JoinPolicy.OPEN:
        membership_join(user=people[6], community=community, actor=people[6])
    stdout.write(f"members demo: invites, redemptions and requests added to {community.slug}\n")


@transaction.atomic
def seed(stdout: TextIO) -> None:
    owner = _user("olivia_demo", "Olivia Hart")
    people = [_user(handle, name) for handle, name in PEOPLE]
    for kind in KINDS:
        _seed_community(_community(kind, owner), people, stdout)
