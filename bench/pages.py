"""Side-by-side page cost: Hearth's thread page and thread list against a plain-Django floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hearth_pages REDIS_URL=redis://127.0.0.1:6379/13 \
        .venv/bin/python bench/pages.py [--seconds 6] [--rounds 3] [--profile 200]

Seeds (fresh each run) one public community: 40 members, a 1,000-post thread (reactions on a
third of the posts, a reply-to on a fifth, Markdown rendered at write time like the real service)
and 60 shorter threads. Starts gunicorn (2 sync workers, production settings,
``DJANGO_SETTINGS_MODULE=bench.floor_settings`` = the project plus the floor's two URLs of
``bench/floor.py``) and, for each page, runs ``wrk`` (1 thread, 2 connections) for ``--seconds``
and reads the CPU time the two gunicorn workers spent from ``/proc`` (app CPU per request = their
user+system time / requests served). Pages are interleaved, ``--rounds`` times; the table shows
medians. Queries per request are counted in-process (Django test client) on the same data.

``--profile N`` also profiles N warm in-process requests of each Hearth page with cProfile and
prints the top functions by own time and by cumulative time.

Needs the Debian package ``wrk``. Speed targets live here, never in timed tests.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PORT = 8191
POSTS_PER_PAGE = "20"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.floor_settings",
            "HEARTH_TESTING": "false",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": env.get("DJANGO_SECRET_KEY") or "bench-" + "k" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "HEARTH_VAR_DIR": str(ROOT / "var" / "bench-pages"),
            "HEARTH_POSTS_PER_PAGE": POSTS_PER_PAGE,
            "LOG_LEVEL": "warning",
        }
    )
    return env


def _reset_database(url: str) -> None:
    import psycopg

    parsed = urllib.parse.urlparse(url)
    name = parsed.path.lstrip("/")
    admin = urllib.parse.urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed() -> dict[str, str]:
    """Seed the data (in this process) and return the URLs and the member's session cookie."""
    from datetime import timedelta
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import connection
    from django.utils import timezone

    from communities.discussions.models import Post, Reaction, ReactionKind, Thread, ThreadReadState
    from communities.markdown import render_markdown
    from communities.models import Community, Space
    from members.models import Membership, Role, User

    now = timezone.now()
    start = now - timedelta(days=90)
    community = Community.objects.create(
        name="Bench Pages", slug="bench-pages", purpose="Page benchmarks.", visibility="public"
    )
    space = Space.objects.create(community=community, name="General", slug="general")
    users = User.objects.bulk_create(
        [
            User(handle=f"reader{i}", email=f"reader{i}@example.com", display_name=f"Reader {i}")
            for i in range(40)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(
                user=u,
                community=community,
                role=Role.OWNER if i == 0 else Role.MEMBER,
                joined_at=start,
                first_joined_at=start,
            )
            for i, u in enumerate(users)
        ]
    )
    bodies = [
        (md, render_markdown(md))
        for md in (
            "Thanks for sharing, this is **really** useful. See https://example.com for more.",
            "I tried that and it worked:\n\n```python\nprint('hello')\n```\n\nNice.",
            "> quoted text\n\nAgreed with @reader1 on this one, and a second sentence to read.",
            "- one\n- two\n- three\n\nWhich do you prefer? I lean towards *two*.",
            "A longer paragraph about the weekly ritual, how it went, what we could change next "
            "time and who would like to host. Replies welcome; no pressure either way.",
        )
    ]
    lengths = [1000] + [5 + (i % 20) for i in range(60)]
    threads = Thread.objects.bulk_create(
        [
            Thread(
                community=community,
                space=space,
                author=users[i % 40],
                title="The big thread" if i == 0 else f"Thread number {i} about something",
                slug="the-big-thread" if i == 0 else f"thread-number-{i}",
                created_at=start + timedelta(hours=i),
                last_post_at=start + timedelta(hours=i, minutes=n),
                reply_count=n - 1,
            )
            for i, n in enumerate(lengths)
        ]
    )
    posts = []
    for ti, (thread, n) in enumerate(zip(threads, lengths, strict=True)):
        for j in range(n):
            md, html = bodies[(ti + j) % len(bodies)]
            at = thread.created_at + timedelta(seconds=j * 30)
            posts.append(
                Post(
                    thread=thread,
                    community=community,
                    author=users[(ti + j) % 40],
                    is_opening=j == 0,
                    body_md=md,
                    body_html=html,
                    created_at=at,
                    published_at=at,
                )
            )
    Post.objects.bulk_create(posts, batch_size=2000)
    big = list(Post.objects.filter(thread=threads[0]).order_by("id").values_list("pk", flat=True))
    Post.objects.filter(pk__in=big[5::5]).update(reply_to_id=big[0])
    Reaction.objects.bulk_create(
        [
            Reaction(post_id=pid, user=users[(i + k) % 40], kind=kind)
            for i, pid in enumerate(big[::3])
            for k, kind in enumerate(ReactionKind.values[: 1 + i % 3])
        ]
    )
    member = users[7]
    ThreadReadState.objects.bulk_create(
        [ThreadReadState(user=member, thread=t, last_read_post_id=10**9) for t in threads[:20]]
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(member.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = member.get_session_auth_hash()
    store.create()
    big_thread = threads[0]
    thread_url = f"/c/{community.slug}/t/{big_thread.pk}-{big_thread.slug}/"
    return {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}",
        "thread": thread_url,
        "thread_last": thread_url + "?page=50",
        "list": f"/c/{community.slug}/",
        "floor_thread": f"/bench-floor/t/{big_thread.pk}/",
        "floor_thread_last": f"/bench-floor/t/{big_thread.pk}/?page=50",
        "floor_list": f"/bench-floor/c/{community.slug}/",
    }


# (label, url key, signed in)
PAGES = [
    ("floor: thread (3 queries)", "floor_thread", False),
    ("thread, anonymous", "thread", False),
    ("thread, member", "thread", True),
    ("thread last page (p. 50), anonymous", "thread_last", False),
    ("thread last page (p. 50), member", "thread_last", True),
    ("floor: thread list (3 queries)", "floor_list", False),
    ("thread list, anonymous", "list", False),
    ("thread list, member", "list", True),
]


def count_queries(urls: dict[str, str]) -> dict[tuple[str, bool], int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    out = {}
    anon, member = Client(), Client()
    name, value = urls["cookie"].split("=", 1)
    member.cookies[name] = value
    for _, key, signed_in in PAGES:
        client = member if signed_in else anon
        for _ in range(2):  # warm: the day's visit log and caches are written on the first
            client.get(urls[key])
        with CaptureQueriesContext(connection) as ctx:
            resp = client.get(urls[key])
        assert resp.status_code == 200, (key, resp.status_code)
        out[(key, signed_in)] = len(ctx.captured_queries)
    return out


def profile(urls: dict[str, str], n: int) -> None:
    import cProfile
    import io
    import pstats

    from django.test import Client

    for _, key, signed_in in PAGES:
        if key.startswith("floor"):
            continue
        client = Client()
        if signed_in:
            name, value = urls["cookie"].split("=", 1)
            client.cookies[name] = value
        for _ in range(5):
            client.get(urls[key])
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            client.get(urls[key])
        prof.disable()
        for order in ("tottime", "cumulative"):
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats(order).print_stats(22)
            print(f"\n### profile: {key} signed_in={signed_in} by {order} ({n} requests)")
            print("\n".join(line for line in buf.getvalue().splitlines() if line.strip())[:6000])


def _worker_cpu(master: int) -> float:
    """User+system seconds of the gunicorn master's children (the workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split():  # noqa: S603,S607
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run_wrk(url: str, seconds: int, cookie: str | None) -> tuple[int, float, int]:
    cmd = ["wrk", "-t1", "-c2", f"-d{seconds}s", "--latency"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return requests, rps, int(bad.group(1)) if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="profile N in-process requests per page")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://… (a database this script may drop and re-create).")
    if not shutil.which("wrk"):
        sys.exit("Needs wrk: apt-get install wrk")
    env = _env()
    os.environ.update(env)
    _reset_database(url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    if os.environ.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    import django

    django.setup()
    urls = seed()
    queries = count_queries(urls)
    if args.profile:
        profile(urls, args.profile)
    from django.db import connections

    connections.close_all()
    base = f"http://127.0.0.1:{PORT}"
    server = subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            "2",
            "--worker-class",
            "sync",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 - loopback
                break
            except Exception:
                time.sleep(0.2)
        cpu: dict[str, list[float]] = {label: [] for label, _, _ in PAGES}
        rps: dict[str, list[float]] = {label: [] for label, _, _ in PAGES}
        errors = 0
        for _label, key, signed_in in PAGES:  # warm every page in both workers
            run_wrk(base + urls[key], 1, urls["cookie"] if signed_in else None)
        for _ in range(args.rounds):
            for label, key, signed_in in PAGES:
                before = _worker_cpu(server.pid)
                n, r, bad = run_wrk(base + urls[key], args.seconds, urls["cookie"] if signed_in else None)
                spent = _worker_cpu(server.pid) - before
                errors += bad
                cpu[label].append(spent / max(n, 1) * 1000)
                rps[label].append(r)
        load = os.getloadavg()[0]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    floor = {"thread": statistics.median(cpu[PAGES[0][0]]), "list": statistics.median(cpu[PAGES[5][0]])}
    print(
        f"\nposts per page {POSTS_PER_PAGE}; {args.rounds} rounds × {args.seconds} s per page; load average {load:.1f}"
    )
    print("\n| page | app CPU ms/request | × floor | requests/s | SQL queries |")
    print("|---|---:|---:|---:|---:|")
    for label, key, signed_in in PAGES:
        ms = statistics.median(cpu[label])
        ref = floor["list" if "list" in key else "thread"]
        print(
            f"| {label} | {ms:.2f} | {ms / ref:.2f} | {statistics.median(rps[label]):.0f} | {queries[(key, signed_in)]} |"
        )
    if errors:
        sys.exit(f"{errors} non-2xx answers")


if __name__ == "__main__":
    main()
