"""Fault injection with real processes (PostgreSQL+Redis leg; issue 18).

* a hung Redis: a TCP server on 127.0.0.1 that accepts connections and never answers, as cache
  and broker: a reply still completes in well under a second, is stored once, and its
  notification task is deferred to the database;
* a Celery worker killed with SIGKILL in the middle of sending an email: the message comes
  back, and the stuck-work sweep finishes the email, exactly once at the SMTP server;
* ``pg_terminate_backend`` of the worker's and the web server's database connections: tasks
  are retried, replies keep working, nothing is lost or sent twice;
* races on PostgreSQL: concurrent metric range runs, identical replies while Redis is down,
  four parallel submissions of one invite form.

Every test asserts "nothing lost, nothing doubled". ``.ci/run`` sets HEARTH_REQUIRE_SERVICES=true
on this leg, so a skip here fails CI.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from communities.discussions.models import Post
from config import cache as resilient_cache
from config.celery import app
from members.models import DeferredTask, Invite
from members.notifications.models import DeliveryStatus, Notification, NotificationEmail
from tests.worker import BASE_DIR, _require_redis, _test_database_url, start_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

KEY = re.compile(r'name="submission_key"[^>]*value="([^"]+)"')


def _require_postgres() -> None:
    _require_redis()
    if connection.vendor != "postgresql":
        pytest.fail("fault injection needs DATABASE_URL=postgres://… as well as REDIS_URL")


# --- Servers that misbehave ------------------------------------------------------------------------


class HungServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte (a hung Redis)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)  # keep it open, say nothing

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def close(self) -> None:
        for conn in self.accepted:
            with contextlib.suppress(OSError):
                conn.close()
        self.sock.close()


class TinySMTP:
    """A minimal SMTP server that records each message's Message-ID. While ``hang`` is set, a
    new connection is accepted and never greeted (the sender waits for its timeout)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hang = False
        self.hung: list[socket.socket] = []
        self.message_ids: list[str] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.hang:
                self.hung.append(conn)
                continue
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        f = conn.makefile("rwb")

        def say(line: str) -> None:
            f.write(line.encode() + b"\r\n")
            f.flush()

        try:
            say("220 tiny ESMTP")
            while True:
                line = f.readline()
                if not line:
                    return
                verb = line.decode(errors="replace").strip().split(" ")[0].upper()
                if verb in {"EHLO", "HELO"}:
                    say("250 tiny")
                elif verb in {"MAIL", "RCPT", "RSET", "NOOP"}:
                    say("250 ok")
                elif verb == "DATA":
                    say("354 go ahead")
                    data = []
                    while (chunk := f.readline()) not in {b".\r\n", b""}:
                        data.append(chunk)
                    text = b"".join(data).decode(errors="replace")
                    found = re.search(r"^Message-ID:\s*(\S+)", text, re.MULTILINE | re.IGNORECASE)
                    self.message_ids.append(found.group(1) if found else "?")
                    say("250 queued")
                elif verb == "QUIT":
                    say("221 bye")
                    return
                else:
                    say("502 no")
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        for conn in self.hung:
            with contextlib.suppress(OSError):
                conn.close()
        self.sock.close()


@pytest.fixture
def hung_redis() -> Iterator[HungServer]:
    server = HungServer()
    yield server
    server.close()


@pytest.fixture
def smtp() -> Iterator[TinySMTP]:
    server = TinySMTP()
    yield server
    server.close()


def _point_broker_at(url: str, **conf: object) -> None:
    app.conf.broker_url = url
    for key, value in conf.items():
        app.conf[key] = value
    app._pool = None
    app.amqp._producer_pool = None


# --- A hung Redis --------------------------------------------------------------------------------------


def test_reply_under_a_hung_redis_takes_under_a_second(hung_redis, settings, community, member, thread):
    _require_postgres()
    real_broker = app.conf.broker_url
    saved = {"task_always_eager": app.conf.task_always_eager}
    hung_cache = {**django_settings.CACHES["default"], "LOCATION": hung_redis.url}
    settings.CACHES = {"default": hung_cache}
    settings.RATE_LIMITS_ENABLED = True
    resilient_cache.reset_breakers()
    _point_broker_at(hung_redis.url, task_always_eager=False)
    try:
        client = Client()
        client.force_login(member.user)
        started = time.perf_counter()
        page = client.get(thread.get_absolute_url())
        page_seconds = time.perf_counter() - started
        assert page.status_code == 200
        key = KEY.search(page.content.decode()).group(1)
        resilient_cache.reset_breakers()  # the reply pays for discovering the hang itself
        url = reverse("thread-reply", args=[community.slug, thread.pk])
        started = time.perf_counter()
        response = client.post(url, {"body": "Posted while Redis hangs", "submission_key": key})
        reply_seconds = time.perf_counter() - started
        again = client.post(url, {"body": "Posted while Redis hangs", "submission_key": key})
    finally:
        _point_broker_at(real_broker, **saved)
        resilient_cache.reset_breakers()
    print(f"\nhung Redis: thread page {page_seconds:.3f} s, reply {reply_seconds:.3f} s")
    assert response.status_code == 302 and again.status_code == 302
    assert reply_seconds < 1.0, f"a reply took {reply_seconds:.2f} s under a hung Redis"
    assert page_seconds < 2.0
    post = Post.objects.get(thread=thread, body_md="Posted while Redis hangs")  # exactly one
    deferred = DeferredTask.objects.filter(task_name="communities.tasks.notify_post")
    assert [d.args[0] for d in deferred] == [post.pk]  # nothing lost: sent when Redis is back


# --- A worker killed with SIGKILL in the middle of a task ----------------------------------------


def _pending_email(recipient) -> Notification:
    """A committed notification with its pending email row (as ``notification_create`` writes)."""
    n = Notification.objects.create(recipient=recipient, kind=Notification.Kind.MENTION, text="Hello")
    NotificationEmail.objects.get_or_create(notification=n, defaults={"recipient": recipient})
    return n


def _statuses(ids: list[int]) -> list[str]:
    rows = dict(
        NotificationEmail.objects.filter(notification_id__in=ids).values_list("notification_id", "status")
    )
    return [rows.get(i, "") for i in ids]


def test_worker_killed_mid_send_loses_nothing_and_sends_once(smtp, make_user):
    _require_postgres()
    redis_url = _require_redis()
    database_url = _test_database_url()
    people = [make_user() for _ in range(3)]
    env = {
        "EMAIL_BACKEND": "smtp",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "120",
        "CELERY_VISIBILITY_TIMEOUT": "3",  # unacked messages come back after 3 s (production: 30 min)
        "HEARTH_EMAIL_STALE_SECONDS": "2",  # "sending" for longer than this is stuck
    }
    first = _pending_email(people[0])
    smtp.hang = True
    with start_worker(database_url, redis_url, env) as doomed:
        doomed.send("members.tasks.send_notification_email", first.pk)
        doomed.wait_for(lambda: _statuses([first.pk]) == [DeliveryStatus.SENDING] and smtp.hung,
                        message="the worker to claim the email and connect to SMTP")  # fmt: skip
        os.kill(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait(timeout=10)
        queue = doomed.queue
    smtp.hang = False
    rest = [_pending_email(p) for p in people[1:]]
    ids = [first.pk] + [n.pk for n in rest]
    # The same queue: the killed worker's unacked message comes back there.
    with start_worker(database_url, redis_url, env, queue=queue) as worker:
        for n in rest:
            worker.send("members.tasks.send_notification_email", n.pk)
        worker.wait_for(lambda: _statuses(ids[1:]) == [DeliveryStatus.SENT] * 2, message="the other emails")
        # The killed task's message is redelivered (acks_late + visibility timeout) and finds the
        # row claimed; the sweep takes the stale claim back and sends it once.
        deadline = time.monotonic() + 60
        while _statuses([first.pk]) != [DeliveryStatus.SENT] and time.monotonic() < deadline:
            worker.send("members.tasks.sweep_stuck_work")
            time.sleep(3)
        assert _statuses(ids) == [DeliveryStatus.SENT] * 3, worker.log_tail()
        assert "members.tasks.send_notification_email" in worker.log_path.read_text()
    assert len(smtp.message_ids) == 3, smtp.message_ids  # nothing doubled
    assert len(set(smtp.message_ids)) == 3
    for n in [first, *rest]:
        assert any(mid.startswith(f"<notification-{n.pk}.") for mid in smtp.message_ids)


# --- pg_terminate_backend -------------------------------------------------------------------------------


def _terminate_other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_worker_database_connection_terminated_mid_task(smtp, make_user):
    """Item 4: the worker's connection is terminated while a task runs (Celery opens a fresh
    connection before each task, so mid-task is where it hurts). The email claimed by that task
    is finished once by the sweep; the tasks after it run normally."""
    _require_postgres()
    people = [make_user() for _ in range(3)]
    env = {
        "EMAIL_BACKEND": "smtp",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "4",
        "HEARTH_EMAIL_STALE_SECONDS": "2",
    }
    with start_worker(_test_database_url(), _require_redis(), env) as worker:
        first = _pending_email(people[0])
        smtp.hang = True
        worker.send("members.tasks.send_notification_email", first.pk)
        worker.wait_for(lambda: _statuses([first.pk]) == [DeliveryStatus.SENDING] and smtp.hung,
                        message="the worker to claim the email and wait on SMTP")  # fmt: skip
        assert _terminate_other_connections() >= 1  # the worker's connection, mid-task
        smtp.hang = False
        rest = [_pending_email(p) for p in people[1:]]
        for n in rest:
            worker.send("members.tasks.send_notification_email", n.pk)
        ids = [first.pk] + [n.pk for n in rest]
        deadline = time.monotonic() + 90
        while _statuses(ids) != [DeliveryStatus.SENT] * 3 and time.monotonic() < deadline:
            worker.send("members.tasks.sweep_stuck_work")
            time.sleep(3)
        assert _statuses(ids) == [DeliveryStatus.SENT] * 3, worker.log_tail()
    assert len(smtp.message_ids) == 3 and len(set(smtp.message_ids)) == 3, smtp.message_ids


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _web_server(database_url: str, redis_url: str) -> Iterator[str]:
    """gunicorn serving the site on the test database (one worker, so one connection)."""
    port = _free_port()
    var_dir = Path(tempfile.mkdtemp(prefix="hearth-web-"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "HEARTH_TESTING": "false",
        "DJANGO_DEBUG": "true",  # static files from the source folders (no collectstatic here)
        # The test's key: the session made here carries a hash signed with it.
        "DJANGO_SECRET_KEY": django_settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "HEARTH_VAR_DIR": str(var_dir),
        "HEARTH_TRACK_LAST_SEEN": "false",
        "RATE_LIMITS_ENABLED": "false",  # three replies in a row by a new member, on purpose
    }
    log = open(var_dir / "web.log", "wb")  # noqa: SIM115 - closed below
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        "1",
        "--timeout",
        "60",
    ]
    process = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


class _Browser:
    """Just enough of a browser: cookies, CSRF header, no redirects followed."""

    def __init__(self, base: str, session_key: str) -> None:
        self.base = base
        self.cookies = {django_settings.SESSION_COOKIE_NAME: session_key}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
        import http.client
        from urllib.parse import urlencode, urlparse

        parsed = urlparse(self.base)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        conn.close()
        return response.status, text


def test_web_server_survives_terminated_connections(community, member, thread):
    _require_postgres()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(member.user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = member.user.get_session_auth_hash()
    session.save()
    with _web_server(_test_database_url(), _require_redis()) as base:
        browser = _Browser(base, session.session_key)
        path = thread.get_absolute_url()
        status, html = browser.request("GET", path)
        assert status == 200, html[:500]
        url = reverse("thread-reply", args=[community.slug, thread.pk])
        bodies = []
        for i in range(3):
            assert _terminate_other_connections() >= 1  # the web server's connection
            key = KEY.search(html).group(1)
            bodies.append(f"Reply {i} after the connection was cut")
            status, _ = browser.request("POST", url, {"body": bodies[-1], "submission_key": key})
            assert status == 302, _
            status, html = browser.request("GET", path)
            assert status == 200
    stored = list(Post.objects.filter(thread=thread, is_opening=False).values_list("body_md", flat=True))
    assert sorted(stored) == sorted(bodies)  # each reply once, none lost


# --- Races on PostgreSQL -------------------------------------------------------------------------------


def _race(n: int, fn) -> list[object]:
    """Run ``fn(i)`` in ``n`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # collected and asserted on by the caller
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_cohort_refreshes_do_not_collide(community, member, thread):
    """Item 1: two or three metric range runs of one community at once."""
    _require_postgres()
    from metrics.models import RetentionCohort
    from metrics.services import cohorts_refresh, metrics_compute_range

    metrics_compute_range(community_id=community.pk)
    results = _race(3, lambda i: cohorts_refresh(community_id=community.pk))
    assert [r for r in results if isinstance(r, Exception)] == []
    rows = list(RetentionCohort.objects.filter(community=community).values_list("week_start", flat=True))
    assert len(rows) == len(set(rows))


def test_identical_replies_at_once_with_redis_down_store_one(settings, community, member, thread):
    """Item 2: five concurrent identical replies while Redis is down."""
    _require_postgres()
    from django.core.exceptions import ValidationError

    from communities.discussions.services import post_create

    settings.CACHES = {"default": {**django_settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    settings.RATE_LIMITS_ENABLED = True
    resilient_cache.reset_breakers()

    def reply(i: int) -> object:
        return post_create(author=member, thread=thread, body_md="Five clicks, one post")

    results = _race(5, reply)
    resilient_cache.reset_breakers()
    assert sum(isinstance(r, Post) for r in results) == 1, results
    assert all(isinstance(r, Post | ValidationError) for r in results), results
    assert Post.objects.filter(thread=thread, body_md="Five clicks, one post").count() == 1


def test_four_parallel_invite_submissions_create_one(owner, community):
    """Item 12: four parallel submissions of the invite form."""
    _require_postgres()
    url = reverse("invites", args=[community.slug])
    probe = Client()
    probe.force_login(owner.user)
    key = KEY.search(probe.get(url).content.decode()).group(1)
    before = Invite.objects.filter(community=community).count()

    def submit(i: int) -> int:
        client = Client()
        client.force_login(owner.user)
        data = {"max_uses": 1, "expires_in": "7d", "note": "for the four", "submission_key": key}
        return client.post(url, data).status_code

    statuses = _race(4, submit)
    assert statuses == [302] * 4, statuses
    assert Invite.objects.filter(community=community).count() == before + 1


def test_sweep_after_the_fact_is_idempotent_under_concurrency(member, thread):
    """Two sweeps at once re-queue a stuck email once."""
    _require_postgres()
    from members.notifications.emails import email_sweep

    n = _pending_email(member.user)
    NotificationEmail.objects.filter(notification=n).update(
        status=DeliveryStatus.SENDING, attempts=1, claimed_at=timezone.now() - timedelta(hours=2)
    )
    results = _race(2, lambda i: email_sweep(now=timezone.now(), enqueue=False)["stale_sending"])
    assert sorted(results) == [0, 1], results
