"""A real Celery worker on real Redis computes a day (the PostgreSQL + Redis leg).

Skips only when REDIS_URL is unset; with REDIS_URL set but Redis unreachable it fails.
(tests/integration/conftest.py was not on main yet, so the worker fixture lives here.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from members.models import Role
from metrics.models import DailySnapshot
from metrics.services import last_complete_day

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set (the SQLite leg has no Redis)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"REDIS_URL={url} is set but Redis is unreachable: {exc}")
    return url


@pytest.fixture
def celery_worker_process(redis_url, transactional_db):
    if connection.vendor != "postgresql":
        pytest.fail("The real-worker test needs DATABASE_URL pointing at PostgreSQL when REDIS_URL is set")
    db = settings.DATABASES["default"]
    user = db["USER"] or "postgres"
    auth = f"{user}:{db['PASSWORD']}" if db["PASSWORD"] else user
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "HEARTH_TESTING": "false",
        "DJANGO_DEBUG": "true",
    }
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-mingle",
            "--without-gossip",
            "-Q",
            "metrics-test",
            "-n",
            f"metrics-test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.integration
def test_real_worker_computes_a_day(celery_worker_process, make_community, make_member, make_user):
    from config.celery import app
    from metrics.tasks import compute_day

    community = make_community(created_at=timezone.now() - timedelta(days=3))
    make_member(community, role=Role.MEMBER)
    day = last_complete_day(community)
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        compute_day.apply_async((community.pk, day.isoformat()), queue="metrics-test")
    finally:
        app.conf.task_always_eager = previous
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        snapshot = DailySnapshot.objects.filter(community=community, day=day).first()
        if snapshot is not None:
            break
        if celery_worker_process.poll() is not None:
            pytest.fail("worker exited: " + celery_worker_process.stdout.read().decode()[-2000:])
        time.sleep(0.5)
    else:
        pytest.fail("the worker did not compute the day within 90 s")
    # The owner joined at creation (3 days ago): a member at the end of the day, and the
    # earlier days were computed first.
    assert snapshot.members >= 1
    assert DailySnapshot.objects.filter(community=community, day__lt=day).exists()
