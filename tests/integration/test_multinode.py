"""Hearth on several machines: two gunicorn web nodes and two Celery workers, one PostgreSQL, one
Redis, driven over real HTTP.

Proves that what must be shared is shared: a session made on node A works on node B; the posting
rate limit (cache) holds across nodes; the review queue's "already handled" holds when two
moderators act on one item from different nodes at once; a due ritual is posted once when both
workers get the task at the same time.

Runs in the PostgreSQL+Redis leg (``integration``: skipped only when REDIS_URL is unset, and that
skip fails the leg under HEARTH_REQUIRE_SERVICES=true). ``bench/pgbouncer.sh`` runs it again with
the nodes and workers connecting through PgBouncer in transaction-pooling mode
(``HEARTH_TEST_POOLER_URL``, see tests/webnode.py).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.urls import reverse

from communities.discussions.models import Post
from communities.rituals.models import OccurrenceStatus, RitualOccurrence
from members.models import Role, User
from moderation.hooks import flag_create
from moderation.models import AuditLogEntry
from tests.conftest import PASSWORD
from tests.webnode import Browser, WebNode, collect_static, node_database_url, pooler_url, start_web_node
from tests.worker import WorkerProcess, _require_redis, _test_database_url, start_worker

pytestmark = pytest.mark.integration


@dataclass
class Cluster:
    a: WebNode
    b: WebNode
    worker_1: WorkerProcess
    worker_2: WorkerProcess


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker) -> Iterator[Cluster]:
    redis_url = _require_redis()
    with django_db_blocker.unblock():
        database_url = node_database_url(_test_database_url())
    # A cache namespace of this run: nothing cached by an earlier run (same ids) is seen.
    prefix = {"CACHE_KEY_PREFIX": f"hearth-mn-{uuid.uuid4().hex[:8]}"}
    pooled = {"DATABASE_POOLER": "transaction"} if pooler_url() else {}
    var_dir = collect_static(database_url, redis_url)
    with (
        start_worker(database_url, redis_url, extra_env={**prefix, **pooled}) as worker_1,
        start_worker(database_url, redis_url, extra_env={**prefix, **pooled}) as worker_2,
    ):
        # The web nodes publish their after-commit tasks to worker 1's queue.
        extra = {**prefix, "CELERY_TASK_DEFAULT_QUEUE": worker_1.queue}
        with (
            _env(extra),
            start_web_node("a", database_url, redis_url, var_dir) as a,
            start_web_node("b", database_url, redis_url, var_dir) as b,
        ):
            yield Cluster(a=a, b=b, worker_1=worker_1, worker_2=worker_2)
    if pooler_url():
        # PgBouncer keeps server connections to the test database open; let it be dropped.
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


class _env:
    """Set environment variables for the processes started inside the block."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        import os

        for key, value in self.values.items():
            self.saved[key] = os.environ.get(key)
            os.environ[key] = value

    def __exit__(self, *exc: object) -> None:
        import os

        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _production_password(user: User) -> None:
    """The nodes run with production hashers (the test process uses MD5 for speed): store a PBKDF2
    hash (few iterations, to keep the test quick) that both can check."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])


def _signed_in(node: WebNode, user: User) -> Browser:
    browser = Browser()
    _production_password(user)
    answer = browser.log_in(node, user.handle, PASSWORD)
    assert answer.status == 302, f"log-in on node {node.name} failed ({answer.status}):\n{answer.text[:800]}"
    assert browser.cookie("sessionid"), "the log-in set a session cookie"
    return browser


def test_a_session_made_on_one_node_works_on_the_other(transactional_db, cluster, member):
    browser = _signed_in(cluster.a, member.user)
    on_b = browser.get(cluster.b.url(reverse("notifications")))
    assert on_b.status == 200, on_b.text[:500]
    assert f"@{member.user.handle}" in on_b.text or member.user.handle in on_b.text
    # Without the cookie node B sends the visitor to log in: the page above was the session's.
    anonymous = Browser().get(cluster.b.url(reverse("notifications")))
    assert anonymous.status == 302 and "/accounts/login/" in anonymous.headers["Location"]
    # Logging out on B ends the session on A too.
    assert browser.post(cluster.b.url("/accounts/logout/"), {}).status == 302
    again = browser.get(cluster.a.url(reverse("notifications")))
    assert again.status == 302 and "/accounts/login/" in again.headers["Location"]


def test_the_posting_rate_limit_holds_across_nodes(transactional_db, cluster, community, member, make_thread):
    thread = make_thread(member)
    reply_url = reverse("thread-reply", args=[community.slug, thread.pk])
    browser = _signed_in(cluster.a, member.user)
    assert browser.get(cluster.a.url(thread.get_absolute_url())).status == 200
    first = browser.post(cluster.a.url(reply_url), {"body": "First reply, from node A."})
    assert first.status == 302, first.text[:800]
    second = browser.post(cluster.b.url(reply_url), {"body": "Second reply, from node B, right after."})
    assert second.status == 429, f"node B accepted a reply within the interval ({second.status})"
    assert "Retry-After" in second.headers
    assert "posting faster than this community allows" in second.text
    assert "Second reply, from node B" in second.text  # the form keeps what was typed
    bodies = list(Post.objects.filter(thread=thread).order_by("pk").values_list("body_md", flat=True))
    assert bodies[1:] == ["First reply, from node A."]


def test_already_handled_holds_when_two_moderators_act_from_two_nodes(
    transactional_db, cluster, community, make_member, make_thread
):
    author = make_member(community)
    post = Post.objects.filter(thread=make_thread(author)).order_by("pk").first()
    flag_create(membership=make_member(community), post=post, reason="spam")
    mods = [make_member(community, role=Role.MODERATOR) for _ in range(2)]
    nodes = [cluster.a, cluster.b]
    browsers = [_signed_in(node, m.user) for node, m in zip(nodes, mods, strict=True)]
    url = reverse("mod-queue-flag", args=[community.slug, post.pk])
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def act(i: int, action: str) -> None:
        barrier.wait(timeout=10)
        answers[i] = browsers[i].post(nodes[i].url(url), {"action": action}, headers={"HX-Request": "true"})

    threads = [threading.Thread(target=act, args=(i, action)) for i, action in enumerate(["keep", "delete"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(a is not None and a.status == 200 for a in answers), answers
    handled = ["already handled by" in a.text for a in answers]
    assert sorted(handled) == [False, True], [a.text[:300] for a in answers]
    winner = handled.index(False)
    loser_text = answers[1 - winner].text
    assert f"already handled by @{mods[winner].user.handle}" in loser_text
    assert AuditLogEntry.objects.filter(community=community).count() == 1
    post.refresh_from_db()
    if winner == 0:  # "keep" won: the delete was not applied
        assert post.removed_at is None and post.body_md
    else:
        assert post.removed_at is not None


def test_a_due_ritual_is_posted_once_when_both_workers_get_the_task(
    transactional_db, cluster, community, make_ritual
):
    ritual = make_ritual(community)
    assert ritual.next_run_at is not None
    offsets = [cluster.worker_1.log_size(), cluster.worker_2.log_size()]
    # Beat fired on two machines (or twice): both workers receive the due task at the same moment.
    barrier = threading.Barrier(2)

    def fire(worker: WorkerProcess) -> None:
        barrier.wait(timeout=10)
        worker.send("communities.post_due_rituals")

    threads = [threading.Thread(target=fire, args=(w,)) for w in (cluster.worker_1, cluster.worker_2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    done = re.compile(r"communities\.post_due_rituals\[[^\]]+\] succeeded in [0-9.]+s: (\d+)")
    results: list[int] = []
    for worker, offset in zip((cluster.worker_1, cluster.worker_2), offsets, strict=True):
        match = worker.wait_for(
            lambda w=worker, o=offset: done.search(w.log_since(o)), message="ritual task ran"
        )
        results.append(int(match.group(1)))
    assert sorted(results) == [0, 1], f"posted counts per worker: {results}"
    posted = RitualOccurrence.objects.filter(ritual=ritual, status=OccurrenceStatus.POSTED)
    assert posted.count() == 1
    assert posted.get().thread_id is not None
