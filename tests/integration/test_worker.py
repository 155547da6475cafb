"""A real Celery worker on real Redis runs a task sent from here and its effect is visible."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from config import heartbeat

pytestmark = pytest.mark.integration


def test_worker_runs_heartbeat_task(
    transactional_db, celery_worker_proc, heartbeat_token, client, settings, tmp_path
):
    # Read heartbeats only from the shared cache (Redis), not from a var/ file that a local
    # `make run` worker may be writing at the same time.
    settings.VAR_DIR = tmp_path
    celery_worker_proc.send("config.tasks.heartbeat", token=heartbeat_token)

    beat = celery_worker_proc.wait_for(
        lambda: (b := heartbeat.last()) and b.get("token") == heartbeat_token and b,
        message="the worker's heartbeat with our token",
    )
    # It ran in the worker process, against this run's test database.
    assert beat["database_ok"] is True
    assert beat["database_name"] == connection.settings_dict["NAME"]
    import os

    assert beat["pid"] != os.getpid()
    assert beat["hostname"]
    # /healthz reports it (to operators: here a monitoring system with the token).
    settings.HEARTH_HEALTHZ_TOKEN = "monitoring-token"
    data = client.get(reverse("healthz"), HTTP_AUTHORIZATION="Bearer monitoring-token").json()
    assert data["worker"]["last_heartbeat"] == beat["at"]
    assert data["worker"]["age_seconds"] is not None
