"""A real Celery worker on real Redis posts a due ritual when the beat entry's task is sent twice.

Runs in the PostgreSQL + Redis leg (the shared worker of tests/worker.py): skipped only when
REDIS_URL is unset; fails when it is set but Redis can't be reached.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from communities.discussions.models import Thread, ThreadKind
from communities.rituals.models import OccurrenceStatus, Ritual, RitualOccurrence
from config.celery import app


@pytest.mark.integration
def test_real_worker_posts_a_due_ritual_once(
    transactional_db, celery_worker_proc, make_community, make_ritual
):
    community = make_community()
    ritual = make_ritual(community, now=timezone.now() - timedelta(days=8))
    Ritual.objects.filter(pk=ritual.pk).update(next_run_at=timezone.now() - timedelta(seconds=5))
    offset = celery_worker_proc.log_size()
    # Send exactly what beat sends: the task and options from the beat entry in config/celery.py.
    entry = app.conf.beat_schedule["rituals-post-due"]
    for _ in range(2):  # beat firing twice
        celery_worker_proc.send(entry["task"])

    celery_worker_proc.wait_for(
        lambda: RitualOccurrence.objects.filter(ritual=ritual, status=OccurrenceStatus.POSTED).exists(),
        timeout=60,
        message="the worker posted the occurrence",
    )
    # Let the second message be processed too, then check nothing was posted twice.
    deadline = time.monotonic() + 30
    while celery_worker_proc.log_since(offset).count("succeeded") < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert celery_worker_proc.log_since(offset).count("communities.post_due_rituals") >= 2
    occurrence = RitualOccurrence.objects.get(ritual=ritual, status=OccurrenceStatus.POSTED)
    thread = Thread.objects.get(pk=occurrence.thread_id)
    assert thread.kind == ThreadKind.RITUAL and thread.pinned and thread.space_id == ritual.space_id
    assert Thread.objects.filter(community=community, kind=ThreadKind.RITUAL).count() == 1
    ritual.refresh_from_db()
    assert ritual.next_run_at > timezone.now()
    assert settings.CELERY_TASK_ALWAYS_EAGER  # the test process itself stays eager
