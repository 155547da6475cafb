"""A real Celery worker on real Redis computes a day (the PostgreSQL + Redis leg).

Uses the shared worker of tests/worker.py: skipped only when REDIS_URL is unset; with REDIS_URL set
but Redis unreachable it fails.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Role
from metrics.models import DailySnapshot
from metrics.services import last_complete_day
from metrics.tasks import compute_day


@pytest.mark.integration
def test_real_worker_computes_a_day(
    transactional_db, celery_worker_proc, make_community, make_member, make_user
):
    community = make_community(created_at=timezone.now() - timedelta(days=3))
    make_member(community, role=Role.MEMBER)
    day = last_complete_day(community)
    with celery_worker_proc.publishing():
        compute_day.delay(community.pk, day.isoformat())
    snapshot = celery_worker_proc.wait_for(
        lambda: DailySnapshot.objects.filter(community=community, day=day).first(),
        timeout=90,
        message="the worker computed the day",
    )
    # The owner joined at creation (3 days ago): a member at the end of the day, and the
    # earlier days were computed first.
    assert snapshot.members >= 1
    assert DailySnapshot.objects.filter(community=community, day__lt=day).exists()
