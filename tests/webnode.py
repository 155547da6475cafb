"""Real web nodes for the multi-node tests: gunicorn processes serving ``config.wsgi`` against
pytest-django's test database, with production-like settings.

Each node is a separate process on a free port (``DJANGO_DEBUG=false``, ``HEARTH_TESTING=false``,
the test process's ``DJANGO_SECRET_KEY``, Redis as cache and broker). Static files are collected
once per session into a temporary folder (the manifest storage needs them), shared by the nodes.

``HEARTH_TEST_POOLER_URL`` (e.g. ``postgres://postgres@127.0.0.1:6432``) makes the nodes and the
workers started through :func:`node_database_url` connect through a pooler such as PgBouncer in
transaction mode: the host and port of the test database URL are replaced with the pooler's and
``DATABASE_POOLER=transaction`` is set (``bench/pgbouncer.sh`` runs the multi-node test so).
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 60


def pooler_url() -> str:
    return os.environ.get("HEARTH_TEST_POOLER_URL", "").strip()


def node_database_url(test_database_url: str) -> str:
    """The test database's URL as the nodes and workers should use it (through the pooler, if any)."""
    pooler = pooler_url()
    if not pooler:
        return test_database_url
    target = urlparse(test_database_url)
    via = urlparse(pooler)
    return urlunparse(target._replace(netloc=via.netloc))


def node_env(database_url: str, redis_url: str, var_dir: Path) -> dict[str, str]:
    """The environment of a production-like node (web or worker)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "HEARTH_TESTING": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "SITE_URL": settings.SITE_URL,
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain http on 127.0.0.1: no TLS redirect, cookies not limited to https.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "EMAIL_BACKEND": "file",
        "HEARTH_VAR_DIR": str(var_dir),
    }
    if pooler_url():
        env["DATABASE_POOLER"] = "transaction"
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class WebNode:
    name: str
    process: subprocess.Popen
    port: int
    log_path: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def collect_static(database_url: str, redis_url: str) -> Path:
    """Collect static files once into a temporary HEARTH_VAR_DIR (production storage needs the manifest)."""
    var_dir = Path(tempfile.mkdtemp(prefix="hearth-node-"))
    env = node_env(database_url, redis_url, var_dir)
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"collectstatic for the web nodes failed:\n{done.stdout}\n{done.stderr}")
    return var_dir


@contextlib.contextmanager
def start_web_node(name: str, database_url: str, redis_url: str, var_dir: Path) -> Iterator[WebNode]:
    """One gunicorn node (2 sync workers) on a free port; stopped with SIGTERM at the end."""
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix=f"hearth-{name}-")) / "gunicorn.log"
    env = node_env(database_url, redis_url, var_dir)
    cmd = [
        sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", "2", "--timeout", "60", "--graceful-timeout", "5", "--log-level", "info",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    node = WebNode(name=name, process=process, port=port, log_path=log_path)
    try:
        _wait_until_serving(node)
        yield node
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _wait_until_serving(node: WebNode) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            pytest.fail(
                f"web node {node.name} exited at start-up ({node.process.returncode}):\n{node.log_tail()}"
            )
        try:
            with urllib.request.urlopen(node.url("/healthz"), timeout=2) as resp:  # noqa: S310
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        except urllib.error.HTTPError:
            return  # it answers (a 503 health status still means the process is serving)
        time.sleep(0.3)
    pytest.fail(f"web node {node.name} did not answer /healthz within {READY_TIMEOUT}s:\n{node.log_tail()}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str


@dataclass
class Browser:
    """A person's browser: one cookie jar used against any node (cookies ignore the port)."""

    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def request(self, url: str, data: dict[str, str] | None = None, headers: dict | None = None) -> Response:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(req, timeout=30) as resp:
                return Response(resp.status, dict(resp.headers.items()), resp.read().decode(errors="replace"))
        except urllib.error.HTTPError as exc:
            return Response(exc.code, dict(exc.headers.items()), exc.read().decode(errors="replace"))

    def get(self, url: str) -> Response:
        return self.request(url)

    def post(self, url: str, data: dict[str, str], headers: dict | None = None) -> Response:
        """POST with the CSRF token from the cookie (the page's hidden field carries the same secret)."""
        token = self.cookie("csrftoken") or ""
        return self.request(
            url, {"csrfmiddlewaretoken": token, **data}, {"X-CSRFToken": token, **(headers or {})}
        )

    def log_in(self, node: WebNode, login: str, password: str) -> Response:
        page = self.get(node.url("/accounts/login/"))
        assert page.status == 200, page.text[:500]
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match and self.cookie("csrftoken"), "the login page sets a CSRF cookie and token"
        return self.request(
            node.url("/accounts/login/"),
            {"csrfmiddlewaretoken": match.group(1), "login": login, "password": password},
        )
