"""The one real Celery worker for tests (``@pytest.mark.integration``), shared by every test module.

Use the session-scoped ``celery_worker_proc`` fixture (registered in ``tests/conftest.py``)
together with ``transactional_db`` (the worker is another process: it only sees committed rows)::

    @pytest.mark.integration
    def test_something(transactional_db, celery_worker_proc):
        celery_worker_proc.send("communities.tasks.do_it", 42)
        celery_worker_proc.wait_for(lambda: Thing.objects.filter(...).exists())

How it works: when ``REDIS_URL`` is set, the fixture starts ``celery -A config worker
--pool=solo`` with ``CELERY_TASK_ALWAYS_EAGER=false HEARTH_TESTING=false`` and ``DATABASE_URL``
pointing at pytest-django's *test* database, waits until the worker answers a ping, and stops it
at the end of the session. It consumes a queue of its own and the default queue, so tasks the app
itself publishes reach it too. Tasks are sent with ``send`` (``app.send_task`` on its queue); the
test process keeps running tasks eagerly unless a test wraps its code in ``with
worker.publishing():`` (then ``delay``/``enqueue_on_commit`` publish to the broker for real).
Email goes to files in ``worker.mail_dir``; exports and other files under ``worker.var_dir``.

* ``REDIS_URL`` unset (the SQLite leg): integration tests are skipped with a reason.
* ``REDIS_URL`` set but Redis unreachable, or the worker does not come up: the test FAILS.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import pytest
from celery.exceptions import AlwaysEagerIgnored
from django.conf import settings
from django.db import connection

from config.celery import app

BASE_DIR = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 60


@dataclass
class WorkerProcess:
    process: subprocess.Popen
    hostname: str
    queue: str
    log_path: Path
    var_dir: Path

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    @contextlib.contextmanager
    def publishing(self) -> Iterator[None]:
        """Inside the block the test process publishes tasks to the broker instead of running them
        eagerly, so the app's own ``delay``/``enqueue_on_commit`` calls reach this worker."""
        previous = app.conf.task_always_eager
        app.conf.task_always_eager = False
        try:
            yield
        finally:
            app.conf.task_always_eager = previous

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_since(self, offset: int) -> str:
        """The worker's log written after ``offset`` (from ``log_size()``): this test's part only."""
        with open(self.log_path, "rb") as fh:
            fh.seek(offset)
            return fh.read().decode(errors="replace")

    def send(self, task_name: str, *args: Any, **kwargs: Any) -> None:
        """Publish a task to this worker (never eager, whatever the test settings say)."""
        with warnings.catch_warnings():
            # send_task always publishes; Celery warns that the (test) eager setting is ignored.
            warnings.filterwarnings("ignore", category=AlwaysEagerIgnored)
            app.send_task(task_name, args=args, kwargs=kwargs, queue=self.queue)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30, message: str = "") -> Any:
        """Poll ``predicate`` until it returns something truthy; fail with the worker log if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            if self.process.poll() is not None:
                pytest.fail(f"the Celery worker exited ({self.process.returncode}):\n{self.log_tail()}")
            time.sleep(0.2)
        pytest.fail(f"{message or 'condition'} not met within {timeout}s. Worker log:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no worker log)"


def _require_redis() -> str:
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if not redis_url:
        pytest.skip("integration: REDIS_URL is not set (SQLite leg); runs in the PostgreSQL+Redis leg")
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:
        pytest.fail(f"REDIS_URL is set ({redis_url}) but Redis is unreachable: {exc!r}", pytrace=False)
    return redis_url


def _test_database_url() -> str:
    """DATABASE_URL for the worker: the same server, pytest-django's test database."""
    test_name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql":
        pytest.fail(
            "integration tests need DATABASE_URL=postgres://… as well as REDIS_URL: the worker is "
            "another process and cannot see an in-memory SQLite test database"
        )
    parsed = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(parsed._replace(path=f"/{test_name}"))


@pytest.fixture(scope="session")
def celery_worker_proc(django_db_setup, django_db_blocker) -> Iterator[WorkerProcess]:
    redis_url = _require_redis()
    with django_db_blocker.unblock():
        database_url = _test_database_url()
    tag = uuid.uuid4().hex[:10]
    hostname = f"hearth-test-{tag}@%h"
    queue = f"hearth-test-{tag}"
    var_dir = Path(tempfile.mkdtemp(prefix="hearth-worker-"))
    log_path = var_dir / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "HEARTH_TESTING": "false",
        "DJANGO_DEBUG": "false",
        "HEARTH_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # Webhook tests: the worker may call the test's receiver on 127.0.0.1 (and nothing else
        # private), and retries wait 0.2 s, 1.2 s, … instead of minutes.
        "HEARTH_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
        "HEARTH_WEBHOOK_RETRY_BASE": "0.2",
        # Signed links and absolute URLs in emails must match what the test process checks.
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "SITE_URL": settings.SITE_URL,
        "EMAIL_BACKEND": "file",
    }
    cmd = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
        "-n", hostname, "-Q", f"{queue},celery",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    worker = WorkerProcess(process=process, hostname=hostname.replace("%h", _nodename_host()), queue=queue,
                           log_path=log_path, var_dir=var_dir)  # fmt: skip
    try:
        _wait_until_ready(worker)
        yield worker
    finally:
        process.terminate()  # SIGTERM: warm shutdown, finishes the current task
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _nodename_host() -> str:
    import socket

    return socket.gethostname()


def _wait_until_ready(worker: WorkerProcess) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            code = worker.process.returncode
            pytest.fail(f"the Celery worker exited at start-up ({code}):\n{worker.log_tail()}")
        replies = app.control.ping(destination=[worker.hostname], timeout=1.0)
        if any(worker.hostname in reply for reply in replies):
            return
    pytest.fail(f"the Celery worker did not answer a ping within {READY_TIMEOUT}s:\n{worker.log_tail()}")


@contextlib.contextmanager
def start_worker(
    database_url: str, redis_url: str, extra_env: dict | None = None, queue: str | None = None
) -> Iterator[WorkerProcess]:
    """A worker of the test's own (fault injection: it may be killed), on a queue of its own.

    ``extra_env`` adds or overrides its environment (an SMTP server, a short visibility timeout).
    Tasks it queues itself go to the same queue (``CELERY_TASK_DEFAULT_QUEUE``); pass ``queue`` to
    consume the queue of an earlier, killed worker, whose unacknowledged messages come back there.
    Stopped with SIGTERM at the end unless it is already gone.
    """
    tag = uuid.uuid4().hex[:10]
    hostname = f"hearth-fault-{tag}@%h"
    queue = queue or f"hearth-fault-{tag}"
    var_dir = Path(tempfile.mkdtemp(prefix="hearth-worker-"))
    log_path = var_dir / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "HEARTH_TESTING": "false",
        "DJANGO_DEBUG": "false",
        "HEARTH_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "SITE_URL": settings.SITE_URL,
        **(extra_env or {}),
    }
    cmd = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
        "-n", hostname, "-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    worker = WorkerProcess(process=process, hostname=hostname.replace("%h", _nodename_host()), queue=queue,
                           log_path=log_path, var_dir=var_dir)  # fmt: skip
    try:
        _wait_until_ready(worker)
        yield worker
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@dataclass
class BeatProcess:
    process: subprocess.Popen
    log_path: Path

    def sent(self, entry: str) -> int:
        """How many ticks of ``entry`` (a name of config/celery.py's schedule) beat has sent."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return 0
        return text.count(f"Sending due task {entry}@")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no beat log)"


@contextlib.contextmanager
def start_beat(
    database_url: str, redis_url: str, *, entries: list[str], queues: list[str], seconds: float = 1.0,
    extra_env: dict | None = None,
) -> Iterator[BeatProcess]:  # fmt: skip
    """One real ``celery beat`` process firing the named entries of the real schedule every
    ``seconds`` to each of ``queues`` (``tests/beat.py``); stopped with SIGTERM at the end."""
    var_dir = Path(tempfile.mkdtemp(prefix="hearth-beat-"))
    log_path = var_dir / "beat.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "HEARTH_TESTING": "false",
        "DJANGO_DEBUG": "false",
        "HEARTH_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "HEARTH_TEST_BEAT_ENTRIES": ",".join(entries),
        "HEARTH_TEST_BEAT_QUEUES": ",".join(queues),
        "HEARTH_TEST_BEAT_SECONDS": str(seconds),
        **(extra_env or {}),
    }
    cmd = [
        sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
        "--scheduler", "tests.beat:ClusterScheduler", "--max-interval", "1",
        "--pidfile", str(var_dir / "beat.pid"),
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    beat = BeatProcess(process=process, log_path=log_path)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not beat.sent(entries[0]):
            if process.poll() is not None:
                pytest.fail(f"celery beat exited at start-up ({process.returncode}):\n{beat.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"celery beat sent nothing within {READY_TIMEOUT}s:\n{beat.log_tail()}")
            time.sleep(0.2)
        yield beat
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
