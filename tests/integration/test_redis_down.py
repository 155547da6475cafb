"""Redis down (PostgreSQL+Redis leg): pages render, a reply is saved and answered, its
notification task is recorded as a DeferredTask, and once Redis is back the sweep sends it."""

from __future__ import annotations

import uuid
from datetime import UTC

import pytest
from django.core.cache import cache
from django.urls import reverse

from communities.discussions.models import Post
from config.celery import app
from members.deferred import republish_deferred
from members.models import DeferredTask
from tests.worker import _require_redis

pytestmark = pytest.mark.integration

CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused at once


def _point_broker_at(url: str, **conf: object) -> None:
    app.conf.broker_url = url
    for key, value in conf.items():
        app.conf[key] = value
    # Forget the app's pool and producers (as Celery does after a fork) so the next publish
    # connects to the new URL. kombu keeps one pool per broker URL, so the real broker's pool is
    # found again, open, when the URL is restored: never close it here.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down(settings):
    """The cache and the Celery broker on a closed port, eager off; restored afterwards."""
    _require_redis()  # skip (SQLite leg) or FAIL (Redis unreachable) before touching anything
    real_url = app.conf.broker_url
    saved = {
        "task_always_eager": app.conf.task_always_eager,
        "task_default_queue": app.conf.task_default_queue,
    }
    settings.CACHES = {"default": {"BACKEND": "config.cache.ResilientRedisCache", "LOCATION": CLOSED}}
    _point_broker_at(CLOSED, task_always_eager=False)
    yield real_url
    _point_broker_at(real_url, **saved)


def test_pages_render_and_posting_is_deferred_while_redis_is_down(
    broker_down, client, community, thread, member, django_capture_on_commit_callbacks
):
    redis_url = _require_redis()  # FAILS if REDIS_URL is set but Redis is unreachable
    import redis

    assert cache.get("anything", "miss") == "miss"  # the cache really is the unreachable one
    client.force_login(member.user)
    assert client.get(community.get_absolute_url()).status_code == 200
    assert client.get(thread.get_absolute_url()).status_code == 200

    url = reverse("thread-reply", args=[community.slug, thread.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"body": "Posted while Redis is down"})
    assert response.status_code == 302
    assert Post.objects.filter(thread=thread, body_md="Posted while Redis is down").count() == 1
    deferred = DeferredTask.objects.filter(task_name="communities.tasks.notify_post")
    assert deferred.count() == 1
    post = Post.objects.get(body_md="Posted while Redis is down")
    assert deferred.get().args[0] == post.pk

    # Redis is back: the sweep sends every deferred task (to a queue of this test's own).
    queue = f"hearth-test-redis-down-{uuid.uuid4().hex}"
    _point_broker_at(broker_down, task_default_queue=queue)
    pending = DeferredTask.objects.count()
    sent = republish_deferred()
    assert sent == pending, list(DeferredTask.objects.values("last_error", "attempts"))
    assert not DeferredTask.objects.exists()
    r = redis.Redis.from_url(redis_url)
    try:
        assert r.llen(queue) == pending  # the messages really reached Redis
    finally:
        r.delete(queue)


def test_dashboard_shows_last_snapshot_and_its_time_while_redis_is_down(
    broker_down, client, community, owner
):
    _require_redis()
    from datetime import datetime

    from metrics.models import DailySnapshot
    from metrics.services import last_complete_day

    computed = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    DailySnapshot.objects.create(
        community=community,
        day=last_complete_day(community),
        time_zone=community.time_zone,
        computed_at=computed,
        dau=3,
        wau=5,
        mau=9,
        members=12,
    )
    client.force_login(owner.user)
    response = client.get(reverse("metrics-dashboard", args=[community.slug]))
    assert response.status_code == 200
    assert "Computed 4 Mar 2026, 05:06 UTC" in response.content.decode()
