"""Fixtures for events: ``make_event`` creates an event through the service, as the owner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from communities.events.services import EventFields, event_create
from communities.models import Space
from members.models import Membership, Role


@pytest.fixture
def make_event(db):
    def make(
        community,
        *,
        author: Membership | None = None,
        space: Space | None = None,
        starts_in: timedelta = timedelta(days=3),
        duration: timedelta = timedelta(hours=1),
        **overrides,
    ):
        author = author or Membership.objects.get(community=community, role=Role.OWNER)
        author.community = community
        space = space or Space.objects.get(community=community, slug="general")
        start = overrides.pop("starts_at", None) or (timezone.now() + starts_in).replace(
            second=0, microsecond=0
        )
        fields = {
            "title": "Office hours with the team",
            "description": "Bring **your** questions.",
            "kind": "meetup",
            "starts_at": start,
            "ends_at": start + duration,
            "location": "Room 4",
            "online_url": "",
            "capacity": None,
        }
        fields.update(overrides)
        return event_create(author=author, space=space, fields=EventFields(**fields))

    return make
