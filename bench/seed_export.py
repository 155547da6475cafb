"""Large-data seeding for the export benchmarks (and the memory test): bulk inserts, no services."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from communities.discussions.models import Post, Reaction, Thread
from communities.models import Community, Space
from communities.services import community_create
from members.models import Membership, MembershipEvent, Role, User

BODY = (
    "Here is a reply with a bit of **Markdown**, a [link](https://example.org/) and some words "
    "to make it the size of an ordinary forum post. " * 3
)


def seed_big_community(slug: str, *, posts: int, members: int = 200, per_thread: int = 25) -> Community:
    """A community with ``posts`` posts in threads of ``per_thread``, by ``members`` members, and a
    reaction on every fifth post. Uses bulk_create: 100,000 posts take seconds, not minutes."""
    start = timezone.now() - timedelta(days=365)
    prefix = slug.replace("-", "_")
    owner = User.objects.create_user(handle=f"{prefix}_owner"[:30], email=f"{prefix}_owner@example.com")
    community = community_create(
        owner=owner, name=f"Big {slug}", slug=slug, purpose="Benchmarks.", created_at=start
    )
    space = Space.objects.get(community=community, slug="general")
    users = User.objects.bulk_create(
        [
            User(handle=f"{prefix}_{i}"[:30], email=f"{prefix}_{i}@example.com", password=make_password(None))
            for i in range(members)
        ]
    )
    memberships = Membership.objects.bulk_create(
        [
            Membership(user=u, community=community, role=Role.MEMBER, joined_at=start, first_joined_at=start)
            for u in users
        ]
    )
    MembershipEvent.objects.bulk_create(
        [
            MembershipEvent(
                membership=m, user_id=m.user_id, community=community, kind="joined", role="member", at=start
            )
            for m in memberships
        ]
    )
    n_threads = max(1, posts // per_thread)
    threads = Thread.objects.bulk_create(
        [
            Thread(
                community=community,
                space=space,
                author=users[t % members],
                title=f"Thread {t}",
                slug=f"thread-{t}",
                created_at=start + timedelta(minutes=t),
                last_post_at=start + timedelta(minutes=t),
                reply_count=per_thread - 1,
            )
            for t in range(n_threads)
        ],
        batch_size=1000,
    )
    html = "<p>rendered</p>"
    made = 0
    batch: list[Post] = []
    for i in range(posts):
        thread = threads[min(i // per_thread, n_threads - 1)]
        batch.append(
            Post(
                thread=thread,
                community=community,
                author=users[i % members],
                is_opening=i % per_thread == 0,
                body_md=f"{BODY} #{i}",
                body_html=html,
                created_at=start + timedelta(minutes=i),
                published_at=start + timedelta(minutes=i),
            )
        )
        if len(batch) == 2000:
            _flush_posts(batch, users)
            made += len(batch)
            batch = []
    if batch:
        _flush_posts(batch, users)
    return community


def _flush_posts(batch: list[Post], users: list[User]) -> None:
    created = Post.objects.bulk_create(batch)
    Reaction.objects.bulk_create(
        [
            Reaction(post=p, user=users[(k + 1) % len(users)], kind="heart", created_at=p.created_at)
            for k, p in enumerate(created)
            if k % 5 == 0
        ]
    )
