"""Onboarding: the welcome, the introductions thread, welcomers and the checklist's ticks."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from communities.discussions.models import Post, Thread, ThreadKind
from communities.discussions.services import thread_create
from communities.markdown import render_user_markdown
from communities.models import Community, Space
from communities.onboarding.models import MemberOnboarding
from communities.rituals.services import ritual_system_user
from members.models import Membership, MembershipStatus, Role
from members.notifications.models import Notification
from members.notifications.services import notification_create

WELCOME_WINDOW = timedelta(days=7)
INTRO_THREAD_TITLE = "Introduce yourself"
INTRO_THREAD_BODY = (
    "Welcome! Reply to this thread to introduce yourself: who you are, what you're working on, "
    "and what you hope to find here. Then say hello to someone else who's new."
)


# --- Onboarding -----------------------------------------------------------------------------------


@transaction.atomic
def community_set_welcome_message(*, community: Community, welcome_message_md: str) -> Community:
    """Save the owner's welcome message, rendered once here."""
    source = (welcome_message_md or "").strip()
    if len(source) > 10_000:
        raise ValidationError("The welcome message is limited to 10,000 characters.")
    html = render_user_markdown(source) if source else ""
    Community.objects.filter(pk=community.pk).update(welcome_message_md=source, welcome_message_html=html)
    community.welcome_message_md, community.welcome_message_html = source, html
    return community


def introductions_thread(community: Community) -> Thread:
    """The community's "Introduce yourself" thread (kind=welcome), created on first need in the
    space called Introductions if there is one, else the first open space."""
    found = find_introductions_thread(community)
    if found is not None:
        return found
    with transaction.atomic():
        # Serialize creators on the community row so two joins can't create two threads.
        Community.objects.select_for_update().filter(pk=community.pk).first()
        found = find_introductions_thread(community)
        if found is not None:
            return found
        spaces = Space.objects.filter(community=community, min_role="")
        space = spaces.filter(slug__in=["introductions", "intros", "welcome"]).first() or spaces.first()
        if space is None:
            space = Space.objects.create(community=community, name="General", slug="general")
        return thread_create(
            author=ritual_system_user(),
            space=space,
            title=INTRO_THREAD_TITLE,
            body_md=INTRO_THREAD_BODY,
            kind=ThreadKind.WELCOME,
        )


def find_introductions_thread(community: Community) -> Thread | None:
    return (
        Thread.objects.filter(
            community=community, kind=ThreadKind.WELCOME, removed_at__isnull=True, space__min_role=""
        )
        .select_related("community")
        .order_by("created_at", "id")
        .first()
    )


def onboarding_for(membership: Membership) -> MemberOnboarding:
    onboarding, _ = MemberOnboarding.objects.get_or_create(membership=membership)
    return onboarding


def onboarding_welcome(*, membership_id: int, now: datetime | None = None) -> bool:
    """Welcome a newcomer: a welcome notification for them, a new-member notification for each
    welcomer. Runs once per membership (claimed with a conditional UPDATE), so a retried task
    or a rejoin doesn't welcome twice. Returns whether it sent anything."""
    now = now or timezone.now()
    membership = (
        Membership.objects.select_related("user", "community")
        .filter(pk=membership_id, status=MembershipStatus.ACTIVE)
        .first()
    )
    if membership is None or membership.user.is_bot or membership.role in (Role.OWNER, Role.MODERATOR):
        return False
    if membership.joined_at < now - WELCOME_WINDOW:
        # A backfilled or imported join (or a task stuck for days): too late to greet.
        return False
    community = membership.community
    intro = introductions_thread(community)
    with transaction.atomic():
        MemberOnboarding.objects.get_or_create(membership=membership)
        claimed = MemberOnboarding.objects.filter(membership=membership, welcomed_at__isnull=True).update(
            welcomed_at=now
        )
        if claimed != 1:
            return False
        notification_create(
            recipient_id=membership.user_id,
            kind=Notification.Kind.WELCOME,
            text=(
                f"Welcome to {community.name}! Start with the purpose and guidelines, "
                "then introduce yourself."
            ),
            url=f"/c/{community.slug}/welcome/",
            community_id=community.pk,
            thread_id=intro.pk,
        )
        welcomers = Membership.objects.filter(
            community=community, role=Role.WELCOMER, status=MembershipStatus.ACTIVE
        ).exclude(user_id=membership.user_id)
        for welcomer_id in welcomers.values_list("user_id", flat=True)[:100]:
            notification_create(
                recipient_id=welcomer_id,
                kind=Notification.Kind.NEW_MEMBER,
                text=f"{membership.user.name} (@{membership.user.handle}) just joined {community.name}. "
                "Say hello!",
                url=f"/c/{community.slug}/newcomers/",
                community_id=community.pk,
                actor_id=membership.user_id,
                thread_id=intro.pk,
            )
    return True


def onboarding_welcome_sweep(*, now: datetime | None = None, window: timedelta = timedelta(days=1)) -> int:
    """Welcome recent joiners whose welcome task never ran (e.g. the broker was down when they
    joined). Safe with the task: each welcome is claimed once. Returns how many were welcomed."""
    now = now or timezone.now()
    pending = (
        Membership.objects.filter(
            status=MembershipStatus.ACTIVE, joined_at__gte=now - window, user__is_bot=False
        )
        .exclude(role__in=[Role.OWNER, Role.MODERATOR])
        .exclude(onboarding__welcomed_at__isnull=False)
        .order_by("joined_at")
        .values_list("pk", flat=True)[:200]
    )
    return sum(1 for pk in list(pending) if onboarding_welcome(membership_id=pk, now=now))


def onboarding_mark_guidelines_read(*, membership: Membership, now: datetime | None = None) -> None:
    now = now or timezone.now()
    onboarding_for(membership)
    MemberOnboarding.objects.filter(membership=membership, guidelines_read_at__isnull=True).update(
        guidelines_read_at=now
    )


def onboarding_dismiss_checklist(*, membership: Membership, now: datetime | None = None) -> None:
    now = now or timezone.now()
    onboarding_for(membership)
    MemberOnboarding.objects.filter(membership=membership, checklist_dismissed_at__isnull=True).update(
        checklist_dismissed_at=now
    )


def onboarding_mark_greeted(
    *, newcomer: Membership, by: Membership, greeted: bool = True, now: datetime | None = None
) -> None:
    """A welcomer marks (or unmarks) a newcomer as greeted."""
    if newcomer.community_id != by.community_id:
        raise ValidationError("That member is not in this community.")
    now = now or timezone.now()
    onboarding_for(newcomer)
    MemberOnboarding.objects.filter(membership=newcomer).update(
        greeted_at=now if greeted else None, greeted_by_id=by.user_id if greeted else None
    )


def greeted_by_reply_q() -> Exists:
    """Annotation for Membership rows: someone else replied to one of the member's posts in an
    introductions thread since they joined (counts as being greeted)."""
    return Exists(
        Post.objects.filter(
            community_id=OuterRef("community_id"),
            thread__kind=ThreadKind.WELCOME,
            reply_to__author_id=OuterRef("user_id"),
            created_at__gte=OuterRef("joined_at"),
            removed_at__isnull=True,
        ).exclude(author_id=OuterRef("user_id"))
    )
