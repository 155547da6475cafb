"""Demo data for the discussions area: a lively thread with quotes, mentions, reactions, an
edit, read states, and a staff-only space, in each demo community. Idempotent.

Call ``seed(stdout)`` after the base demo exists (communities with members).
"""

from __future__ import annotations

from typing import TextIO

from django.db import transaction

from communities.discussions.models import Post, ReactionKind, Thread, ThreadReadState
from communities.discussions.services import (
    post_create,
    post_edit,
    reaction_toggle,
    space_create,
    thread_create,
    thread_mark_read,
)
from communities.models import Community, Space
from members.models import Membership, MembershipStatus, Role

DEMO_TITLE = "What's one small thing that made your week better?"


def seed(stdout: TextIO) -> None:
    for community in Community.objects.order_by("pk")[:20]:
        _seed_community(community, stdout)


def _seed_community(community: Community, stdout: TextIO) -> None:
    members = list(
        Membership.objects.filter(community=community, status=MembershipStatus.ACTIVE, user__is_bot=False)
        .select_related("user")
        .order_by("joined_at", "pk")[:8]
    )
    if len(members) < 2:
        return
    if not Space.objects.filter(community=community, slug="staff-room").exists():
        space_create(
            community=community,
            name="Staff room",
            description="Owners and moderators only.",
            position=90,
            min_role=Role.MODERATOR,
        )
    if Thread.objects.filter(community=community, title=DEMO_TITLE).exists():
        return
    general = Space.objects.filter(community=community, min_role="").order_by("position", "pk").first()
    a, b = members[0], members[1]
    c = members[2] if len(members) > 2 else a
    with transaction.atomic():
        thread = thread_create(
            author=a,
            space=general,
            title=DEMO_TITLE,
            body_md=(
                "Let's collect the small wins. Mine: I finally fixed the squeaky door.\n\n"
                f"@{b.user.handle}, you mentioned a new routine last week. How is it going?"
            ),
        )
        opening = thread.posts.get(is_opening=True)
        r1 = post_create(
            author=b,
            thread=thread,
            reply_to=opening,
            body_md=(
                "> I finally fixed the squeaky door.\n\nThe best kind of win!\n\n"
                "The routine is going well: a **10-minute walk** after lunch, every day so far."
            ),
        )
        r2 = post_create(
            author=c if c.pk != b.pk else a,
            thread=thread,
            reply_to=r1,
            body_md=f"> a 10-minute walk after lunch\n\nStealing this, @{b.user.handle}. Thanks!",
        )
        post_edit(
            editor=b,
            post=r1,
            body_md=r1.body_md + "\n\n_Edit: day 9 now._",
        )
        for m, kind in ((b, ReactionKind.HEART), (c, ReactionKind.TADA), (a, ReactionKind.THUMBS_UP)):
            if m.user_id != opening.author_id:
                reaction_toggle(user_id=m.user_id, post=opening, kind=kind)
        reaction_toggle(user_id=a.user_id, post=r1, kind=ReactionKind.BULB)
        # Others have read parts of the community: some threads show unread posts, some don't.
        for i, m in enumerate(members[3:]):
            for t in Thread.objects.filter(community=community).order_by("pk")[:5]:
                first = Post.objects.filter(thread=t).order_by("pk").values_list("pk", flat=True).first()
                if first and not ThreadReadState.objects.filter(user_id=m.user_id, thread=t).exists():
                    thread_mark_read(user_id=m.user_id, thread_id=t.pk, post_id=first + (i % 2))
    stdout.write(
        f"  discussions demo: thread with quotes, mentions and reactions in {community.slug} (post {r2.pk})\n"
    )
