"""Metrics benchmark: one community, 10,000 members, ~1,000,000 activity rows over 365 days.

Measures the nightly job for one day and the full-year backfill. Run against a throwaway database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hearth_bench_metrics .venv/bin/python bench/metrics.py
    HEARTH_VAR_DIR=/tmp/hearth-bench-metrics .venv/bin/python bench/metrics.py     # SQLite

Seeding happens once per database (the community slug ``bench-metrics`` marks it); re-runs only
measure. Results go in bench/RESULTS.md, section "Metrics".
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from communities.discussions.models import Post, Reaction, Thread  # noqa: E402
from communities.models import Community, Space  # noqa: E402
from members.models import Invite, Membership, MembershipEvent, User  # noqa: E402
from metrics import services  # noqa: E402
from metrics.models import DailySnapshot, Visit  # noqa: E402

SLUG = "bench-metrics"
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "10000"))
THREADS = 25_000
REPLIES = 225_000
REACTIONS = 400_000
VISITS = 350_000
INVITES = 3_000
DAYS = 365
BATCH = 5000
UNUSABLE = "!"  # Django's marker for an unusable password


def _ensure_postgres_db() -> None:
    if settings.DB_VENDOR != "postgresql":
        return
    import psycopg

    cfg = settings.DATABASES["default"]
    with psycopg.connect(
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
        user=cfg["USER"],
        password=cfg["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def seed() -> Community:
    rng = random.Random(42)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=DAYS + 1)
    span = (now - start).total_seconds()
    t0 = time.monotonic()
    with transaction.atomic():
        owner = User.objects.create_user(handle="bench_owner", email="o@example.com")
        community = Community.objects.create(
            name="Bench",
            slug=SLUG,
            purpose="Benchmark.",
            time_zone="Europe/Berlin",
            created_at=start,
            created_by=owner,
        )
        space = Space.objects.create(community=community, name="General", slug="general")
        users = User.objects.bulk_create(
            [User(handle=f"bench_{i}", email=f"b{i}@example.com", password=UNUSABLE) for i in range(MEMBERS)],
            batch_size=BATCH,
        )
        users = [owner, *users]
        # Joins: a fifth at the start, the rest spread over the year, in user order.
        joins = [start] + [
            start + timedelta(seconds=span * (0 if i < MEMBERS // 5 else rng.random() * 0.95))
            for i in range(MEMBERS)
        ]
        order = sorted(range(1, len(users)), key=lambda i: joins[i])
        users = [users[0]] + [users[i] for i in order]
        joins = [joins[0], *sorted(joins[1:])]
        roles = ["owner"] + ["moderator" if i <= 5 else "member" for i in range(1, len(users))]
        invites = []
        for _ in range(INVITES):
            k = rng.randrange(1, len(users))
            at = joins[k] + timedelta(seconds=rng.random() * (now - joins[k]).total_seconds())
            invites.append(
                Invite(
                    community=community,
                    created_by=users[k],
                    created_by_staff=roles[k] != "member",
                    token=f"bench{rng.getrandbits(64):x}{len(invites)}",
                    created_at=at,
                    max_uses=None,
                )
            )
        invites = Invite.objects.bulk_create(invites, batch_size=BATCH)
        memberships = Membership.objects.bulk_create(
            [
                Membership(
                    user=u, community=community, role=roles[i], joined_at=joins[i], first_joined_at=joins[i]
                )
                for i, u in enumerate(users)
            ],
            batch_size=BATCH,
        )
        events = []
        for i, m in enumerate(memberships):
            inv = None
            if i > 0 and rng.random() < 0.3:
                cand = invites[rng.randrange(len(invites))]
                inv = cand if cand.created_at < joins[i] else None
            events.append(
                MembershipEvent(
                    membership=m,
                    user_id=m.user_id,
                    community=community,
                    kind="joined",
                    role=roles[i],
                    at=joins[i],
                    invite=inv,
                )
            )
            if i > 5 and rng.random() < 0.05:
                left = joins[i] + timedelta(seconds=rng.random() * (now - joins[i]).total_seconds())
                events.append(
                    MembershipEvent(
                        membership=m,
                        user_id=m.user_id,
                        community=community,
                        kind="left",
                        role=roles[i],
                        at=left,
                    )
                )
        MembershipEvent.objects.bulk_create(events, batch_size=BATCH)

        def person_at(at: datetime) -> int:
            # Someone who had joined by then (binary search on sorted join times).
            lo, hi = 0, len(joins)
            while lo < hi:
                mid = (lo + hi) // 2
                if joins[mid] <= at:
                    lo = mid + 1
                else:
                    hi = mid
            return rng.randrange(max(lo, 1))

        def moment() -> datetime:
            return start + timedelta(seconds=span * rng.random())

        thread_rows = []
        for n in range(THREADS):
            at = moment()
            thread_rows.append(
                Thread(
                    community=community,
                    space=space,
                    author=users[person_at(at)],
                    title=f"Thread {n}",
                    slug=f"thread-{n}",
                    created_at=at,
                    last_post_at=at,
                )
            )
        threads = Thread.objects.bulk_create(thread_rows, batch_size=BATCH)
        posts = [
            Post(
                thread=t,
                community=community,
                author_id=t.author_id,
                is_opening=True,
                body_md="x",
                body_html="<p>x</p>",
                created_at=t.created_at,
                published_at=t.created_at,
            )
            for t in threads
        ]
        for _ in range(REPLIES):
            t = threads[rng.randrange(len(threads))]
            at = t.created_at + timedelta(hours=rng.expovariate(1 / 30))
            if at >= now:
                at = now - timedelta(minutes=1)
            k = person_at(at)
            posts.append(
                Post(
                    thread=t,
                    community=community,
                    author_id=users[k].pk,
                    author_staff=roles[k] != "member",
                    body_md="y",
                    body_html="<p>y</p>",
                    created_at=at,
                    published_at=at,
                )
            )
        posts = Post.objects.bulk_create(posts, batch_size=BATCH)
        seen = set()
        reactions = []
        while len(reactions) < REACTIONS:
            p = posts[rng.randrange(len(posts))]
            at = p.created_at + timedelta(hours=rng.expovariate(1 / 20))
            if at >= now:
                continue
            u = users[person_at(at)]
            if (p.pk, u.pk) in seen:
                continue
            seen.add((p.pk, u.pk))
            reactions.append(Reaction(post=p, user=u, kind="heart", created_at=at))
        Reaction.objects.bulk_create(reactions, batch_size=BATCH)
        tz = community.tz
        seen = set()
        visits = []
        while len(visits) < VISITS:
            at = moment()
            u = users[person_at(at)]
            day = at.astimezone(tz).date()
            if (u.pk, day) in seen:
                continue
            seen.add((u.pk, day))
            visits.append(Visit(user=u, community=community, day=day, at=at))
        Visit.objects.bulk_create(visits, batch_size=BATCH)
    total = len(events) + len(posts) + len(reactions) + len(visits) + len(invites)
    print(f"seeded {len(users)} members, {total:,} activity rows in {time.monotonic() - t0:.0f} s")
    return community


def main() -> None:
    _ensure_postgres_db()
    call_command("migrate", verbosity=0)
    community = Community.objects.filter(slug=SLUG).first() or seed()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"database: {connection.vendor}; load average {os.getloadavg()}")
    services._wipe(community.pk)
    t0 = time.monotonic()
    days = services.metrics_compute_range(community_id=community.pk)
    full = time.monotonic() - t0
    print(f"full backfill: {days} days in {full:.1f} s ({full / days * 1000:.0f} ms/day)")
    last = services.last_complete_day(community)
    runs = []
    for _ in range(3):
        t0 = time.monotonic()
        services.metrics_compute_day(community_id=community.pk, day=last)
        runs.append(time.monotonic() - t0)
    print(f"nightly job, one day (incl. cohort table): median {statistics.median(runs):.2f} s of {runs}")
    runs = []
    for _ in range(3):
        t0 = time.monotonic()
        services.metrics_compute_range(
            community_id=community.pk, start=last - timedelta(days=services.REFRESH_DAYS), end=last
        )
        runs.append(time.monotonic() - t0)
    print(
        f"beat run (the day that ended + {services.REFRESH_DAYS} refreshed days): "
        f"median {statistics.median(runs):.2f} s of {runs}"
    )
    print(f"load average at the end {os.getloadavg()}")
    snap = DailySnapshot.objects.get(community=community, day=last)
    print({k: v for k, v in snap.values().items() if k in ("dau", "wau", "mau", "members", "posts_30d")})


if __name__ == "__main__":
    main()
