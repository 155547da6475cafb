from __future__ import annotations

import pytest
from django.utils import timezone

from tests.metrics.history import Clock


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Set the time the services see (``django.utils.timezone.now``)."""
    c = Clock()
    monkeypatch.setattr(timezone, "now", c.now)
    return c
