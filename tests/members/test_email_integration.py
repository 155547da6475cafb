"""A real Celery worker on real Redis sends a mention email once the transaction commits.

Runs in the PostgreSQL + Redis leg. Skips only when REDIS_URL is unset (the SQLite leg); fails
when REDIS_URL is set but Redis cannot be reached.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction

from members.notifications.models import Notification, NotificationEmail
from members.notifications.services import notification_create

pytestmark = pytest.mark.integration
BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set: the real-worker test runs in the PostgreSQL + Redis leg")
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        client.ping()
    except Exception as exc:
        pytest.fail(f"REDIS_URL={url} is set but Redis is unreachable: {exc}")
    # Stale messages from an earlier, interrupted run would only confuse the worker.
    client.delete("celery")
    return url


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.fail(
            "The real-worker test needs DATABASE_URL (PostgreSQL) so the worker can share the test database"
        )
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def real_worker(redis_url, transactional_db, tmp_path):
    """A `celery worker --pool=solo` subprocess on the test database, mailing to files."""
    from config.celery import app

    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "HEARTH_TESTING": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "SITE_URL": settings.SITE_URL,
        "EMAIL_BACKEND": "file",
        "HEARTH_VAR_DIR": str(tmp_path),
    }
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed in teardown
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield tmp_path
    finally:
        app.conf.task_always_eager = eager
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_real_worker_sends_mention_email_after_commit(real_worker, member, owner, thread, make_post):
    post = make_post(owner, thread, body="@someone what do you think of **this**?")
    mail_dir = real_worker / "mail"
    with transaction.atomic():
        n = notification_create(
            recipient_id=member.user_id,
            kind=Notification.Kind.MENTION,
            text=f"{owner.user.name} mentioned you",
            community_id=thread.community_id,
            thread_id=thread.pk,
            post_id=post.pk,
            actor_id=owner.user_id,
        )
        time.sleep(1)
        # Nothing is queued until the transaction commits.
        assert not NotificationEmail.objects.filter(notification_id=n.pk).exists()
    deadline = time.monotonic() + 60
    files: list[Path] = []
    while time.monotonic() < deadline:
        files = sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []
        if files:
            break
        time.sleep(0.5)
    worker_log = (real_worker / "worker.log").read_text(errors="replace")
    assert files, f"no email written within 60 s; worker log:\n{worker_log[-3000:]}"
    time.sleep(1)  # let the worker record the outcome
    raw = "".join(f.read_text() for f in sorted(mail_dir.glob("*.log")))
    assert raw.count("Subject: ") == 1
    assert f"To: {member.user.email}" in raw
    assert f"{thread.get_absolute_url()}#post-{post.pk}" in raw
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    assert NotificationEmail.objects.get(notification_id=n.pk).status == "sent"
