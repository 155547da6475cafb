"""Reads for onboarding: newcomers this week and a member's 30-day checklist."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from communities.discussions.models import Post, PostStatus, ThreadKind
from communities.models import Community
from communities.onboarding.models import MemberOnboarding
from communities.onboarding.services import greeted_by_reply_q
from members.models import Membership, MembershipStatus, Role

NEWCOMER_DAYS = 30


# --- Onboarding -----------------------------------------------------------------------------------


def newcomers_this_week(*, community: Community, now: datetime | None = None) -> QuerySet[Membership]:
    """Members who joined in the last 7 days with whether they introduced themselves and
    whether someone greeted them (a reply to their intro, or a welcomer's "greeted" mark)."""
    now = now or timezone.now()
    introduced = Exists(
        Post.objects.filter(
            community_id=OuterRef("community_id"),
            thread__kind=ThreadKind.WELCOME,
            author_id=OuterRef("user_id"),
            removed_at__isnull=True,
        )
    )
    return (
        Membership.objects.filter(
            community=community,
            status=MembershipStatus.ACTIVE,
            joined_at__gte=now - timedelta(days=7),
            user__is_bot=False,
        )
        .exclude(role__in=[Role.OWNER, Role.MODERATOR, Role.WELCOMER])  # the greeters themselves
        .select_related("user", "onboarding", "onboarding__greeted_by")
        .annotate(introduced=introduced, greeted_by_reply=greeted_by_reply_q())
        .order_by("-joined_at", "-id")
    )


@dataclass
class ChecklistItem:
    key: str
    label: str
    done: bool
    url: str


@dataclass
class Checklist:
    items: list[ChecklistItem]
    days_left: int

    @property
    def done_count(self) -> int:
        return sum(1 for i in self.items if i.done)

    @property
    def complete(self) -> bool:
        return all(i.done for i in self.items)


def onboarding_checklist(
    *, membership: Membership | None, intro_url: str | Callable[[], str], now: datetime | None = None
) -> Checklist | None:
    """The first-30-days checklist, ticked from real activity; None when it doesn't apply
    (not a member, staff, joined over 30 days ago, or dismissed). Two queries."""
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        return None
    if membership.role in (Role.OWNER, Role.MODERATOR):
        return None
    now = now or timezone.now()
    age = now - membership.first_joined_at
    if age > timedelta(days=NEWCOMER_DAYS):
        return None
    onboarding = MemberOnboarding.objects.filter(membership=membership).first()
    if onboarding is not None and onboarding.checklist_dismissed_at is not None:
        return None
    mine = Post.objects.filter(
        community_id=membership.community_id,
        author_id=membership.user_id,
        removed_at__isnull=True,
        status__in=[PostStatus.PUBLISHED, PostStatus.HELD],
    )
    flags = mine.aggregate(
        introduced=Count("pk", filter=Q(thread__kind=ThreadKind.WELCOME)),
        # Replying means joining someone else's conversation, not bumping one's own thread.
        replied=Count(
            "pk",
            filter=Q(is_opening=False, thread__kind=ThreadKind.DISCUSSION)
            & ~Q(thread__author_id=membership.user_id),
        ),
        ritual=Count("pk", filter=Q(is_opening=False, thread__kind=ThreadKind.RITUAL)),
    )
    slug = membership.community.slug
    if callable(intro_url):  # looked up only when the checklist is shown
        intro_url = intro_url()
    items = [
        ChecklistItem(
            "guidelines",
            "Read the purpose and guidelines",
            onboarding is not None and onboarding.guidelines_read_at is not None,
            f"/c/{slug}/welcome/#guidelines",
        ),
        ChecklistItem("introduce", "Introduce yourself", flags["introduced"] > 0, intro_url),
        ChecklistItem("reply", "Reply to a thread", flags["replied"] > 0, f"/c/{slug}/"),
        ChecklistItem("ritual", "Answer a ritual thread", flags["ritual"] > 0, f"/c/{slug}/rituals/"),
    ]
    return Checklist(items=items, days_left=max(0, NEWCOMER_DAYS - age.days))
