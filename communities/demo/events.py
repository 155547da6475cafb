"""Demo data for events: ``seed(stdout)``, idempotent.

Each demo community (the rituals demo's list) gets an AMA next week with questions and votes, a
small meetup with a capacity and a waiting list, and one past workshop whose attendees posted in
its thread while it ran (so the dashboard's attendance rate has something to show). A community
that already has events is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from communities.demo.rituals import _demo_communities
from communities.discussions.models import ThreadKind
from communities.discussions.services import post_create, thread_create
from communities.events.models import AmaQuestion, AmaVote, Event, Rsvp
from communities.events.services import EventFields, event_create, rsvp_set
from communities.models import Community, Space
from communities.rituals.schedule import local_to_utc
from members.models import Membership, MembershipStatus, Role

QUESTIONS = (
    "What was the hardest decision you made in the first year?",
    "How do you decide what not to build?",
    "What would you tell yourself when you started?",
)


def seed(stdout: TextIO) -> None:
    now = timezone.now()
    for community in _demo_communities()[:6]:
        made = _seed_community(community, now)
        stdout.write(f"events: {community.slug}: {made} event(s) added\n")


def _at(community: Community, days: int, hour: int, now: datetime) -> datetime:
    day = (now.astimezone(community.tz) + timedelta(days=days)).date()
    return local_to_utc(day, datetime.min.time().replace(hour=hour), community.tz)


@transaction.atomic
def _seed_community(community: Community, now: datetime) -> int:
    if Event.objects.filter(community=community).exists():
        return 0
    owner = (
        Membership.objects.filter(community=community, role=Role.OWNER, status=MembershipStatus.ACTIVE)
        .select_related("user", "community")
        .first()
    )
    space = Space.objects.filter(community=community, min_role="").order_by("position", "id").first()
    if owner is None or space is None:
        return 0
    members = list(
        Membership.objects.filter(community=community, status=MembershipStatus.ACTIVE, user__is_bot=False)
        .exclude(pk=owner.pk)
        .select_related("user", "community")
        .order_by("id")[:12]
    )
    start = _at(community, 6, 18, now)
    ama = event_create(
        author=owner,
        space=space,
        fields=EventFields(
            title=f"AMA with the {community.name} hosts",
            description="Ask us anything about how this community started and where it's going. "
            "Post your questions before the start and upvote the ones you want answered first.",
            kind="ama",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            online_url="https://meet.example.org/hearth-demo-ama",
        ),
    )
    questions: list[AmaQuestion] = []
    for m, text in zip(members[:3], QUESTIONS, strict=False):
        post = post_create(
            author=m, thread=ama.thread, body_md=text, at=now - timedelta(hours=len(questions) + 1)
        )
        questions.append(
            AmaQuestion.objects.create(event=ama, post=post, author=m.user, created_at=post.created_at)
        )
    for i, m in enumerate(members):
        rsvp_set(membership=m, event=ama, status="going" if i % 3 else "maybe")
        for q in questions[: (i % 3) + 1]:
            if q.author_id != m.user_id:
                AmaVote.objects.get_or_create(question=q, user=m.user)

    start = _at(community, 10, 19, now)
    meetup = event_create(
        author=owner,
        space=space,
        fields=EventFields(
            title="Small-table dinner",
            description="Six seats, one long table, no agenda. If it's full, join the waiting list: "
            "you'll get a seat the moment someone drops.",
            kind="meetup",
            starts_at=start,
            ends_at=start + timedelta(hours=2, minutes=30),
            location="The Corner Bistro, upstairs",
            capacity=6,
        ),
    )
    for m in members[:8]:
        rsvp_set(membership=m, event=meetup, status="going")

    # A past workshop (written directly: the service only schedules future events).
    start = _at(community, -5, 17, now)
    thread = thread_create(
        author=owner,
        space=space,
        title="Workshop: writing a good first post",
        body_md="Bring a draft; we'll edit together.",
        kind=ThreadKind.EVENT,
        at=start - timedelta(days=7),
    )
    past = Event.objects.create(
        community=community,
        thread=thread,
        kind="workshop",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        time_zone=community.time_zone,
        online_url="https://meet.example.org/hearth-demo-workshop",
        host=owner.user,
        created_by=owner.user,
        created_at=start - timedelta(days=7),
        updated_at=start - timedelta(days=7),
    )
    for i, m in enumerate(members[:6]):
        Rsvp.objects.create(event=past, user=m.user, status="going", created_at=start - timedelta(days=2))
        if i % 2 == 0:
            post_create(
                author=m, thread=thread, body_md="Thanks, that helped!", at=start + timedelta(minutes=40 + i)
            )
    return 3
