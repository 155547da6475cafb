"""A real Celery worker on real Redis sends a mention email once the transaction commits.

Runs in the PostgreSQL + Redis leg (the shared worker of tests/worker.py). Skips only when REDIS_URL
is unset (the SQLite leg); fails when REDIS_URL is set but Redis cannot be reached.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.db import transaction

from members.notifications.models import Notification, NotificationEmail
from members.notifications.services import notification_create

pytestmark = pytest.mark.integration


def test_real_worker_sends_mention_email_after_commit(
    transactional_db, celery_worker_proc, member, owner, thread, make_post
):
    post = make_post(owner, thread, body="@someone what do you think of **this**?")
    mail_dir = celery_worker_proc.mail_dir
    before = set(mail_dir.glob("*.log")) if mail_dir.exists() else set()
    with celery_worker_proc.publishing(), transaction.atomic():
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
        # Nothing is queued until the transaction commits: the email row (written with the
        # notification) is still pending and nothing was sent.
        assert not NotificationEmail.objects.filter(notification_id=n.pk).exclude(status="pending").exists()
        assert not (set(mail_dir.glob("*.log")) - before if mail_dir.exists() else set())
    deadline = time.monotonic() + 60
    files: list[Path] = []
    while time.monotonic() < deadline:
        files = sorted(set(mail_dir.glob("*.log")) - before) if mail_dir.exists() else []
        if any(f"To: {member.user.email}" in f.read_text() for f in files):
            break
        time.sleep(0.5)
    assert files, f"no email written within 60 s; worker log:\n{celery_worker_proc.log_tail()}"
    time.sleep(1)  # let the worker record the outcome
    # The worker is shared: only this test's recipient counts (one message, sent once).
    messages = [
        m for f in sorted(set(mail_dir.glob("*.log")) - before) for m in f.read_text().split("-" * 79)
    ]
    mine = [m for m in messages if f"To: {member.user.email}" in m]
    assert len(mine) == 1
    raw = mine[0]
    assert f"To: {member.user.email}" in raw
    assert f"{thread.get_absolute_url()}#post-{post.pk}" in raw
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    assert NotificationEmail.objects.get(notification_id=n.pk).status == "sent"
