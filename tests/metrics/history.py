"""Helpers for metrics tests that play a history through the real services at chosen times.

The services take "now" from ``django.utils.timezone.now``; the ``clock`` fixture (see
``tests/metrics/conftest.py``) sets it, so holds, approvals, bans, take-backs and the nightly job
happen at the instants a test chooses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.utils import timezone

from communities.discussions.models import Post, Reaction
from communities.discussions.services import reaction_toggle
from metrics.models import METRIC_KEYS, DailySnapshot

_real_now = timezone.now


class Clock:
    """The time the services see; real time until set."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def now(self) -> datetime:
        return self.at if self.at is not None else _real_now()

    def set(self, at: datetime) -> datetime:
        self.at = at
        return at


def react(clock: Clock, user_id: int, post: Post, kind: str, at: datetime) -> bool:
    """Toggle a reaction at ``at`` through the service (returns True when it is now on)."""
    clock.set(at)
    post.refresh_from_db()
    on = reaction_toggle(user_id=user_id, post=post, kind=kind)
    if on:
        # Pin the reaction's time to the clock whatever the service's default does.
        Reaction.objects.filter(post=post, user_id=user_id, kind=kind).update(created_at=at)
    return on


def values(community_id: int, day: date) -> dict:
    return DailySnapshot.objects.get(community_id=community_id, day=day).values()


def all_values(community_id: int) -> dict[date, dict]:
    return {s.day: s.values() for s in DailySnapshot.objects.filter(community_id=community_id)}


def check(actual: dict, expected: dict, where: str = "") -> None:
    """Each key of ``expected`` (a subset of the metric keys) equals ``actual``'s."""
    import pytest

    assert set(expected) <= set(METRIC_KEYS)
    for key, want in expected.items():
        got = actual[key]
        if want is None:
            assert got is None, f"{where} {key}: expected null, got {got}"
        else:
            assert got == pytest.approx(want), f"{where} {key}: expected {want}, got {got}"


Event = tuple[datetime, str, Callable[[], object]]


def play(clock: Clock, events: list[Event], until: datetime) -> list[Event]:
    """Run the events before ``until`` in time order, each at its own time; return the rest."""
    events.sort(key=lambda e: e[0])
    while events and events[0][0] < until:
        at, _label, action = events.pop(0)
        clock.set(at)
        action()
    return events


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]
