"""A real Celery worker on real Redis builds a community archive and notifies the owner.

Runs in the PostgreSQL + Redis leg (the shared worker of tests/worker.py): skipped only when
REDIS_URL is unset; fails when it is set but Redis can't be reached.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from communities.portability.models import CommunityExport, JobStatus
from members.notifications.models import Notification, NotificationEmail
from tests.communities.export_helpers import seed_rich_community


@pytest.mark.integration
def test_a_real_worker_builds_the_archive(transactional_db, celery_worker_proc):
    community = seed_rich_community("worker")
    export = CommunityExport.objects.create(community=community, requested_by=community.created_by)
    celery_worker_proc.send("communities.tasks.build_community_export", export.pk)

    def finished() -> bool:
        export.refresh_from_db()
        return export.status in {JobStatus.DONE, JobStatus.FAILED}

    celery_worker_proc.wait_for(finished, timeout=90, message="the export finished")
    assert export.status == JobStatus.DONE, export.error
    path = celery_worker_proc.var_dir / "exports" / export.file_name
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        assert "manifest.json" in zf.namelist() and zf.testzip() is None
    assert export.size == path.stat().st_size and export.progress == 100
    # The job is marked done first, then the owner is notified (a separate write): wait for it.
    celery_worker_proc.wait_for(
        lambda: Notification.objects.filter(recipient=community.created_by, kind="export_ready").exists(),
        timeout=30,
        message="the owner was notified",
    )
    assert Notification.objects.filter(recipient=community.created_by, kind="export_ready").count() == 1
    # The worker is shared by the session: let it finish this test's follow-up (the owner's email)
    # before the database is flushed under it.
    celery_worker_proc.wait_for(
        lambda: (
            not NotificationEmail.objects.filter(
                notification__recipient=community.created_by, status__in=["pending", "sending"]
            ).exists()
        ),
        timeout=60,
        message="the export-ready email was handled",
    )
