"""Polls, tags and highlights demo data on top of the base demo, in Balcony Gardeners: a tag list,
tagged threads, a named poll and an anonymous one with votes, and a featured reply.

``seed(stdout)`` is idempotent: it does nothing if it already ran (the demo tag exists).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from communities.discussions.models import Post, PostStatus, Thread
from communities.highlights.services import post_feature
from communities.models import Community
from communities.polls.services import poll_create, poll_vote
from communities.tags.models import Tag
from communities.tags.services import tag_create, thread_set_tags
from members.models import Membership, MembershipStatus, Role

COMMUNITY_SLUG = "balcony-gardeners"
MARKER_TAG = "tomatoes"
TAGS = [
    ("Tomatoes", "Everything tomato"),
    ("Herbs", ""),
    ("Beginners", "New to growing? Start here"),
    ("Pests", ""),
]


@transaction.atomic
def seed(stdout: TextIO) -> None:
    community = Community.objects.filter(slug=COMMUNITY_SLUG).first()
    if community is None or Tag.objects.filter(community=community, slug=MARKER_TAG).exists():
        return
    members = list(
        Membership.objects.filter(community=community, status=MembershipStatus.ACTIVE)
        .select_related("user", "community")
        .order_by("joined_at", "pk")
    )
    owner = next((m for m in members if m.role == Role.OWNER), None)
    staff = next((m for m in members if m.role in (Role.MODERATOR, Role.OWNER)), None)
    people = [
        m for m in members if not m.user.is_bot and (m.muted_until is None or m.muted_until < timezone.now())
    ]
    if owner is None or staff is None or len(people) < 4:
        return
    tags = [tag_create(community=community, actor=owner, name=n, description=d) for n, d in TAGS]
    threads = list(
        Thread.objects.filter(community=community, removed_at__isnull=True, kind="discussion")
        .select_related("author")
        .order_by("-last_post_at")[:8]
    )
    by_user = {m.user_id: m for m in members}
    for i, thread in enumerate(threads):
        author = by_user.get(thread.author_id or 0) or owner
        thread_set_tags(actor=author, thread=thread, tag_ids=[tags[i % len(tags)].pk])
    if not threads:
        return
    newest = threads[0]
    host = by_user.get(newest.author_id or 0) or owner
    if newest.locked:
        return
    named = poll_create(
        author=host,
        thread=newest,
        question="What should our spring swap focus on?",
        choices=["Seedlings", "Cuttings", "Seeds", "Tools"],
        multiple=True,
        closes_at=timezone.now() + timedelta(days=10),
    )
    secret = poll_create(
        author=host,
        thread=newest,
        question="Honestly: how many plants did you lose this winter?",
        choices=["None", "One or two", "More than I'd like to admit"],
        anonymous=True,
    )
    named_choices = list(named.choices.order_by("position"))
    secret_choices = list(secret.choices.order_by("position"))
    for i, m in enumerate(people[:9]):
        poll_vote(voter=m, poll=named, choice_ids=[named_choices[i % 4].pk, named_choices[(i + 1) % 4].pk])
        poll_vote(voter=m, poll=secret, choice_ids=[secret_choices[min(i % 5, 2)].pk])
    reply = (
        Post.objects.filter(
            community=community, is_opening=False, status=PostStatus.PUBLISHED, removed_at__isnull=True
        )
        .exclude(author_id=staff.user_id)
        .order_by("-created_at")
        .first()
    )
    if reply is not None:
        post_feature(actor=staff, post=reply, note="A lovely, practical answer")
    stdout.write(f"  polls demo: {len(tags)} tags, 2 polls, 1 highlight in {community.name}")
