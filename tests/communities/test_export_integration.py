"""A real Celery worker on real Redis builds a community archive and notifies the owner.

Runs in the PostgreSQL + Redis leg. Skips only when REDIS_URL is unset; fails when it is set
but Redis can't be reached. (Its own minimal worker fixture: no shared one on main yet.)
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from django.db import connection

from communities.portability.models import CommunityExport, JobStatus
from members.notifications.models import Notification
from tests.communities.export_helpers import seed_rich_community

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
def export_worker(transactional_db, tmp_path):
    redis_url = _redis_url()
    from config.celery import app

    with app.connection_for_write(redis_url) as conn:
        app.control.purge(connection=conn)
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
        yield tmp_path, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.integration
def test_a_real_worker_builds_the_archive(export_worker):
    var_dir, log = export_worker
    from config.celery import app

    community = seed_rich_community("worker")
    export = CommunityExport.objects.create(community=community, requested_by=community.created_by)
    # send_task always goes through the broker (the test process runs tasks eagerly otherwise).
    app.send_task("communities.tasks.build_community_export", args=[export.pk])
    deadline = time.monotonic() + 90
    while True:
        export.refresh_from_db()
        if export.status in {JobStatus.DONE, JobStatus.FAILED}:
            break
        if time.monotonic() > deadline:
            pytest.fail("the worker did not finish the export:\n" + log.read_text()[-3000:])
        time.sleep(0.5)
    assert export.status == JobStatus.DONE, export.error
    path = var_dir / "exports" / export.file_name
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        assert "manifest.json" in zf.namelist() and zf.testzip() is None
    assert export.size == path.stat().st_size and export.progress == 100
    assert Notification.objects.filter(recipient=community.created_by, kind="export_ready").count() == 1
