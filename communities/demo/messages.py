"""Demo data for private messages: a one-to-one conversation, a small group and a moderator note
in Night Owls, written through the message services.

``seed(stdout)`` is idempotent: the demo conversations carry fixed subjects and are created only
when none with those subjects exists in the community.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TextIO

from django.utils import timezone

from communities.models import Community
from members.messages import services
from members.messages.models import Conversation
from members.models import Membership, MembershipStatus, Role
from moderation import ratelimit

SUBJECTS = ("Tea recommendations?", "Planning the night walk")


def _settle(*users: object) -> None:
    # The demo writes several messages in a row; the per-sender send interval is for people.
    for user in users:
        for limit in services.limits.SEND_LIMITS:
            ratelimit.reset(limit.name, str(getattr(user, "pk", "")))


def seed(stdout: TextIO) -> None:
    community = Community.objects.filter(slug="night-owls").first()
    if community is None or Conversation.objects.filter(community=community, subject__in=SUBJECTS).exists():
        return
    settled = timezone.now() - timedelta(days=31)
    members = list(
        Membership.objects.filter(
            community=community,
            status=MembershipStatus.ACTIVE,
            role=Role.MEMBER,
            joined_at__lte=settled,
            user__is_bot=False,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user__handle")[:3]
    )
    staff = (
        Membership.objects.filter(community=community, status=MembershipStatus.ACTIVE, role=Role.MODERATOR)
        .select_related("user")
        .order_by("user__handle")
        .first()
    ) or Membership.objects.filter(community=community, role=Role.OWNER).select_related("user").first()
    if len(members) < 3 or staff is None:
        return
    a, b, c = (m.user for m in members)
    _settle(a, b, c, staff.user)
    one = services.conversation_start(
        sender=a,
        recipients=[b],
        community=community,
        subject=SUBJECTS[0],
        body_md="You mentioned a smoky tea in the late-night snacks thread. Which one was it?",
    )
    _settle(a, b)
    services.message_send(sender=b, conversation=one, body_md="**Lapsang souchong**! Try it with shortbread.")
    _settle(a, b)
    group = services.conversation_start(
        sender=b,
        recipients=[a, c],
        community=community,
        subject=SUBJECTS[1],
        body_md="Shall we meet at the north gate at 11 pm on Friday? Bring a torch.",
    )
    _settle(a, b, c)
    services.message_send(sender=c, conversation=group, body_md="I'm in. I'll bring a flask of tea.")
    _settle(staff.user)
    services.modnote_start(
        actor=staff,
        target=members[2],
        body_md="Hi! Thanks for the lovely photos. Could you add a content note when a post shows insects?",
    )
    stdout.write("Demo private messages: a one-to-one, a group and a moderator note in Night Owls.")
