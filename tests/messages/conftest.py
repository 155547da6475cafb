"""Fixtures for private messages: a community with a welcomer, a newcomer and a member."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Membership, Role


def age(membership: Membership, days: int) -> Membership:
    """Make the membership ``days`` old (newcomer limits depend on it)."""
    Membership.objects.filter(pk=membership.pk).update(joined_at=timezone.now() - timedelta(days=days))
    membership.refresh_from_db()
    return membership


@pytest.fixture
def pm(make_community, make_member):
    """alice (member, 60 days), bob (member, 60 days), carol (member of the same community, 60 days),
    mod (moderator), newbie (joined today), welcomer (60 days); and dave in another community only."""

    class Cast:
        pass

    cast = Cast()
    cast.community = make_community()
    c = cast.community
    cast.owner = Membership.objects.get(community=c, role=Role.OWNER)
    cast.alice = age(make_member(c), 60)
    cast.bob = age(make_member(c), 60)
    cast.carol = age(make_member(c), 60)
    cast.mod = age(make_member(c, role=Role.MODERATOR), 60)
    cast.welcomer = age(make_member(c, role=Role.WELCOMER), 60)
    cast.newbie = make_member(c)
    cast.other = make_community()
    cast.dave = age(make_member(cast.other), 60)
    cast.other_mod = age(make_member(cast.other, role=Role.MODERATOR), 60)
    return cast
