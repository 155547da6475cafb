"""Moderation demo data on top of the base demo: a word filter, flags, a held post, a pending
join request, a warning and audit-log entries in one community.

``seed(stdout)`` is idempotent: it does nothing if it already ran (the demo word filter exists).
"""

from __future__ import annotations

from typing import TextIO

from allauth.account.models import EmailAddress
from django.db import transaction

from communities.demo.data import DEMO_PASSWORD  # one password for every demo account
from communities.discussions.models import Post, PostStatus, Thread
from communities.discussions.services import post_create
from communities.models import Community, Visibility
from members.models import JoinRequest, JoinRequestStatus, Membership, MembershipStatus, Role, User
from members.services import membership_join
from moderation.hooks import flag_create
from moderation.models import Flag, WordFilter
from moderation.sanctions import member_warn
from moderation.services import word_filter_add

MARKER_PHRASE = "buy followers"


def _user(handle: str, name: str) -> User:
    user = User.objects.filter(handle=handle).first()
    if user is None:
        user = User.objects.create_user(handle=handle, email=f"{handle}@example.com", password=DEMO_PASSWORD)
        user.display_name = name
        user.save(update_fields=["display_name"])
        # Verified, so the demo account can log in (email verification is mandatory).
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _pick_community() -> Community | None:
    qs = Community.objects.exclude(visibility=Visibility.SECRET).order_by("pk")
    for community in qs:
        if Post.objects.filter(
            community=community, status=PostStatus.PUBLISHED, removed_at__isnull=True
        ).exists():
            return community
    return qs.first()


@transaction.atomic
def seed(stdout: TextIO) -> None:
    community = _pick_community()
    if community is None:
        stdout.write("moderation demo: no community found, skipped\n")
        return
    if WordFilter.objects.filter(community=community, phrase=MARKER_PHRASE).exists():
        stdout.write(f"moderation demo: already seeded in {community.slug}\n")
        return
    owner = Membership.objects.filter(
        community=community, role=Role.OWNER, status=MembershipStatus.ACTIVE
    ).first()
    if owner is None:
        stdout.write(f"moderation demo: {community.slug} has no owner, skipped\n")
        return

    moderator = (
        Membership.objects.filter(community=community, role=Role.MODERATOR, status=MembershipStatus.ACTIVE)
        .select_related("user")
        .first()
    )
    if moderator is None:
        moderator = membership_join(
            user=_user("mod_maya", "Maya (moderator)"),
            community=community,
            role=Role.MODERATOR,
            actor=owner.user,
        )
    flaggers = [
        membership_join(user=_user(handle, name), community=community)
        for handle, name in (("flag_finn", "Finn"), ("flag_fatima", "Fatima"))
    ]

    word_filter_add(actor=owner, phrase=MARKER_PHRASE, action="block")
    word_filter_add(actor=owner, phrase="crypto", action="hold")

    # Two flags (below the threshold of 3, so the post stays up and waits in the queue).
    target = (
        Post.objects.filter(
            community=community, status=PostStatus.PUBLISHED, removed_at__isnull=True, author_staff=False
        )
        .exclude(author_id__in=[f.user_id for f in flaggers])
        .exclude(author__isnull=True)
        .order_by("-created_at")
        .first()
    )
    if target is not None:
        for flagger, (reason, note) in zip(
            flaggers, [("off_topic", "Belongs in another space"), ("spam", "Looks like an ad")], strict=True
        ):
            if not Flag.objects.filter(post=target, flagger_id=flagger.user_id).exists():
                flag_create(membership=flagger, post=target, reason=reason, note=note)

    # New members' first post waits for review; Nora's reply is held.
    community.hold_first_posts = 1
    community.transparency_log_enabled = True
    community.save(update_fields=["hold_first_posts", "transparency_log_enabled"])
    thread = (
        Thread.objects.filter(community=community, removed_at__isnull=True).order_by("-last_post_at").first()
    )
    nora = membership_join(user=_user("newbie_nora", "Nora"), community=community)
    if thread is not None and not Post.objects.filter(author_id=nora.user_id, community=community).exists():
        post_create(author=nora, thread=thread, body_md="Hi all! First post here — happy to have found you.")

    # A pending join request with screening answers — only where joining is by approval (an open
    # community has nothing to review: people just join), so in the first approval community.
    applicant = _user("applicant_jules", "Jules")
    applying_to = (
        community
        if community.join_policy == "approval"
        else Community.objects.filter(join_policy="approval").order_by("pk").first()
    )
    if (
        applying_to is not None
        and not Membership.objects.filter(user=applicant, community=applying_to).exists()
    ):
        questions = applying_to.screening_questions or ["What brings you here?"]
        JoinRequest.objects.get_or_create(
            community=applying_to,
            user=applicant,
            status=JoinRequestStatus.PENDING,
            defaults={
                "answers": [{"question": q, "answer": "A friend told me about it."} for q in questions]
            },
        )

    # A warning (shows as a banner for Finn until acknowledged) — and an audit-log entry.
    member_warn(actor=moderator, target=flaggers[0], reason="Please keep replies on the thread's topic.")
    stdout.write(
        f"moderation demo: {community.slug}: word filter, 2 flags, a held post by @newbie_nora, "
        "a join request from @applicant_jules, a warning for @flag_finn; "
        f"new demo accounts use the password {DEMO_PASSWORD!r}\n"
    )
