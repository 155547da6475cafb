"""Demo data for rituals and onboarding: ``seed(stdout)``, idempotent.

Each demo community gets three rituals from the prompt library (weekly wins, weekly Q&A, a
fortnightly member spotlight) with the last five weeks of occurrences posted through the real
posting service (at their scheduled times) and member replies, an "Introduce yourself" thread
and a welcome message. Running it again adds nothing.
"""

from __future__ import annotations

import random
from datetime import time, timedelta
from typing import TextIO

from django.db.models import Count, Q
from django.utils import timezone

from communities.discussions.services import post_create
from communities.models import Community, Space
from communities.onboarding.services import community_set_welcome_message, introductions_thread
from communities.rituals import schedule as schedule_math
from communities.rituals.models import Ritual
from communities.rituals.prompts import PROMPTS_BY_KEY
from communities.rituals.services import ritual_create, ritual_run_once
from members.models import Membership, MembershipStatus, Role

WEEKS_OF_HISTORY = 5
MAX_COMMUNITIES = 12

RITUALS = (
    # prompt key, weekday, hour, every N weeks
    ("weekly-wins", 4, 16, 1),
    ("weekly-qa", 1, 18, 1),
    ("member-spotlight", 2, 17, 2),
)

REPLIES = {
    "wins": [
        "Finally shipped the thing I'd been putting off for a month!",
        "Got my first client referral from someone here. Thank you all.",
        "Small one: I kept my morning routine five days in a row.",
        "Published the draft I was nervous about. Feedback was kind.",
        "Fixed a bug that had haunted me since spring.",
    ],
    "qa": [
        "How do you all keep track of ideas without drowning in notes?",
        "Any recommendations for a beginner-friendly course on this?",
        "What's a reasonable rate to charge for a first project?",
        "Answering the question above: I use one plain text file per week. Works great.",
    ],
    "spotlight": [
        "Love what you're building — how did you get started?",
        "Thanks for all the help in the Q&A threads!",
        "What's the one tool you couldn't work without?",
    ],
}

WELCOME = (
    "Hi, and welcome! We're a small group, so every voice matters here.\n\n"
    "1. Read our purpose and guidelines below.\n"
    "2. Say hello in **Introduce yourself**.\n"
    "3. Answer this week's wins thread — small wins count."
)


# The base demo's communities (seed_demo); on another database, any community with people.
DEMO_SLUGS = ("night-owls", "balcony-gardeners", "indie-makers", "trail-runners", "founders-fireside")


def _demo_communities() -> list[Community]:
    demo = list(Community.objects.filter(slug__in=DEMO_SLUGS).order_by("created_at", "id"))
    if demo:
        return demo
    return list(
        Community.objects.annotate(
            people=Count(
                "memberships",
                filter=Q(memberships__status=MembershipStatus.ACTIVE, memberships__user__is_bot=False),
            )
        )
        .filter(people__gte=2)
        .order_by("created_at", "id")[:MAX_COMMUNITIES]
    )


def seed(stdout: TextIO) -> None:
    now = timezone.now()
    for community in _demo_communities():
        created = _seed_community(community, now)
        stdout.write(f"rituals: {community.slug}: {created} ritual(s) added\n")


def _seed_community(community: Community, now) -> int:
    rng = random.Random(community.pk)  # noqa: S311 - demo data, not security
    owner = (
        Membership.objects.filter(community=community, role=Role.OWNER, status=MembershipStatus.ACTIVE)
        .select_related("user")
        .first()
    )
    if owner is None:
        return 0
    members = list(
        Membership.objects.filter(community=community, status=MembershipStatus.ACTIVE, user__is_bot=False)
        .select_related("user")
        .order_by("id")[:40]
    )
    if not community.welcome_message_md:
        community_set_welcome_message(community=community, welcome_message_md=WELCOME)
    intro = introductions_thread(community)
    if intro.reply_count == 0:
        for m in members[:3]:
            if m.user_id != owner.user_id:
                post_create(
                    author=m,
                    thread=intro,
                    body_md=f"Hi, I'm {m.user.name}. Glad to be here!",
                    at=max(intro.created_at, m.joined_at),
                )
    space = (
        Space.objects.filter(community=community, min_role="", slug="general").first()
        or Space.objects.filter(community=community, min_role="").first()
    )
    if space is None:
        return 0
    start = now - timedelta(weeks=WEEKS_OF_HISTORY)
    created = 0
    for key, weekday, hour, every in RITUALS:
        prompt = PROMPTS_BY_KEY[key]
        if Ritual.objects.filter(community=community, title_template=prompt.title).exists():
            continue
        ritual = ritual_create(
            community=community,
            created_by=owner.user,
            now=start,
            kind=prompt.kind,
            space=space,
            title_template=prompt.title,
            body_template=prompt.body,
            frequency=schedule_math.WEEKLY,
            weekday=weekday,
            interval_weeks=every,
            local_time=time(hour, 0),
            starts_on=start.astimezone(community.tz).date(),
            lock_after_days=prompt.lock_after_days,
            pin_current=True,
        )
        created += 1
        # Post the past occurrences through the real service, each at its scheduled time.
        while True:
            ritual.refresh_from_db()
            if ritual.next_run_at is None or ritual.next_run_at > now:
                break
            at = ritual.next_run_at
            occurrence = ritual_run_once(ritual_id=ritual.pk, now=at)
            if occurrence is None:
                break
            repliers = rng.sample(members, k=min(len(members), rng.randint(1, 4)))
            lines = REPLIES.get(prompt.kind, REPLIES["wins"])
            for n, m in enumerate(repliers):
                reply_at = at + timedelta(hours=1 + n * 3, minutes=rng.randint(0, 50))
                if reply_at >= now or m.joined_at > reply_at:
                    continue
                post_create(author=m, thread=occurrence.thread, body_md=rng.choice(lines), at=reply_at)
    return created
