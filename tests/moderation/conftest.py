"""Fixtures for moderation tests: a clean cache per test and a switch for the rate limits."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rate_limits_on(settings):
    settings.RATE_LIMITS_ENABLED = True
    return settings


@pytest.fixture
def flag_post(make_member):
    """Flag ``post`` by ``n`` new members of its community; returns the flags."""
    from moderation.hooks import flag_create

    def flag(post, n=1, reason="spam", note=""):
        return [
            flag_create(membership=make_member(post.community), post=post, reason=reason, note=note)
            for _ in range(n)
        ]

    return flag
