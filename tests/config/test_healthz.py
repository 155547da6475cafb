from __future__ import annotations

import pytest
from django.urls import reverse

from config import heartbeat
from config.tasks import heartbeat as heartbeat_task


@pytest.fixture
def operator_client(client, settings):
    """Details are for operators: a monitoring system with the token (anonymous callers get the
    status only, tests/reliability/test_exposure.py)."""
    settings.HEARTH_HEALTHZ_TOKEN = "monitoring-token"
    client.defaults["HTTP_AUTHORIZATION"] = "Bearer monitoring-token"
    return client


@pytest.mark.django_db
def test_healthz_reports_each_dependency_as_json(operator_client):
    client = operator_client
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    data = response.json()
    assert data["status"] == "ok"
    for part in ("database", "cache", "broker"):
        assert data[part]["ok"] is True, data
        assert isinstance(data[part]["ms"], float)
    assert data["database"]["vendor"] in {"sqlite", "postgresql"}
    assert data["cache"]["backend"] in {"redis", "local-memory"}
    assert data["broker"]["transport"] in {"redis", "filesystem"}


@pytest.mark.django_db
def test_healthz_reports_last_worker_heartbeat(operator_client, settings, tmp_path):
    client = operator_client
    settings.VAR_DIR = tmp_path
    from django.core.cache import cache

    cache.delete(heartbeat.CACHE_KEY)
    assert client.get(reverse("healthz")).json()["worker"]["last_heartbeat"] is None
    heartbeat_task.delay(token="abc")  # eager in tests: runs the real task in-process
    data = client.get(reverse("healthz")).json()["worker"]
    beat = heartbeat.last()
    assert beat is not None and beat["token"] == "abc" and beat["database_ok"] is True
    assert data["last_heartbeat"] == beat["at"]
    assert 0 <= data["age_seconds"] < 60
    # The file copy is what a web process reads when the worker is another process (make run).
    assert (tmp_path / "worker-heartbeat.json").exists()


def test_healthz_rejects_post(client, db):
    assert client.post(reverse("healthz")).status_code == 405
