"""A real Celery worker on real Redis posts a due ritual when the beat entry's task is sent.

Runs in the PostgreSQL + Redis leg. Skips only when REDIS_URL is unset; fails when it is set
but Redis can't be reached. (A minimal worker fixture of our own: the shared one in
tests/integration/conftest.py had not landed on main when this was written.)
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

from communities.discussions.models import Thread, ThreadKind
from communities.rituals.models import OccurrenceStatus, Ritual, RitualOccurrence

ROOT = Path(__file__).resolve().parents[2]


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set (the SQLite leg runs without Redis)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"REDIS_URL={url} is set but Redis is unreachable: {exc}")
    return url


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.fail("the integration leg needs PostgreSQL (the worker must share the test database)")
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    redis_url = _redis_url()
    from config.celery import app

    with app.connection_for_write(redis_url) as conn:
        app.control.purge(connection=conn)  # drop stale task messages left by earlier runs
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_DEBUG": "true",
        "HEARTH_TESTING": "false",
        "HEARTH_VAR_DIR": str(tmp_path),
    }
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the Celery worker did not start:\n" + log.read_text()[-3000:])
            time.sleep(0.3)
        yield proc, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.integration
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # send_task is the point
def test_real_worker_posts_a_due_ritual_once(celery_worker_process, make_community, make_ritual):
    proc, log = celery_worker_process
    from config.celery import app

    community = make_community()
    ritual = make_ritual(community, now=timezone.now() - timedelta(days=8))
    Ritual.objects.filter(pk=ritual.pk).update(next_run_at=timezone.now() - timedelta(seconds=5))
    # Send exactly what beat sends: the task and options from the beat entry in config/celery.py.
    entry = app.conf.beat_schedule["rituals-post-due"]
    for _ in range(2):  # beat firing twice
        app.send_task(entry["task"], **entry.get("options", {}))

    deadline = time.monotonic() + 60
    while not RitualOccurrence.objects.filter(ritual=ritual, status=OccurrenceStatus.POSTED).exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail("no occurrence posted by the worker:\n" + log.read_text()[-3000:])
        time.sleep(0.3)
    # Let the second message be processed too, then check nothing was posted twice.
    deadline = time.monotonic() + 30
    while log.read_text().count("succeeded") < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert log.read_text().count("communities.post_due_rituals") >= 2
    occurrence = RitualOccurrence.objects.get(ritual=ritual, status=OccurrenceStatus.POSTED)
    thread = Thread.objects.get(pk=occurrence.thread_id)
    assert thread.kind == ThreadKind.RITUAL and thread.pinned and thread.space_id == ritual.space_id
    assert Thread.objects.filter(community=community, kind=ThreadKind.RITUAL).count() == 1
    ritual.refresh_from_db()
    assert ritual.next_run_at > timezone.now()
    assert settings.CELERY_TASK_ALWAYS_EAGER  # the test process itself stays eager
