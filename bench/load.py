"""Bounded load test: 20 concurrent members reading and posting against gunicorn + PostgreSQL + Redis.

Loopback only, at most 60 seconds of load. Usage (from the project root):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hearth_load REDIS_URL=redis://127.0.0.1:6379/12 \
        .venv/bin/python bench/load.py [--seconds 60] [--members 20]

It creates (or resets) the database, seeds a community, starts gunicorn on 127.0.0.1, and runs
the members as threads: each logs in, then loops reading the community home and a thread page
and replying every few seconds (within the posting rate limit). It reports p50/p95 per request
kind, the number of 5xx answers, and checks that every reply the server accepted is stored
exactly once (posts counted in the database before and after).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8199
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "load test password 42"  # noqa: S105 - throwaway accounts in a throwaway database


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "HEARTH_TESTING": "false",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": env.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "HEARTH_VAR_DIR": str(ROOT / "var" / "load"),
            "LOG_LEVEL": "warning",
        }
    )
    return env


def _create_database(url: str) -> None:
    """CREATE DATABASE for DATABASE_URL's name if it does not exist (seeding is idempotent)."""
    import psycopg

    parsed = urllib.parse.urlparse(url)
    name = parsed.path.lstrip("/")
    admin = urllib.parse.urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


SEED = """
from communities.discussions.models import Thread, Post
from communities.discussions.services import thread_create, post_create
from communities.services import community_create
from members.models import User, Membership
from members.services import membership_join
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
owner, _ = User.objects.get_or_create(handle="load_owner", defaults={"email": "load_owner@example.com"})
owner.password = make_password(PASSWORD); owner.save()
EmailAddress.objects.get_or_create(user=owner, email=owner.email, defaults={"verified": True, "primary": True})
from communities.models import Community
c = Community.objects.filter(slug="load").first() or community_create(
    owner=owner, name="Load", slug="load", purpose="Load testing.", visibility="listed", join_policy="approval")
from django.utils import timezone
from datetime import timedelta
old = timezone.now() - timedelta(days=60)
for i in range(N):
    u, _ = User.objects.get_or_create(handle=f"load{i}", defaults={"email": f"load{i}@example.com"})
    u.password = make_password(PASSWORD); u.save()
    EmailAddress.objects.get_or_create(user=u, email=u.email, defaults={"verified": True, "primary": True})
    m = membership_join(user=u, community=c, at=old)
owner_m = Membership.objects.get(user=owner, community=c)
space = c.spaces.get(slug="general")
while Thread.objects.filter(community=c).count() < 10:
    t = thread_create(author=owner_m, space=space, title=f"Load thread {Thread.objects.count()}", body_md="Seed", at=old)
    for j in range(20):
        post_create(author=owner_m, thread=t, body_md=f"seed reply {j}", at=old)
print("seeded", Post.objects.filter(community=c).count(), "posts")
"""


class Member(threading.Thread):
    def __init__(
        self, index: int, deadline: float, thread_urls: list[str], results: dict, lock: threading.Lock
    ):
        super().__init__(daemon=True)
        self.index = index
        self.deadline = deadline
        self.thread_urls = thread_urls
        self.results = results
        self.lock = lock
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.accepted = 0

    def _request(self, kind: str, url: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(BASE + url, data=body)  # noqa: S310 - loopback only
        if data is not None:
            req.add_header("Referer", BASE + url)
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=30) as resp:
                status, text = resp.status, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode("utf-8", "replace")
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.results[kind].append((status, elapsed))
        return status, text

    def _csrf(self, html: str) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        return match.group(1) if match else ""

    def run(self) -> None:
        _, html = self._request("login_page", "/accounts/login/")
        status, _ = self._request(
            "login",
            "/accounts/login/",
            {"csrfmiddlewaretoken": self._csrf(html), "login": f"load{self.index}", "password": PASSWORD},
        )
        if status != 302:  # allauth redirects after a successful login
            with self.lock:
                self.results["login_failed"].append((status, 0.0))
            return
        n = 0
        next_post = time.monotonic() + 1 + (self.index % 5)
        while time.monotonic() < self.deadline:
            n += 1
            self._request("community_home", "/c/load/")
            thread_url = self.thread_urls[(self.index + n) % len(self.thread_urls)]
            status, html = self._request("thread_page", thread_url)
            if time.monotonic() >= next_post and status == 200:
                # The composer: <form method="post" action="/c/<slug>/t/<id>/reply/"> with <textarea name="body">
                form = re.search(
                    r'<form[^>]+action="(/c/[^"]+/t/\d+/reply/)"[^>]*>(?:(?!</form>).)*?name="body"',
                    html,
                    re.S,
                )
                if form is None:
                    with self.lock:
                        self.results["no_composer"].append((0, 0.0))
                else:
                    action = form.group(1)
                    # The form's one-time key, sent back as a browser would (docs/submissions.md).
                    key = re.search(r'name="submission_key" value="([^"]+)"', html)
                    status, _ = self._request(
                        "reply_post",
                        action,
                        {
                            "csrfmiddlewaretoken": self._csrf(html),
                            "submission_key": key.group(1) if key else "",
                            "body": f"load reply {self.index}-{n} {secrets.token_hex(4)}",
                        },
                    )
                    if status in {302, 303}:  # saved: redirected to the new post (else the form again)
                        self.accepted += 1
                next_post = time.monotonic() + 6.5  # stay under 1 post / 5 s per member


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _use_port(port: int) -> None:
    global PORT, BASE
    PORT, BASE = port, f"http://127.0.0.1:{port}"


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=PORT, help="loopback port for gunicorn")
    args = parser.parse_args()
    _use_port(args.port)
    seconds = min(args.seconds, 60)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("Set DATABASE_URL (PostgreSQL) and REDIS_URL.", file=sys.stderr)
        return 2
    env = _env()
    _create_database(os.environ["DATABASE_URL"])
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "collectstatic", "--noinput", "-v0")
    seed = SEED.replace("PASSWORD", repr(PASSWORD)).replace("range(N)", f"range({args.members})")
    subprocess.run([sys.executable, "manage.py", "shell", "-c", seed], cwd=ROOT, env=env, check=True)  # noqa: S603

    import django

    sys.path.insert(0, str(ROOT))  # run as a script from bench/: make the project importable
    os.environ.update(
        {k: v for k, v in env.items() if k not in os.environ or k.startswith(("DJANGO", "HEARTH"))}
    )
    django.setup()
    from communities.discussions.models import Post, Thread

    thread_urls = [
        t.get_absolute_url()
        for t in Thread.objects.filter(community__slug="load").select_related("community")
    ]
    before = Post.objects.filter(community__slug="load").count()

    server = subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(args.workers),
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(BASE + "/healthz", timeout=2)  # noqa: S310 - loopback only
                break
            except OSError:
                time.sleep(0.2)
        results: dict = defaultdict(list)
        lock = threading.Lock()
        deadline = time.monotonic() + seconds
        members = [Member(i, deadline, thread_urls, results, lock) for i in range(args.members)]
        for m in members:
            m.start()
        for m in members:
            m.join(timeout=seconds + 60)
    finally:
        server.terminate()
        server.wait(timeout=30)

    after = Post.objects.filter(community__slug="load").count()
    accepted = sum(m.accepted for m in members)
    errors = sum(1 for rows in results.values() for status, _ in rows if status >= 500)
    print(f"\nLoad: {args.members} members, {seconds}s, gunicorn {args.workers} workers, PostgreSQL + Redis")
    print(f"{'request':<16}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'5xx':>6}")
    for kind, rows in sorted(results.items()):
        times = [ms for _, ms in rows]
        print(
            f"{kind:<16}{len(rows):>8}{statistics.median(times):>10.1f}{pct(times, 95):>10.1f}"
            f"{sum(1 for s, _ in rows if s >= 500):>6}"
        )
    print(f"replies accepted by the server: {accepted}; posts stored: {after - before}; 5xx: {errors}")
    refused = sum(1 for s, _ in results.get("reply_post", []) if s not in {302, 303})
    print(
        f"replies refused (e.g. 429 rate limit): {refused}; logins failed: {len(results.get('login_failed', []))}"
    )
    ok = (
        errors == 0
        and accepted == after - before
        and accepted > 0
        and not results.get("login_failed")
        and not results.get("no_composer")
    )
    print("RESULT:", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
