"""Discussions benchmark: seed a large community, time the busiest pages in-process.

    DJANGO_SETTINGS_MODULE=config.settings .venv/bin/python bench/discussions.py [--requests 300]

Seeds (once; reused when present) a community "bench-discussions" with 10,000 members,
200,000 posts (one thread of 1,000 posts, the rest in ~9,900 threads of ~20) using
bulk_create, then measures server time (Django test Client, in-process) for the thread page
(the 1,000-post thread, first and last page), the thread list and a reply POST.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402

# DEBUG only for the dev secret key; don't record every query while timing.
settings.DEBUG = False

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from communities.discussions.models import Post, Reaction, Thread, ThreadReadState  # noqa: E402
from communities.markdown import render_markdown  # noqa: E402
from communities.models import Community, Space  # noqa: E402
from members.models import Membership, Role, User  # noqa: E402

SLUG = "bench-discussions"
MEMBERS = 10_000
POSTS = 200_000
BIG_THREAD = 1_000
PER_THREAD = 20
BATCH = 5_000


def seed() -> Community:
    community = Community.objects.filter(slug=SLUG).first()
    if community is not None:
        print(f"Reusing seeded community {SLUG}")
        return community
    t0 = time.perf_counter()
    now = timezone.now()
    with transaction.atomic():
        community = Community.objects.create(
            name="Bench", slug=SLUG, purpose="Benchmarks.", visibility="listed"
        )
        space = Space.objects.create(community=community, name="General", slug="general")
        unusable = "!"  # an unusable password hash: bench users never log in with one
        users = [
            User(handle=f"bench_{i}", email=f"bench_{i}@example.com", password=unusable)
            for i in range(MEMBERS)
        ]
        User.objects.bulk_create(users, batch_size=BATCH)
        user_ids = list(
            User.objects.filter(handle__startswith="bench_").order_by("pk").values_list("pk", flat=True)
        )
        Membership.objects.bulk_create(
            [
                Membership(
                    user_id=uid,
                    community=community,
                    role=Role.OWNER if i == 0 else Role.MEMBER,
                    joined_at=now,
                )
                for i, uid in enumerate(user_ids)
            ],
            batch_size=BATCH,
        )
        bodies = [
            (md, render_markdown(md))
            for md in (
                "Thanks for sharing, this is **really** useful. See https://example.com for more.",
                "I tried that and it worked:\n\n```python\nprint('hello')\n```",
                "> quoted text\n\nAgreed with @bench_1 on this one.",
                "- one\n- two\n- three\n\nWhich do you prefer?",
            )
        ]
        n_threads = 1 + (POSTS - BIG_THREAD) // PER_THREAD
        start = now - timedelta(days=365)
        threads = [
            Thread(
                community=community,
                space=space,
                author_id=user_ids[i % MEMBERS],
                title=f"Bench thread {i}" if i else "The big thread",
                slug=f"bench-thread-{i}",
                created_at=start + timedelta(minutes=i * 50),
                last_post_at=start + timedelta(minutes=i * 50 + 40),
                reply_count=(BIG_THREAD if i == 0 else PER_THREAD) - 1,
            )
            for i in range(n_threads)
        ]
        Thread.objects.bulk_create(threads, batch_size=BATCH)
        thread_ids = list(
            Thread.objects.filter(community=community).order_by("pk").values_list("pk", flat=True)
        )
        made = 0
        buf: list[Post] = []
        for ti, tid in enumerate(thread_ids):
            count = BIG_THREAD if ti == 0 else PER_THREAD
            count = min(count, POSTS - made)
            for j in range(count):
                md, html = bodies[(ti + j) % len(bodies)]
                at = start + timedelta(minutes=ti * 50, seconds=j * 2)
                buf.append(
                    Post(
                        thread_id=tid,
                        community=community,
                        author_id=user_ids[(ti * 7 + j * 13) % MEMBERS],
                        is_opening=j == 0,
                        body_md=md,
                        body_html=html,
                        created_at=at,
                        published_at=at,
                    )
                )
            made += count
            if len(buf) >= BATCH:
                Post.objects.bulk_create(buf, batch_size=BATCH)
                buf = []
        Post.objects.bulk_create(buf, batch_size=BATCH)
        big_posts = list(Post.objects.filter(thread_id=thread_ids[0]).values_list("pk", flat=True))
        Reaction.objects.bulk_create(
            [
                Reaction(post_id=pid, user_id=user_ids[(k * 31 + i) % MEMBERS], kind=kind)
                for i, pid in enumerate(big_posts)
                for k, kind in enumerate(["thumbs_up", "heart", "tada"])
            ],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
    print(
        f"Seeded {MEMBERS:,} members, {Post.objects.filter(community=community).count():,} posts, "
        f"{len(thread_ids):,} threads in {time.perf_counter() - t0:.0f}s"
    )
    return community


def measure(label: str, fn, n: int) -> tuple[str, float, float, int]:
    for _ in range(5):
        fn()  # warm up
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        status = fn()
        times.append((time.perf_counter() - t0) * 1000)
        assert status in (200, 302), f"{label}: status {status}"
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return label, statistics.median(times), p95, n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    community = seed()
    if connection.vendor == "postgresql":
        # Fresh statistics after the bulk load, as autovacuum would eventually gather them.
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    big = Thread.objects.filter(community=community, title="The big thread").get()
    reader = User.objects.get(handle="bench_42")
    # Each reply comes from a different member (logged in before timing), so the per-member
    # posting rate limits (1 post per 5 s; 30 s for new members) stay on, as in production.
    posters = []
    for user in User.objects.filter(handle__startswith="bench_").order_by("pk")[
        100 : 100 + args.requests + 10
    ]:
        c = Client()
        c.force_login(user)
        posters.append(c)
    poster_iter = iter(posters)
    client = Client()
    client.force_login(reader)
    thread_url = big.get_absolute_url()
    last_page = thread_url + "?page=last"
    list_url = community.get_absolute_url()
    reply_url = reverse("thread-reply", args=[community.slug, big.pk])
    counter = iter(range(10**9))

    def reply() -> int:
        body = f"Bench reply number {next(counter)} at {time.time()}"
        return next(poster_iter).post(reply_url, {"body": body}).status_code

    rows = [
        measure(
            "thread page (1,000-post thread, page 1)",
            lambda: client.get(thread_url).status_code,
            args.requests,
        ),
        measure(
            "thread page (last page)", lambda: client.get(thread_url + "?page=20").status_code, args.requests
        ),
        measure("thread list (community home)", lambda: client.get(list_url).status_code, args.requests),
        measure("reply POST", reply, args.requests),
    ]
    del last_page
    # Keep the big thread at its size for the next run.
    extra = Post.objects.filter(thread=big, body_md__startswith="Bench reply number")
    ThreadReadState.objects.filter(thread=big).delete()
    extra.delete()
    print()
    print(f"Database: {connection.vendor}; requests per row: {args.requests}")
    print(f"| {'request':42} | {'median ms':>9} | {'p95 ms':>7} | {'n':>4} |")
    print(f"|{'-' * 44}|{'-' * 11}:|{'-' * 8}:|{'-' * 5}:|")
    for label, med, p95, n in rows:
        print(f"| {label:42} | {med:9.1f} | {p95:7.1f} | {n:4} |")


if __name__ == "__main__":
    main()
