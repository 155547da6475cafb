"""Seeding of the large-community bench (bench/large.py): the data set, loaded once.

Its shape is described in bench/large.py. Small tables go through the models (``bulk_create``);
posts, reactions and read states are written with COPY into the models' tables.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

MEMBERS, POSTS, COMMUNITIES = 10_000, 1_000_000, 50
BIG_THREADS = {0: 4, 1: 1}  # community index -> number of 1,000-post threads
READERS_FROM, POSTERS_FROM, POSTERS = 100, 1_000, 400
REPLY_MARK = "large bench reply"
WORDS = (  # noqa: SIM905 - a word list reads better as text
    "the a to and of in is it you that for on this with as be have not but are at or can what "
    "if so all my about just one would there they like from do when more out up will get some "
    "think people time know how which only other use new good work way because make then them "
    "code database server python django thread post reply community member moderator release "
    "garden kitchen bread recipe running bike weekend meetup library book chapter music guitar "
    "photo camera travel train coffee winter summer project question answer idea problem "
    "design page error test deploy backup cache index query search model form template login "
    "email notification event schedule ritual poll tag welcome guideline rule spam flag report "
    "volunteer donation budget meeting agenda minutes vote proposal draft review feedback "
    "sourdough compost tomato basil pepper espresso marathon trail climbing chess painting "
    "knitting pottery woodwork telescope aurora lighthouse harbour orchard vineyard glacier"
).split()


def _rare_words(n: int, rng: random.Random) -> list[str]:
    syll = ["ka", "lo", "mir", "tes", "van", "qua", "rel", "dor", "bex", "zun", "pim", "sol"]
    return ["".join(rng.choice(syll) for _ in range(3)) + str(i % 10) for i in range(n)]


def _body_pool(rng: random.Random, n: int = 3000) -> tuple[list[tuple[str, str]], list[str]]:
    """Distinct Markdown bodies (Zipf-ish word frequencies), rendered once by the service's renderer."""
    from communities.markdown import render_markdown

    vocab = WORDS + _rare_words(1500, rng)
    weights = [1 / (r + 1) ** 0.9 for r in range(len(vocab))]
    pool = []
    for i in range(n):
        paras = []
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 5])):
            words = rng.choices(vocab, weights, k=rng.randint(8, 70))
            paras.append(" ".join(words).capitalize() + ".")
        if i % 7 == 0:
            paras.append(f"```python\nprint('hello {i}')\n```")
        if i % 5 == 0:
            paras.insert(0, "> " + paras[0][:80])
        if i % 9 == 0:
            paras.append("- " + "\n- ".join(rng.sample(WORDS, 3)) + f"\n\nSee https://example.com/{i}.")
        if i % 11 == 0:
            paras[-1] += " **" + rng.choice(WORDS) + "** and _" + rng.choice(WORDS) + "_"
        md = "\n\n".join(paras)
        pool.append((md, render_markdown(md)))
    return pool, vocab


def _copy(table: str, columns: list[str], rows: list[tuple], chunk: int = 100_000) -> None:
    from django.db import connection

    raw = connection.connection
    for start in range(0, len(rows), chunk):
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            for row in rows[start : start + chunk]:
                cp.write_row(row)
        raw.commit()


def seed() -> None:
    """Load the whole data set (see the module docstring for its shape)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from communities.discussions.models import Thread, ThreadSubscription
    from communities.models import Space
    from communities.services import community_create
    from members.models import Membership, MembershipEvent, Role, User
    from members.profiles.models import Profile
    from moderation.models import Flag

    rng = random.Random(19)
    t0 = time.perf_counter()
    now = datetime.now(UTC)
    start = now - timedelta(days=730)
    pool, _ = _body_pool(rng)
    print(f"  rendered {len(pool)} bodies ({time.perf_counter() - t0:.0f}s)", flush=True)

    hashed = make_password("large bench password 19")
    User.objects.bulk_create(
        [
            User(handle=f"m{i:05d}", email=f"m{i:05d}@example.com", password=hashed, date_joined=start)
            for i in range(MEMBERS)
        ],
        batch_size=5000,
    )
    uids = list(User.objects.filter(handle__startswith="m").order_by("handle").values_list("pk", flat=True))
    Profile.objects.bulk_create([Profile(user_id=u) for u in uids], batch_size=5000)
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user_id=u, email=f"m{i:05d}@example.com", verified=True, primary=True)
            for i, u in enumerate(uids)
        ],
        batch_size=5000,
    )
    owners = User.objects.in_bulk(uids[:COMMUNITIES])
    communities = []
    for c in range(COMMUNITIES):
        name = "Town Square" if c == 0 else f"Circle {c:02d}"
        community = community_create(
            owner=owners[uids[c]],
            name=name,
            slug=f"large-{c:02d}",
            purpose="Large-community bench.",
            visibility="listed",
            join_policy="open",
        )
        communities.append(community)
    spaces: dict[int, list[Space]] = {}
    for community in communities:
        extra = [
            Space(community=community, name=n, slug=n.lower(), position=p, min_role=r)
            for p, (n, r) in enumerate([("Help", ""), ("Offtopic", ""), ("Staff", Role.MODERATOR)], start=1)
        ]
        Space.objects.bulk_create(extra)
        spaces[community.pk] = list(Space.objects.filter(community=community).order_by("position"))

    # Memberships: ~80 % in the largest community, 1-7 more chosen with a bias to large communities.
    cweights = [1 / (c + 1) ** 0.7 for c in range(COMMUNITIES)]
    members_of: dict[int, list[int]] = defaultdict(list)
    roles: dict[tuple[int, int], str] = {}
    for c in range(COMMUNITIES):
        members_of[c].append(uids[c])
        roles[(c, uids[c])] = Role.OWNER
    for i, uid in enumerate(uids):
        chosen = {0} if rng.random() < 0.8 or POSTERS_FROM <= i < POSTERS_FROM + POSTERS else set()
        chosen |= set(rng.choices(range(COMMUNITIES), cweights, k=1 + min(6, int(rng.expovariate(0.5)))))
        if READERS_FROM <= i < READERS_FROM + 64:
            chosen |= {0, 1}
        for c in chosen:
            if (c, uid) not in roles:
                members_of[c].append(uid)
                roles[(c, uid)] = Role.MEMBER
    for c in range(COMMUNITIES):
        for uid in rng.sample(members_of[c][1:], 3):
            roles[(c, uid)] = Role.MODERATOR
    joined = start - timedelta(days=30)
    new_ms = [
        Membership(
            user_id=uid, community_id=communities[c].pk, role=role, joined_at=joined, first_joined_at=joined
        )
        for (c, uid), role in roles.items()
        if role != Role.OWNER
    ]
    Membership.objects.bulk_create(new_ms, batch_size=5000)
    MembershipEvent.objects.bulk_create(
        [
            MembershipEvent(
                membership=m,
                user_id=m.user_id,
                community_id=m.community_id,
                kind="joined",
                role=m.role,
                at=joined,
            )
            for m in new_ms
        ],
        batch_size=5000,
    )
    print(
        f"  {len(uids):,} members, {len(roles):,} memberships ({time.perf_counter() - t0:.0f}s)", flush=True
    )

    # Threads: a post budget per community (Zipf-like, the largest ~40 %), lengths ~ 1 + Exp(mean 14).
    budget = [0.4 * POSTS] + [0.6 * POSTS * w / sum(cweights[1:]) for w in cweights[1:]]
    plan: list[tuple[int, int]] = []  # (community index, number of posts)
    for c in range(COMMUNITIES):
        left = int(budget[c]) - 1000 * BIG_THREADS.get(c, 0)
        plan += [(c, 1000)] * BIG_THREADS.get(c, 0)
        while left > 0:
            n = min(left, 1 + int(rng.expovariate(1 / 14)))
            plan.append((c, n))
            left -= n
    short = POSTS - sum(n for _, n in plan)
    if short > 0:
        plan.append((0, short))
    rng.shuffle(plan)
    span = (now - start).total_seconds()
    opened = sorted(rng.uniform(0, span * 0.98) for _ in plan)
    threads, timelines = [], []
    for k, ((c, n), t) in enumerate(zip(plan, opened, strict=True)):
        gap = (span - t) / max(n, 1) / (1 if n >= 1000 else 4)
        times = [t]
        for _ in range(n - 1):
            times.append(min(span, times[-1] + rng.expovariate(1 / gap)))
        timelines.append(times)
        sp = spaces[communities[c].pk]
        space = sp[0] if n >= 1000 else sp[rng.choices(range(len(sp)), [50, 25, 22, 3])[0]]
        author = uids[0] if n >= 1000 else rng.choice(members_of[c])
        title = " ".join(rng.sample(WORDS[60:], rng.randint(3, 7))).capitalize()
        threads.append(
            Thread(
                community_id=communities[c].pk,
                space=space,
                author_id=author,
                title=title,
                slug=f"t{k}",
                created_at=start + timedelta(seconds=t),
                last_post_at=start + timedelta(seconds=times[-1]),
                removed_at=start + timedelta(seconds=t + 3600) if rng.random() < 0.002 and n < 1000 else None,
            )
        )
    Thread.objects.bulk_create(threads, batch_size=5000)
    print(f"  {len(threads):,} threads ({time.perf_counter() - t0:.0f}s)", flush=True)

    # Posts in global time order (ids follow time, a thread's posts spread over the heap).
    events = sorted((t, k, j) for k, times in enumerate(timelines) for j, t in enumerate(times))
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM communities_post")
        base = cur.fetchone()[0] + 1
        # The search indexes (GIN, migrations communities 0003/0009) are built once after the load.
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'communities_post' AND indexdef LIKE '%USING gin%'"
        )
        gin_indexes = cur.fetchall()
        for name, _ in gin_indexes:
            cur.execute(f'DROP INDEX IF EXISTS "{name}"')
    ids_of: list[list[int]] = [[] for _ in threads]
    rows, reactions, flags, replies = [], [], [], [0] * len(threads)
    kinds, kweights = ["thumbs_up", "heart", "tada", "bulb", "laugh"], [50, 25, 10, 10, 5]
    for i, (t, k, j) in enumerate(events):
        pid = base + i
        th = threads[k]
        c = plan[k][0]
        author = th.author_id if j == 0 else rng.choice(members_of[c])
        at = start + timedelta(seconds=t)
        r = rng.random()
        removed = (
            th.removed_at
            if j == 0 and th.removed_at
            else (at + timedelta(hours=2) if j and r < 0.005 else None)
        )
        held = j > 0 and 0.005 <= r < 0.007
        reply_to = rng.choice(ids_of[k]) if j > 1 and rng.random() < 0.1 else None
        md, html = pool[rng.randrange(len(pool))]
        staff = roles.get((c, author)) in (Role.OWNER, Role.MODERATOR)
        rows.append(
            (
                pid,
                staff,
                j == 0,
                md,
                html,
                at,
                None,
                "held" if held else "published",
                None if held else at,
                removed,
                removed is not None,
                author,
                th.community_id,
                reply_to,
                th.pk,
            )
        )
        ids_of[k].append(pid)
        if j and not held and removed is None:
            replies[k] += 1
        if not held:
            nreact = rng.choices([0, 1, 2, 4, 9], [55, 25, 12, 6, 2])[0]
            for uid in rng.sample(members_of[c], min(nreact, len(members_of[c]))):
                reactions.append((pid, uid, rng.choices(kinds, kweights)[0], at + timedelta(minutes=5)))
        if r > 0.997:
            flags.append((c, pid, at))
    _copy(
        "communities_post",
        [
            "id",
            "author_staff",
            "is_opening",
            "body_md",
            "body_html",
            "created_at",
            "edited_at",
            "status",
            "published_at",
            "removed_at",
            "removed_by_moderator",
            "author_id",
            "community_id",
            "reply_to_id",
            "thread_id",
        ],
        rows,
    )
    del rows
    print(f"  {len(events):,} posts ({time.perf_counter() - t0:.0f}s)", flush=True)
    _copy("communities_reaction", ["post_id", "user_id", "kind", "created_at"], reactions)
    print(f"  {len(reactions):,} reactions ({time.perf_counter() - t0:.0f}s)", flush=True)
    for th, n in zip(threads, replies, strict=True):
        th.reply_count = n
    Thread.objects.bulk_update(threads, ["reply_count"], batch_size=5000)

    # Read states: each member has read ~25 threads of their communities (most to the end).
    by_comm: dict[int, list[int]] = defaultdict(list)
    for k, (c, _) in enumerate(plan):
        by_comm[c].append(k)
    reads = set()
    rs_rows = []
    for c, members in members_of.items():
        for uid in members:
            for k in rng.sample(by_comm[c], min(len(by_comm[c]), max(2, 25 // 3))):
                if (uid, k) in reads:
                    continue
                reads.add((uid, k))
                ids = ids_of[k]
                last = ids[-1] if rng.random() < 0.7 else ids[len(ids) // 2]
                rs_rows.append((uid, threads[k].pk, last, now))
    for k, (_, n) in enumerate(plan):  # the readers have read half of each 1,000-post thread
        if n >= 1000:
            for uid in uids[READERS_FROM : READERS_FROM + 64]:
                if (uid, k) not in reads:
                    rs_rows.append((uid, threads[k].pk, ids_of[k][len(ids_of[k]) // 2], now))
    _copy(
        "communities_threadreadstate", ["user_id", "thread_id", "last_read_post_id", "last_read_at"], rs_rows
    )
    ThreadSubscription.objects.bulk_create(
        [ThreadSubscription(user_id=th.author_id, thread_id=th.pk) for th in threads],
        batch_size=5000,
        ignore_conflicts=True,
    )
    Flag.objects.bulk_create(
        [
            Flag(
                community_id=communities[c].pk,
                post_id=pid,
                flagger_id=rng.choice(members_of[c]),
                reason=rng.choice(["spam", "off_topic", "other"]),
                created_at=at + timedelta(hours=1),
                resolved_at=at + timedelta(days=1) if rng.random() < 0.7 else None,
            )
            for c, pid, at in flags
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    print(
        f"  {len(rs_rows):,} read states, {len(flags):,} flags ({time.perf_counter() - t0:.0f}s)", flush=True
    )
    with connection.cursor() as cur:
        for table in ("communities_post", "communities_reaction", "communities_threadreadstate"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
            )
        cur.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in gin_indexes:
            cur.execute(definition)
    print(f"  search index built ({time.perf_counter() - t0:.0f}s)", flush=True)


def seeded() -> bool:
    from communities.discussions.models import Post
    from communities.models import Community

    return (
        Community.objects.filter(slug=f"large-{COMMUNITIES - 1:02d}").exists()
        and Post.objects.filter(pk__gte=POSTS - 1).exists()
    )
