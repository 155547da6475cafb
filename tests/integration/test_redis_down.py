"""Redis down (PostgreSQL+Redis leg): pages render, a reply is saved and answered, its
notification task is recorded as a DeferredTask, and once Redis is back the sweep sends it."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from django.urls import reverse

from communities.models import Post
from config.celery import app
from members.deferred import republish_deferred
from members.models import DeferredTask
from tests.integration.conftest import _require_redis

pytestmark = pytest.mark.integration

CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused at once


def _point_broker_at(url: str, **conf: object) -> None:
    app.conf.broker_url = url
    for key, value in conf.items():
        app.conf[key] = value
    # Drop the pooled connections and producers (as Celery does after a fork) so the next
    # publish connects to the new URL.
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down(settings):
    """The cache and the Celery broker on a closed port, eager off; restored afterwards."""
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
